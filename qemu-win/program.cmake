# diskferry.exe itself: its application manifest (UTF-8 process code page) and console
# handler.
target_sources(diskferry PRIVATE ${CMAKE_CURRENT_LIST_DIR}/diskferry.rc)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/diskferry.rc PROPERTIES
  OBJECT_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/diskferry.manifest)
# Ctrl-C and console close: the Windows half of cli/interrupt.h.
target_sources(diskferry PRIVATE ${CMAKE_CURRENT_LIST_DIR}/interrupt_win.cc)
