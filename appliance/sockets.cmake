# The control channel's sockets: the run-time choice between AF_UNIX and loopback TCP
# (control_listener.h), the TCP listener, and the stream bits ControlClient needs
# (control_stream.h). Portable files here; the Linux halves below; the Windows halves are
# added by qemu-win/sockets.cmake.
target_sources(df_appliance PRIVATE ${CMAKE_CURRENT_LIST_DIR}/control_listener.cc)
if(NOT WIN32)
  target_sources(df_appliance PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/control_listener_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/control_stream_posix.cc
    ${CMAKE_CURRENT_LIST_DIR}/tcp_listener_posix.cc)
endif()
