# The host's files on Windows: the Windows half of protocol/source_file.h and the errno and
# CRT-descriptor helpers (files_win.h) for df_protocol.
target_sources(df_protocol PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/files_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/source_file_win.cc)
# Hashing with Windows CNG: the Windows half of sinks/digests.h.
target_sources(df_digests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/digests_win.cc)
target_link_libraries(df_digests PRIVATE bcrypt)
# The sinks' own files, the machine they run on, and tar entry names: the Windows halves
# of sinks/host_file.h, sinks/host_system.h and sinks/archive_names.h.
target_sources(df_sinks PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/archive_names_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_file_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_system_win.cc)
target_link_libraries(df_sinks PRIVATE psapi)
