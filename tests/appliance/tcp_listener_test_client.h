// Test-only: the client end of a loopback TCP connection, for the tests of TcpListener,
// ControlListener, control_stream.h and the socket lane over TCP, which run on Linux and
// under wine. tcp_listener_test_client_posix.cc; qemu-win/tests/tcp_listener_test_client_win.cc.
// Descriptors follow tcp_listener.h (a SOCKET cast to int on Windows); close them with
// CloseStream (appliance/control_stream.h).
#ifndef DISKFERRY_TESTS_APPLIANCE_TCP_LISTENER_TEST_CLIENT_H_
#define DISKFERRY_TESTS_APPLIANCE_TCP_LISTENER_TEST_CLIENT_H_

#include <string>

#include "protocol/status.h"

namespace diskferry::testing {

// Connects to 127.0.0.1:`port`, first binding `source` (an IPv4 address) if not empty.
// kIoError naming the step on failure (e.g. "connect 127.0.0.1:5: Connection refused").
Result<int> ConnectLoopback(int port, const std::string& source = "");

// Whether TCP_NODELAY is set on the connected socket `fd`.
bool NoDelay(int fd);

// Closes `fd` so that the peer sees a reset rather than an orderly close (SO_LINGER 0).
void ResetStream(int fd);

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_APPLIANCE_TCP_LISTENER_TEST_CLIENT_H_
