#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "appliance/unix_listener.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<UnixListener> UnixListener::Listen(const std::string& path) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return Status(Code::kInvalidArgument, "socket path " + path + " is longer than " +
                                              std::to_string(sizeof addr.sun_path - 1) +
                                              " bytes; set a shorter TMPDIR");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, "socket");
  UnixListener listener(fd, "");
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoStatus(errno, "bind " + path);
  }
  listener.path_ = path;  // bound: Close() unlinks it from here on
  if (::listen(fd, 1) != 0) return ErrnoStatus(errno, "listen on " + path);
  return listener;
}

UnixListener::UnixListener(UnixListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::exchange(other.path_, std::string())) {}

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this == &other) return *this;
  Close();
  fd_ = std::exchange(other.fd_, -1);
  path_ = std::exchange(other.path_, std::string());
  return *this;
}

void UnixListener::Close() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
  fd_ = -1;
  path_.clear();
}

Result<int> UnixListener::Accept(std::chrono::milliseconds timeout,
                                 std::chrono::milliseconds check_interval,
                                 const std::function<Status()>& keep_waiting) {
  if (fd_ < 0) return Status(Code::kFailedPrecondition, "accept on a closed listener");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (Status s = keep_waiting(); !s.ok()) return s;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return Status(Code::kTimeout, "nobody connected to " + path_ + " within " +
                                        std::to_string(timeout.count()) + " ms");
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min(left, check_interval).count()));
    if (r < 0 && errno != EINTR) return ErrnoStatus(errno, "poll " + path_);
    if (r <= 0) continue;
    const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn >= 0) return conn;
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
      return ErrnoStatus(errno, "accept on " + path_);
    }
  }
}

}  // namespace diskferry
