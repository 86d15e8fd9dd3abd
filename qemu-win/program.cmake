# diskferry.exe itself: its application manifest (UTF-8 process code page).
target_sources(diskferry PRIVATE ${CMAKE_CURRENT_LIST_DIR}/diskferry.rc)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/diskferry.rc PROPERTIES
  OBJECT_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/diskferry.manifest)
