#include "daemon/handlers_inspect.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <limits>

#include "daemon/sysroot_fs.h"
#include "daemon/xattrs.h"

namespace diskferry::daemon {
namespace {

// Opens a regular file for reading, following a final symlink inside the sysroot only.
// O_NONBLOCK: opening a fifo planted in the image must not hang the daemon.
OpResult<ScopedFd> OpenRegular(const std::string& sysroot, std::string_view path,
                               struct stat* st) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  OpResult<int> opened = OpenInSysroot(sysroot, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!opened.ok()) return opened.error();
  ScopedFd fd(opened.value());
  if (::fstat(fd.get(), st) != 0) return ErrnoError(errno, path);
  if (S_ISDIR(st->st_mode)) return ErrnoError(EISDIR, path);
  if (!S_ISREG(st->st_mode)) return OpError{EINVAL, std::string(path) + ": not a regular file"};
  return fd;
}

}  // namespace

OpResult<struct stat> HandleLstat(const std::string& sysroot, std::string_view path) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  struct stat st {};
  if (::fstatat(ref->dir.get(), ref->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, path);
  }
  return st;
}

OpResult<std::string> HandleReadlink(const std::string& sysroot, std::string_view path) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  char target[PATH_MAX];
  const ssize_t n = ::readlinkat(ref->dir.get(), ref->name.c_str(), target, sizeof target);
  if (n < 0) return ErrnoError(errno, path);
  return std::string(target, static_cast<size_t>(n));
}

OpResult<struct statvfs> HandleStatvfs(const std::string& sysroot, std::string_view path) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  OpResult<int> opened = OpenInSysroot(sysroot, path, O_PATH);
  if (!opened.ok()) return opened.error();
  const ScopedFd fd(opened.value());
  struct statvfs sv {};
  if (::fstatvfs(fd.get(), &sv) != 0) return ErrnoError(errno, path);
  return sv;
}

OpResult<std::vector<std::string>> HandleListXattrs(const std::string& sysroot,
                                                    std::string_view path) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  return ListXattrNames(ref->dir.get(), ref->name, path);
}

OpResult<std::string> HandleGetXattr(const std::string& sysroot, std::string_view path,
                                     std::string_view name) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    return OpError{EINVAL, std::string(path) + ": invalid xattr name"};
  }
  return GetXattrValue(ref->dir.get(), ref->name, name, path);
}

OpResult<FileChunk> HandleReadFile(const std::string& sysroot, std::string_view path,
                                   uint64_t offset, uint32_t length) {
  struct stat st {};
  OpResult<ScopedFd> fd = OpenRegular(sysroot, path, &st);
  if (!fd.ok()) return fd.error();
  if (offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return OpError{EINVAL, std::string(path) + ": offset out of range"};
  }
  FileChunk chunk;
  const size_t wanted = std::min(length, kMaxReadFileLength);
  chunk.data.resize(wanted);
  size_t done = 0;
  while (done < chunk.data.size()) {
    const ssize_t n = ::pread(fd->get(), chunk.data.data() + done, chunk.data.size() - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  chunk.data.resize(done);
  chunk.eof = done < wanted || offset + done >= static_cast<uint64_t>(st.st_size);
  return chunk;
}

}  // namespace diskferry::daemon
