// TcpListener: a listening TCP socket on 127.0.0.1, for QEMU's control chardev
// (`-chardev socket,host=127.0.0.1,port=N,server=off`) where AF_UNIX is not the choice:
// always on Windows hosts, on Linux with DISKFERRY_CONTROL=tcp (control_listener.h). We
// listen before spawning QEMU, so QEMU always finds us; the port is ephemeral, chosen by
// the system at Listen().
//
// Unlike a socket in a 0700 directory, any local process can connect to the port. Accept
// therefore takes only a peer whose address is 127.0.0.1 (a peer bound to another
// loopback address is closed, and the wait goes on), and the caller drops a peer whose
// Hello reply lacks the launch's secret before sending anything else
// (control_greeting.h). docs/windows.md says what is left exposed.
//
// Descriptors are ints: a POSIX file descriptor, or on Windows a SOCKET cast to int (the
// values Windows hands out fit). The POSIX half is tcp_listener_posix.cc, the Windows one
// qemu-win/tcp_listener_win.cc (which starts Winsock on first use, thread-safely).
// Sockets are not inherited by child processes (CLOEXEC; HANDLE_FLAG_INHERIT cleared).
//
// Move-only; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_TCP_LISTENER_H_
#define DISKFERRY_APPLIANCE_TCP_LISTENER_H_

#include <chrono>
#include <functional>
#include <string>

#include "protocol/status.h"

namespace diskferry {

inline constexpr char kLoopbackHost[] = "127.0.0.1";

class TcpListener {
 public:
  // Binds 127.0.0.1 on a port the system chooses and listens. Errors: kIoError naming
  // the step that failed (on Windows also a failed Winsock start).
  static Result<TcpListener> Listen();

  TcpListener() = default;
  TcpListener(TcpListener&& other) noexcept;
  TcpListener& operator=(TcpListener&& other) noexcept;  // closes what it owned
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  ~TcpListener() { Close(); }

  // Waits up to `timeout` for one connection from 127.0.0.1 and returns its socket with
  // TCP_NODELAY set (not inheritable; the caller owns it and closes it with CloseStream,
  // control_stream.h). Connections from any other address are closed and the wait goes
  // on. Every `check_interval` it calls `keep_waiting`; a non-ok Status from it ends the
  // wait with that Status (the launcher uses it to notice QEMU exiting).
  // Errors: kTimeout, kFailedPrecondition on a closed listener, kIoError, or what
  // `keep_waiting` returned.
  Result<int> Accept(std::chrono::milliseconds timeout, std::chrono::milliseconds check_interval,
                     const std::function<Status()>& keep_waiting);

  // Closes the socket; the port is free again. Idempotent.
  void Close();

  // The port bound, 0 when closed.
  int port() const { return port_; }
  // "127.0.0.1:PORT", for messages.
  std::string address() const { return std::string(kLoopbackHost) + ":" + std::to_string(port_); }

 private:
  TcpListener(int fd, int port) : fd_(fd), port_(port) {}

  int fd_ = -1;
  int port_ = 0;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_TCP_LISTENER_H_
