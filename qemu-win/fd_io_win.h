// Internal to the Windows socket halves (fd_io_win.cc, tcp_listener_win.cc,
// control_stream_win.cc): starting Winsock, its errors as Status, and the int <-> SOCKET
// convention of protocol/fd_io.h and appliance/tcp_listener.h (a SOCKET cast to int).
//
// Thread-safe.
#ifndef DISKFERRY_QEMU_WIN_FD_IO_WIN_H_
#define DISKFERRY_QEMU_WIN_FD_IO_WIN_H_

#include <winsock2.h>

#include <cstdint>
#include <string_view>

#include "protocol/status.h"

namespace diskferry::internal {

// Starts Winsock 2.2 on the first call, from any thread; every call returns that first
// outcome: ok, or kIoError naming WSAStartup. Winsock is never stopped: the process's
// exit releases it.
Status StartWinsock();

// "context: <system message> (WSAECONNRESET)" for a Winsock error code, the symbolic name
// where it is a common one and the number otherwise: kTimeout for WSAETIMEDOUT,
// kIoError otherwise.
Status SocketErrorStatus(int wsa_error, std::string_view context);

// The SOCKET behind an int descriptor; -1 gives INVALID_SOCKET.
inline SOCKET ToSocket(int fd) { return static_cast<SOCKET>(static_cast<intptr_t>(fd)); }
// The int descriptor of a socket, or -1 if its value does not fit in an int (never seen:
// Windows hands out small handle values, but an int is what the interfaces carry).
inline int FromSocket(SOCKET s) {
  return s <= static_cast<SOCKET>(INT32_MAX) ? static_cast<int>(s) : -1;
}

}  // namespace diskferry::internal

#endif  // DISKFERRY_QEMU_WIN_FD_IO_WIN_H_
