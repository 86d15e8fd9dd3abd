#include "daemon/handlers_modify.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <limits>

#include "daemon/sysroot_fs.h"
#include "daemon/xattrs.h"
#include "protocol/time_ns.h"

namespace diskferry::daemon {
namespace {

constexpr mode_t kPermBits = 07777;

std::string Pair(std::string_view a, std::string_view b) {
  std::string s(a);
  s += " -> ";
  s += b;
  return s;
}

// mkdir of one path; an existing directory is fine when `exist_ok`.
OpResult<bool> MkdirOne(const std::string& sysroot, std::string_view path, mode_t mode,
                        bool exist_ok) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  const int dir = ref->dir.get();
  if (::mkdirat(dir, ref->name.c_str(), 0700) == 0) {
    // Exactly `mode`: mkdirat would apply the umask. The entry was created just now.
    if (::fchmodat(dir, ref->name.c_str(), mode & kPermBits, 0) != 0) {
      return ErrnoError(errno, path);
    }
    return true;
  }
  if (errno != EEXIST || !exist_ok) return ErrnoError(errno, path);
  OpResult<int> existing = OpenInSysroot(sysroot, path, O_PATH | O_DIRECTORY);
  if (!existing.ok()) return ErrnoError(EEXIST, path);  // there, but not a directory
  ::close(existing.value());
  return true;
}

// A file opened for writing; fails for anything but a regular file.
OpResult<ScopedFd> OpenForWrite(const EntryRef& ref, std::string_view path,
                                const WriteFileArgs& args) {
  // O_NONBLOCK: a fifo planted in the image must not hang the daemon.
  const int flags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                    (args.truncate ? O_TRUNC : 0);
  ScopedFd fd;
  if (args.create) {
    fd.reset(::openat(ref.dir.get(), ref.name.c_str(), flags | O_CREAT | O_EXCL, 0600));
    if (fd.valid() && ::fchmod(fd.get(), args.mode & kPermBits) != 0) {
      return ErrnoError(errno, path);
    }
    if (!fd.valid() && errno != EEXIST) return ErrnoError(errno, path);
  }
  if (!fd.valid()) fd.reset(::openat(ref.dir.get(), ref.name.c_str(), flags));
  if (!fd.valid()) return ErrnoError(errno, path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, path);
  if (!S_ISREG(st.st_mode)) return OpError{EINVAL, std::string(path) + ": not a regular file"};
  return fd;
}

}  // namespace

OpResult<bool> HandleSetXattr(const std::string& sysroot, std::string_view path,
                              std::string_view name, std::string_view value) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  return SetXattrValue(ref->dir.get(), ref->name, name, value, path);
}

OpResult<bool> HandleMkdir(const std::string& sysroot, std::string_view path, uint32_t mode,
                           bool parents) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  if (!parents) return MkdirOne(sysroot, path, mode, false);
  // Every prefix in turn, each resolved afresh inside the sysroot: a parent that is a
  // symlink to a directory in the image is followed (inside it), as mkdir -p does.
  for (size_t end = 1; end <= path.size(); ++end) {
    if (end < path.size() && path[end] != '/') continue;
    if (path[end - 1] == '/') continue;  // "/" itself, or a doubled slash
    if (OpResult<bool> made = MkdirOne(sysroot, path.substr(0, end), mode, true); !made.ok()) {
      return made.error();
    }
  }
  return true;
}

OpResult<bool> HandleWriteFile(const std::string& sysroot, std::string_view path,
                               const WriteFileArgs& args) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  if (args.offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max()) - args.data.size()) {
    return OpError{EFBIG, std::string(path) + ": offset out of range"};
  }
  OpResult<ScopedFd> fd = OpenForWrite(ref.value(), path, args);
  if (!fd.ok()) return fd.error();
  size_t done = 0;
  while (done < args.data.size()) {
    const ssize_t n = ::pwrite(fd->get(), args.data.data() + done, args.data.size() - done,
                               static_cast<off_t>(args.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, path);
    done += static_cast<size_t>(n);
  }
  return true;
}

