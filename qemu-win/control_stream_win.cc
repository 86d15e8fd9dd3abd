// The Windows half of appliance/control_stream.h, over Winsock 2.
#include <winsock2.h>

#include <algorithm>
#include <climits>
#include <string>

#include "appliance/control_stream.h"
#include "qemu-win/fd_io_win.h"

namespace diskferry {

using internal::SocketErrorStatus;
using internal::ToSocket;

// A blocking send() of a large frame waits for the reader however long it takes, so the
// socket is non-blocking while the frame goes out and select() is the only wait. Windows
// cannot tell a socket's blocking mode; the control sockets are blocking (accept()'s
// default), which is what is restored.
Status WriteStreamWithin(int fd, std::span<const uint8_t> bytes,
                         std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  const SOCKET s = ToSocket(fd);
  u_long non_blocking = 1;
  if (::ioctlsocket(s, FIONBIO, &non_blocking) == SOCKET_ERROR) {
    return SocketErrorStatus(::WSAGetLastError(), "control channel: non-blocking mode");
  }
  Status result = Status::Ok();
  size_t done = 0;
  while (done < bytes.size()) {
    const int chunk = static_cast<int>(std::min<size_t>(bytes.size() - done, INT_MAX));
    const int n = ::send(s, reinterpret_cast<const char*>(bytes.data() + done), chunk, 0);
    if (n != SOCKET_ERROR) {
      done += static_cast<size_t>(n);
      continue;
    }
    const int error = ::WSAGetLastError();
    if (error == WSAEINTR) continue;
    if (error != WSAEWOULDBLOCK) {
      result = SocketErrorStatus(error, "write to control channel");
      break;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result = Status(Code::kTimeout, "the appliance did not read a request of " +
                                          std::to_string(bytes.size()) + " bytes within " +
                                          std::to_string(timeout.count()) + " ms (" +
                                          std::to_string(done) + " sent)");
      break;
    }
    fd_set writable;
    FD_ZERO(&writable);
    FD_SET(s, &writable);
    const int64_t wait_ms = std::min<int64_t>(left.count(), INT_MAX);
    timeval tv{static_cast<long>(wait_ms / 1000), static_cast<long>((wait_ms % 1000) * 1000)};
    ::select(0, nullptr, &writable, nullptr, &tv);
  }
  u_long blocking = 0;
  ::ioctlsocket(s, FIONBIO, &blocking);
  return result;
}

void CloseStream(int fd) {
  if (fd >= 0) ::closesocket(ToSocket(fd));
}

// No POLLRDHUP on Windows: a socket whose peer closed (FIN) or reset turns readable, and
// a 1-byte peek then returns 0 or the reset. A peer that left data unread behind its FIN
// looks alive here; the next read reaches the FIN and reports it.
bool StreamPeerGone(int fd) {
  const SOCKET s = ToSocket(fd);
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(s, &readable);
  timeval zero{0, 0};
  if (::select(0, &readable, nullptr, nullptr, &zero) != 1) return false;
  char byte;
  const int n = ::recv(s, &byte, 1, MSG_PEEK);
  if (n == 0) return true;
  if (n > 0) return false;
  switch (::WSAGetLastError()) {
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAENETRESET:
    case WSAESHUTDOWN:
    case WSAENOTCONN:
      return true;
    default:
      return false;
  }
}

// send() raises no signal on Windows: a vanished peer is an error return already.
WriteGuard::WriteGuard() = default;
WriteGuard::~WriteGuard() = default;

}  // namespace diskferry
