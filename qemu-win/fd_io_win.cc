// The Windows half of protocol/fd_io.h's primitives over a connected SOCKET (cast to int):
// send, and recv after select for the timeouts. Same semantics and error codes as the
// POSIX half (fd_io_posix.cc); the frames on top are fd_io.cc's.
#include "qemu-win/fd_io_win.h"

// winsock2.h includes windows.h, after itself, as Winsock 2 needs.
#include <winsock2.h>

#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>

#include "protocol/fd_io.h"
#include "qemu-win/win_util.h"

namespace diskferry {
namespace internal {
namespace {

const char* WsaErrorName(int error) {
  switch (error) {
    case WSAEINTR:
      return "WSAEINTR";
    case WSAEWOULDBLOCK:
      return "WSAEWOULDBLOCK";
    case WSAENOTSOCK:
      return "WSAENOTSOCK";
    case WSAEADDRINUSE:
      return "WSAEADDRINUSE";
    case WSAENETRESET:
      return "WSAENETRESET";
    case WSAECONNABORTED:
      return "WSAECONNABORTED";
    case WSAECONNRESET:
      return "WSAECONNRESET";
    case WSAENOTCONN:
      return "WSAENOTCONN";
    case WSAESHUTDOWN:
      return "WSAESHUTDOWN";
    case WSAETIMEDOUT:
      return "WSAETIMEDOUT";
    case WSAECONNREFUSED:
      return "WSAECONNREFUSED";
    case WSANOTINITIALISED:
      return "WSANOTINITIALISED";
    default:
      return nullptr;
  }
}

}  // namespace

Status StartWinsock() {
  static const int error = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data);
  }();
  if (error == 0) return Status::Ok();
  return SocketErrorStatus(error, "WSAStartup (Winsock 2.2)");
}

Status SocketErrorStatus(int wsa_error, std::string_view context) {
  std::string m(context);
  m += ": ";
  const std::string text = SystemErrorText(static_cast<DWORD>(wsa_error));
  m += text.empty() ? "Winsock error" : text;
  const char* name = WsaErrorName(wsa_error);
  m += name != nullptr ? " (" + std::string(name) + ")"
                       : " (error " + std::to_string(wsa_error) + ")";
  return Status(wsa_error == WSAETIMEDOUT ? Code::kTimeout : Code::kIoError, std::move(m));
}

}  // namespace internal

namespace {

using internal::SocketErrorStatus;
using internal::ToSocket;

// select() on one socket for reading or writing: >0 ready, 0 timed out, <0 error
// (WSAGetLastError). timeout_ms < 0 waits forever.
int WaitReady(SOCKET s, bool for_write, int timeout_ms) {
  fd_set set;
  FD_ZERO(&set);
  FD_SET(s, &set);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  return ::select(0, for_write ? nullptr : &set, for_write ? &set : nullptr, nullptr,
                  timeout_ms < 0 ? nullptr : &tv);
}

}  // namespace

Status WriteAll(int fd, std::span<const uint8_t> bytes) {
  const SOCKET s = ToSocket(fd);
  size_t done = 0;
  while (done < bytes.size()) {
    const int chunk = static_cast<int>(std::min<size_t>(bytes.size() - done, INT_MAX));
    const int n = ::send(s, reinterpret_cast<const char*>(bytes.data() + done), chunk, 0);
    if (n == SOCKET_ERROR) {
      const int error = ::WSAGetLastError();
      if (error == WSAEINTR) continue;
      if (error == WSAEWOULDBLOCK) {
        WaitReady(s, /*for_write=*/true, 1000);
        continue;
      }
      return SocketErrorStatus(error, "write to control channel");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WriteAllToFile(int fd, std::span<const uint8_t> bytes, const std::string& what) {
  ::_setmode(fd, _O_BINARY);  // no "\n" -> "\r\n" in the bytes of a file
  size_t done = 0;
  while (done < bytes.size()) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes.size() - done, 1u << 30));
    const int n = ::_write(fd, bytes.data() + done, chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, what);
    if (n == 0) return Status(Code::kIoError, what + ": nothing written");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::optional<size_t>> ReadSomeWithin(int fd, std::span<uint8_t> buf, int wait_ms) {
  const SOCKET s = ToSocket(fd);
  const int r = WaitReady(s, /*for_write=*/false, wait_ms);
  if (r == SOCKET_ERROR) {
    const int error = ::WSAGetLastError();
    if (error == WSAEINTR) return std::optional<size_t>();
    return SocketErrorStatus(error, "select on control channel");
  }
  if (r == 0) return std::optional<size_t>();
  const int cap = static_cast<int>(std::min<size_t>(buf.size(), INT_MAX));
  const int n = ::recv(s, reinterpret_cast<char*>(buf.data()), cap, 0);
  if (n == SOCKET_ERROR) {
    const int error = ::WSAGetLastError();
    if (error == WSAEINTR || error == WSAEWOULDBLOCK) return std::optional<size_t>();
    return SocketErrorStatus(error, "read control channel");
  }
  return std::optional<size_t>(static_cast<size_t>(n));
}

}  // namespace diskferry