OpResult<bool> HandleChmod(const std::string& sysroot, std::string_view path, uint32_t mode) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  OpResult<int> opened = OpenInSysroot(sysroot, path, O_PATH);
  if (!opened.ok()) return opened.error();
  const ScopedFd fd(opened.value());
  // fchmod refuses O_PATH descriptors; chmod through /proc acts on the object they name.
  if (::chmod(ProcFdPath(fd.get(), "").c_str(), mode & kPermBits) != 0) {
    return ErrnoError(errno, path);
  }
  return true;
}

OpResult<bool> HandleChown(const std::string& sysroot, std::string_view path, uint32_t uid,
                           uint32_t gid) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  if (::fchownat(ref->dir.get(), ref->name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, path);
  }
  return true;
}

OpResult<bool> HandleUtimens(const std::string& sysroot, std::string_view path,
                             int64_t atime_ns, int64_t mtime_ns) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  const timespec times[2] = {NsToTimespec(atime_ns), NsToTimespec(mtime_ns)};
  if (::utimensat(ref->dir.get(), ref->name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, path);
  }
  return true;
}

OpResult<bool> HandleSymlink(const std::string& sysroot, std::string_view target,
                             std::string_view path) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  if (target.find('\0') != std::string_view::npos || target.size() >= PATH_MAX) {
    return OpError{EINVAL, std::string(path) + ": invalid symlink target"};
  }
  if (::symlinkat(std::string(target).c_str(), ref->dir.get(), ref->name.c_str()) != 0) {
    return ErrnoError(errno, path);
  }
  return true;
}

OpResult<bool> HandleLink(const std::string& sysroot, std::string_view existing,
                          std::string_view path) {
  OpResult<EntryRef> from = ResolveEntry(sysroot, existing);
  if (!from.ok()) return from.error();
  OpResult<EntryRef> to = ResolveEntry(sysroot, path);
  if (!to.ok()) return to.error();
  if (::linkat(from->dir.get(), from->name.c_str(), to->dir.get(), to->name.c_str(), 0) != 0) {
    return ErrnoError(errno, Pair(path, existing));
  }
  return true;
}

OpResult<bool> HandleRename(const std::string& sysroot, std::string_view from,
                            std::string_view to) {
  OpResult<EntryRef> a = ResolveEntry(sysroot, from);
  if (!a.ok()) return a.error();
  OpResult<EntryRef> b = ResolveEntry(sysroot, to);
  if (!b.ok()) return b.error();
  if (::renameat(a->dir.get(), a->name.c_str(), b->dir.get(), b->name.c_str()) != 0) {
    return ErrnoError(errno, Pair(from, to));
  }
  return true;
}

OpResult<bool> HandleUnlink(const std::string& sysroot, std::string_view path) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  if (::unlinkat(ref->dir.get(), ref->name.c_str(), 0) != 0) return ErrnoError(errno, path);
  return true;
}

OpResult<bool> HandleRmdir(const std::string& sysroot, std::string_view path) {
  OpResult<EntryRef> ref = ResolveEntry(sysroot, path);
  if (!ref.ok()) return ref.error();
  if (::unlinkat(ref->dir.get(), ref->name.c_str(), AT_REMOVEDIR) != 0) {
    return ErrnoError(errno, path);
  }
  return true;
}

OpResult<bool> HandleTruncate(const std::string& sysroot, std::string_view path, uint64_t size) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  if (size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return ErrnoError(EFBIG, path);
  }
  OpResult<int> opened = OpenInSysroot(sysroot, path, O_WRONLY | O_NONBLOCK | O_NOCTTY);
  if (!opened.ok()) return opened.error();
  const ScopedFd fd(opened.value());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, path);
  if (!S_ISREG(st.st_mode)) return OpError{EINVAL, std::string(path) + ": not a regular file"};
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return ErrnoError(errno, path);
  return true;
}

OpResult<bool> HandleSync(const std::string& sysroot) {
  const ScopedFd fd(::open(sysroot.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "sysroot " + sysroot);
  if (::syncfs(fd.get()) != 0) return ErrnoError(errno, "sync " + sysroot);
  return true;
}

}  // namespace diskferry::daemon
