# The control channel's sockets on Linux: the loopback TCP listener, the run-time choice
# of transport (DISKFERRY_CONTROL), the stream helpers under ControlClient, and the socket
# lane over loopback TCP. The same sources, but for the *_posix files, run on Windows
# (tests/qemu-win/sockets_tests.cmake).
add_executable(sockets_tests
  ${CMAKE_CURRENT_LIST_DIR}/control_greeting_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_listener_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_stream_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/control_stream_posix_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/socket_lane_tcp_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/tcp_listener_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/tcp_listener_test_client_posix.cc)
target_link_libraries(sockets_tests PRIVATE df_appliance GTest::gtest_main)
gtest_discover_tests(sockets_tests DISCOVERY_TIMEOUT 60)
