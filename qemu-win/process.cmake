# Child processes (QEMU) on Windows: the Windows halves of appliance/process.h and
# appliance/child_registry.h, and their internal spawn_win.h (command line, PATH lookup,
# the kill-on-close job object).
target_sources(df_appliance PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/process_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/child_registry_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/spawn_win.cc)
