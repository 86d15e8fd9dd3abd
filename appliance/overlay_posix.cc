// The Linux half of overlay.h: a new file by O_CREAT | O_EXCL, which fails on anything
// already there, a symlink (dangling or not) included.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "appliance/overlay.h"

namespace diskferry {

int CreateNewFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

}  // namespace diskferry
