// ScopedFd: owns one file descriptor and closes it when destroyed. Move-only; a moved-from
// ScopedFd owns nothing (-1).
//
// Thread-compatible.
#ifndef DISKFERRY_DAEMON_SCOPED_FD_H_
#define DISKFERRY_DAEMON_SCOPED_FD_H_

#include <unistd.h>

#include <utility>

namespace diskferry::daemon {

class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int release() { return std::exchange(fd_, -1); }
  // Closes the current descriptor (if any) and owns `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_SCOPED_FD_H_
