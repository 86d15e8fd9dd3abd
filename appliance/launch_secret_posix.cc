// The Linux half of launch_secret.h: getrandom(2) and a new 0600 file.
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>

#include "appliance/launch_secret.h"
#include "protocol/fd_io.h"

namespace diskferry::internal {

Status FillRandom(std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size()) {
    // Blocks only until the kernel's pool is first initialised, never after.
    const ssize_t n = ::getrandom(out.data() + got, out.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "getrandom");
    got += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WritePrivateFile(const std::string& path, std::span<const uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, path);
  Status written = WriteAllToFile(fd, bytes, path);
  if (::close(fd) != 0 && written.ok()) written = ErrnoStatus(errno, path);
  if (!written.ok()) {
    ::unlink(path.c_str());
    return written;
  }
  return Status::Ok();
}

}  // namespace diskferry::internal
