// The Windows half of appliance/control_stream.h, over Winsock 2.
#include <winsock2.h>

#include "appliance/control_stream.h"
#include "qemu-win/fd_io_win.h"

namespace diskferry {

using internal::ToSocket;

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
