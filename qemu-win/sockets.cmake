# Sockets on Windows hosts (Winsock 2): frame I/O over a SOCKET (protocol/fd_io.h) for
# df_protocol; the loopback TCP listener, the control stream's close/peer checks, and the
# refusal of the AF_UNIX control transport for df_appliance.
target_sources(df_protocol PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fd_io_win.cc)
target_link_libraries(df_protocol PUBLIC ws2_32)
target_sources(df_appliance PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/control_listener_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_stream_win.cc
  ${CMAKE_CURRENT_LIST_DIR}/tcp_listener_win.cc)
target_link_libraries(df_appliance PUBLIC ws2_32)
