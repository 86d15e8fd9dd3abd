#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "protocol/source_file.h"

namespace diskferry {

int OpenSourceFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

namespace {
std::atomic<bool> drop_pages{false};
}  // namespace

void DropSourcePagesAfterReading() { drop_pages.store(true, std::memory_order_relaxed); }

void CloseSourceFd(int* fd) {
  if (*fd >= 0) {
    if (drop_pages.load(std::memory_order_relaxed)) {
      ::posix_fadvise(*fd, 0, 0, POSIX_FADV_DONTNEED);
    }
    ::close(*fd);
  }
  *fd = -1;
}

int64_t ReadSourceAt(int fd, uint64_t offset, uint8_t* out, uint64_t length) {
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out + done, length - done, static_cast<off_t>(offset + done));
    // A pipe (a recovered deleted file: daemon/deleted_files.h) is read in order; the
    // packer asks for each file's bytes from offset 0 upwards without gaps.
    if (n < 0 && errno == ESPIPE) n = ::read(fd, out + done, length - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
  }
  if (drop_pages.load(std::memory_order_relaxed) && done > 0) {
    ::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(done), POSIX_FADV_DONTNEED);
  }
  return static_cast<int64_t>(done);
}

// Filesystems without SEEK_DATA (EINVAL) are all data.
uint64_t NextSourceData(int fd, uint64_t from, uint64_t size) {
  if (from >= size) return size;
  const off_t d = ::lseek(fd, static_cast<off_t>(from), SEEK_DATA);
  if (d < 0) return errno == ENXIO ? size : from;
  return std::min<uint64_t>(static_cast<uint64_t>(d), size);
}

uint64_t NextSourceHole(int fd, uint64_t from, uint64_t size) {
  const off_t h = ::lseek(fd, static_cast<off_t>(from), SEEK_HOLE);
  if (h < 0) return size;
  return std::min<uint64_t>(static_cast<uint64_t>(h), size);
}

}  // namespace diskferry
