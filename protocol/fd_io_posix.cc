// The Linux half of protocol/fd_io.h's primitives: write(2), poll(2) and read(2) on a file
// descriptor. The frames on top are fd_io.cc's, shared with Windows.
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "protocol/fd_io.h"

namespace diskferry {

Status WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      return ErrnoStatus(errno, "write to control channel");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WriteAllToFile(int fd, std::span<const uint8_t> bytes, const std::string& what) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, what);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::optional<size_t>> ReadSomeWithin(int fd, std::span<uint8_t> buf, int wait_ms) {
  pollfd p{fd, POLLIN, 0};
  const int r = ::poll(&p, 1, wait_ms);
  if (r < 0) {
    if (errno == EINTR) return std::optional<size_t>();
    return ErrnoStatus(errno, "poll control channel");
  }
  if (r == 0) return std::optional<size_t>();
  const ssize_t n = ::read(fd, buf.data(), buf.size());
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return std::optional<size_t>();
    return ErrnoStatus(errno, "read control channel");
  }
  return std::optional<size_t>(static_cast<size_t>(n));
}

}  // namespace diskferry
