# Shared memory and scratch directories on Windows: the Windows halves of
# appliance/shm_region.h (a named pagefile-backed section) and appliance/temp_dir.h. Both
# use spawn_win.h's error and UTF-8 helpers (qemu-win/process.cmake).
target_sources(df_appliance PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/shm_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/temp_dir_win.cc)
