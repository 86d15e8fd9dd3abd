// The Windows half of tests/appliance/tcp_listener_test_client.h, over Winsock 2.
#include <winsock2.h>
#include <ws2tcpip.h>

#include "qemu-win/fd_io_win.h"
#include "tests/appliance/tcp_listener_test_client.h"

namespace diskferry::testing {

using internal::SocketErrorStatus;
using internal::ToSocket;

Result<int> ConnectLoopback(int port, const std::string& source) {
  if (Status s = internal::StartWinsock(); !s.ok()) return s;
  const SOCKET s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return SocketErrorStatus(::WSAGetLastError(), "socket");
  if (!source.empty()) {
    sockaddr_in local = {};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        ::bind(s, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      const int error = ::WSAGetLastError();
      ::closesocket(s);
      return SocketErrorStatus(error, "bind " + source);
    }
  }
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<u_short>(port));
  if (::connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = ::WSAGetLastError();
    ::closesocket(s);
    return SocketErrorStatus(error, "connect 127.0.0.1:" + std::to_string(port));
  }
  const int fd = internal::FromSocket(s);
  if (fd < 0) {
    ::closesocket(s);
    return Status(Code::kIoError, "socket handle out of range");
  }
  return fd;
}

bool NoDelay(int fd) {
  BOOL on = FALSE;
  int len = sizeof on;
  return ::getsockopt(ToSocket(fd), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<char*>(&on), &len) ==
             0 &&
         on != FALSE;
}

void ResetStream(int fd) {
  const linger abort_close{1, 0};
  ::setsockopt(ToSocket(fd), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&abort_close),
               sizeof abort_close);
  ::closesocket(ToSocket(fd));
}

}  // namespace diskferry::testing
