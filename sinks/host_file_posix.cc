// The Linux half of host_file.h.
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "sinks/host_file.h"

namespace diskferry {
namespace {

int OpenFlags(HostOpen how) {
  switch (how) {
    case HostOpen::kRead:
      return O_RDONLY;
    case HostOpen::kTruncate:
      return O_WRONLY | O_CREAT | O_TRUNC;
    case HostOpen::kTruncateNoFollow:
      return O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW;
    case HostOpen::kUpdate:
      return O_RDWR | O_CREAT;
    case HostOpen::kCreateNew:
      return O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
  }
  return O_RDONLY;
}

}  // namespace

void CloseHostFd(int fd) { ::close(fd); }

int OpenHostFile(const std::string& path, HostOpen how, UniqueFd* out) {
  out->reset(::open(path.c_str(), OpenFlags(how) | O_CLOEXEC, 0644));
  return out->valid() ? 0 : errno;
}

// O_TMPFILE needs filesystem support (ext4, xfs, btrfs and tmpfs have it; some network and
// FUSE filesystems do not): fall back to a named file unlinked at once.
int CreateUnnamedFile(const std::string& dir, UniqueFd* out) {
  out->reset(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (out->valid()) return 0;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return errno;
  std::string name = dir + "/.diskferry-spool-XXXXXX";
  out->reset(::mkostemp(name.data(), O_CLOEXEC));
  if (!out->valid()) return errno;
  ::unlink(name.c_str());
  return 0;
}

int WriteFileAt(int fd, uint64_t offset, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int WriteToStream(int fd, std::span<const uint8_t> data) {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &pipe, &old);
  int err = 0;
  for (size_t done = 0; done < data.size() && err == 0;) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  // EPIPE left a SIGPIPE pending on this thread: take it before unblocking, or it would
  // be delivered (and end the process) then.
  sigpending(&pending);
  if (!was_pending && sigismember(&pending, SIGPIPE) == 1) {
    const timespec zero = {0, 0};
    while (sigtimedwait(&pipe, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  if (sigismember(&old, SIGPIPE) != 1) pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
  return err;
}

int ResizeFile(int fd, uint64_t size) {
  return ::ftruncate(fd, static_cast<off_t>(size)) == 0 ? 0 : errno;
}

int FileSize(int fd, uint64_t* size) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno;
  *size = static_cast<uint64_t>(st.st_size);
  return 0;
}

int OpenImageForReading(const std::string& path, UniqueFd* out, uint64_t* size) {
  if (int err = OpenHostFile(path, HostOpen::kRead, out); err != 0) return err;
  struct stat st {};
  if (::fstat(out->get(), &st) != 0) return errno;
  if (S_ISBLK(st.st_mode)) {
    if (::ioctl(out->get(), BLKGETSIZE64, size) != 0) return errno;
  } else if (S_ISREG(st.st_mode)) {
    *size = static_cast<uint64_t>(st.st_size);
  } else {
    return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  }
  (void)::posix_fadvise(out->get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // advice only
  return 0;
}

void DropCachedRange(int fd, uint64_t offset, uint64_t length) {
  (void)::posix_fadvise(fd, static_cast<off_t>(offset), static_cast<off_t>(length),
                        POSIX_FADV_DONTNEED);
}

int FileDataExtents(int fd, uint64_t size, std::vector<Extent>* out) {
  out->clear();
  off_t pos = 0;
  const auto end = static_cast<off_t>(size);
  while (pos < end) {
    const off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // only a hole is left
    if (data < 0) return errno;
    if (data >= end) break;
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) return errno;
    if (hole > end) hole = end;
    out->push_back({static_cast<uint64_t>(data), static_cast<uint64_t>(hole - data)});
    pos = hole;
  }
  return 0;
}

int SyncFile(int fd) { return ::fsync(fd) == 0 ? 0 : errno; }

int CloseFile(UniqueFd* fd) {
  if (!fd->valid()) return 0;
  return ::close(fd->release()) == 0 ? 0 : errno;
}

int MakeHostDirectory(const std::string& path) {
  return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno;
}

int RenameHostFile(const std::string& from, const std::string& to) {
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

int RemoveHostFile(const std::string& path) { return ::unlink(path.c_str()) == 0 ? 0 : errno; }

}  // namespace diskferry
