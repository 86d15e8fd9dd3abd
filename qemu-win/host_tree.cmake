# The host tree writer and reader on Windows: the Windows halves of sinks/beneath_dir.h,
# the writer's host half (sinks/host_tree_writer_impl.h) and sinks/host_tree_reader.h,
# with their NT helpers (host_tree_nt_win.h). NtCreateFile, NtSetInformationFile and
# NtQueryDirectoryFile come from ntdll. Tests: tests/qemu-win/host_tree_tests.cmake.
target_sources(df_sinks PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/beneath_dir_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_tree_nt_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_tree_reader_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_tree_writer_win.cc)
target_link_libraries(df_sinks PRIVATE ntdll)
