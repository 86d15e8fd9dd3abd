# The control channel's sockets on Windows (qemu-win/sockets.cmake): the loopback TCP
# listener, the run-time transport choice (tcp only here), the stream helpers under
# ControlClient, and the socket lane over loopback TCP. The test sources are those of
# tests/appliance/sockets_tests.cmake but for the *_posix ones; only the TCP client helper
# has a Windows half of its own.
set(DF_SOCKET_TESTS ${CMAKE_CURRENT_LIST_DIR}/../appliance)
add_executable(sockets_tests
  ${DF_SOCKET_TESTS}/control_greeting_test.cc
  ${DF_SOCKET_TESTS}/control_listener_test.cc
  ${DF_SOCKET_TESTS}/control_stream_test.cc
  ${DF_SOCKET_TESTS}/socket_lane_tcp_test.cc
  ${DF_SOCKET_TESTS}/tcp_listener_test.cc
  ${DF_WIN_TEST_SOURCES}/tcp_listener_test_client_win.cc)
target_link_libraries(sockets_tests PRIVATE df_appliance GTest::gtest_main)
gtest_discover_tests(sockets_tests DISCOVERY_TIMEOUT 120)
