// UnixListener: the listening AF_UNIX socket QEMU's control chardev connects to
// (`-chardev socket,server=off`). We listen before spawning QEMU, so there is no window in
// which QEMU could find nothing to connect to, and nobody else can take its place: the
// socket lives in a 0700 directory of ours. Linux half; Windows hosts get theirs in
// qemu-win/.
//
// Move-only; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_UNIX_LISTENER_H_
#define DISKFERRY_APPLIANCE_UNIX_LISTENER_H_

#include <chrono>
#include <functional>
#include <string>

#include "protocol/status.h"

namespace diskferry {

class UnixListener {
 public:
  // Binds and listens on `path`. Errors: kInvalidArgument if the path does not fit in
  // sockaddr_un (108 bytes; the message suggests a shorter $TMPDIR), kIoError otherwise.
  static Result<UnixListener> Listen(const std::string& path);

  UnixListener() = default;
  UnixListener(UnixListener&& other) noexcept;
  UnixListener& operator=(UnixListener&& other) noexcept;  // closes what it owned
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;
  ~UnixListener() { Close(); }

  // Waits up to `timeout` for one connection and returns its descriptor (CLOEXEC; the
  // caller owns it). Every `check_interval` it calls `keep_waiting`; a non-ok Status from
  // it ends the wait with that Status (the launcher uses it to notice QEMU exiting).
  // Errors: kTimeout, kIoError, or what `keep_waiting` returned.
  Result<int> Accept(std::chrono::milliseconds timeout, std::chrono::milliseconds check_interval,
                     const std::function<Status()>& keep_waiting);

  // Closes the socket and unlinks its path. Idempotent.
  void Close();

  const std::string& path() const { return path_; }

 private:
  UnixListener(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_UNIX_LISTENER_H_
