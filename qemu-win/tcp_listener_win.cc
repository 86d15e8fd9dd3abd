// The Windows half of appliance/tcp_listener.h, over Winsock 2.
// winsock2.h includes windows.h, after itself, as Winsock 2 needs.
#include <winsock2.h>
#include <ws2tcpip.h>

#include <algorithm>
#include <utility>

#include "appliance/tcp_listener.h"
#include "qemu-win/fd_io_win.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;
using internal::FromSocket;
using internal::SocketErrorStatus;
using internal::ToSocket;

// A socket nobody inherits: QEMU and any other child must not hold our listener or our
// end of the control channel open. WSA_FLAG_NO_HANDLE_INHERIT is refused before
// Windows 7 SP1 (WSAEINVAL); there the handle flag is cleared afterwards instead.
SOCKET NonInheritableSocket() {
  SOCKET s = ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET && ::WSAGetLastError() == WSAEINVAL) {
    s = ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    if (s != INVALID_SOCKET) {
      ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
    }
  }
  return s;
}

}  // namespace

Result<TcpListener> TcpListener::Listen() {
  if (Status s = internal::StartWinsock(); !s.ok()) return s;
  const SOCKET s = NonInheritableSocket();
  if (s == INVALID_SOCKET) {
    return SocketErrorStatus(::WSAGetLastError(), "socket for the control channel");
  }
  const int fd = FromSocket(s);
  if (fd < 0) {
    ::closesocket(s);
    return Status(Code::kIoError, "socket for the control channel: handle out of range");
  }
  TcpListener listener(fd, 0);
  // Nobody may bind the same port with SO_REUSEADDR and take QEMU's connection.
  const BOOL on = TRUE;
  if (::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&on),
                   sizeof on) != 0) {
    return SocketErrorStatus(::WSAGetLastError(), "SO_EXCLUSIVEADDRUSE on the control listener");
  }
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return SocketErrorStatus(::WSAGetLastError(), std::string("bind ") + kLoopbackHost);
  }
  int len = sizeof addr;
  if (::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return SocketErrorStatus(::WSAGetLastError(), "getsockname of the control listener");
  }
  listener.port_ = ntohs(addr.sin_port);
  // A backlog above 1: a stray local connection must not keep QEMU's out of the queue.
  if (::listen(s, 4) != 0) {
    return SocketErrorStatus(::WSAGetLastError(), "listen on " + listener.address());
  }
  return listener;
}

TcpListener::TcpListener(TcpListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(std::exchange(other.port_, 0)) {}

TcpListener& TcpListener::operator=(TcpListener&& other) noexcept {
  if (this == &other) return *this;
  Close();
  fd_ = std::exchange(other.fd_, -1);
  port_ = std::exchange(other.port_, 0);
  return *this;
}

void TcpListener::Close() {
  if (fd_ >= 0) ::closesocket(ToSocket(fd_));
  fd_ = -1;
  port_ = 0;
}

Result<int> TcpListener::Accept(std::chrono::milliseconds timeout,
                                std::chrono::milliseconds check_interval,
                                const std::function<Status()>& keep_waiting) {
  if (fd_ < 0) return Status(Code::kFailedPrecondition, "accept on a closed listener");
  const SOCKET listening = ToSocket(fd_);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (Status s = keep_waiting(); !s.ok()) return s;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return Status(Code::kTimeout, "nobody connected to " + address() + " within " +
                                        std::to_string(timeout.count()) + " ms");
    }
    const auto wait = std::min(left, check_interval).count();
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(listening, &readable);
    timeval tv{static_cast<long>(wait / 1000), static_cast<long>((wait % 1000) * 1000)};
    const int r = ::select(0, &readable, nullptr, nullptr, &tv);
    if (r == SOCKET_ERROR) {
      const int error = ::WSAGetLastError();
      if (error == WSAEINTR) continue;
      return SocketErrorStatus(error, "select on " + address());
    }
    if (r == 0) continue;
    sockaddr_in peer = {};
    int len = sizeof peer;
    const SOCKET conn = ::accept(listening, reinterpret_cast<sockaddr*>(&peer), &len);
    if (conn == INVALID_SOCKET) {
      const int error = ::WSAGetLastError();
      if (error == WSAEINTR || error == WSAEWOULDBLOCK || error == WSAECONNRESET) continue;
      return SocketErrorStatus(error, "accept on " + address());
    }
    if (len != sizeof peer || peer.sin_family != AF_INET ||
        peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
      ::closesocket(conn);
      continue;
    }
    ::SetHandleInformation(reinterpret_cast<HANDLE>(conn), HANDLE_FLAG_INHERIT, 0);
    // Requests and replies are small frames sent one at a time: Nagle would hold each
    // back until the previous one was acknowledged.
    const BOOL one = TRUE;
    if (::setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one),
                     sizeof one) != 0) {
      const int error = ::WSAGetLastError();
      ::closesocket(conn);
      return SocketErrorStatus(error, "TCP_NODELAY on a connection to " + address());
    }
    const int fd = FromSocket(conn);
    if (fd < 0) {
      ::closesocket(conn);
      return Status(Code::kIoError, "accept on " + address() + ": handle out of range");
    }
    return fd;
  }
}

}  // namespace diskferry
