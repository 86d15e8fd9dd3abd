#include "daemon/sysroot_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace diskferry::daemon {
namespace {

// openat2 returns EAGAIN with RESOLVE_IN_ROOT when a concurrent rename could have let ".."
// escape; the kernel asks the caller to retry.
constexpr int kOpenRetries = 8;

}  // namespace

OpResult<bool> ValidateRequestPath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return OpError{EINVAL, "path contains a NUL byte"};
  }
  if (path.size() > PATH_MAX) {
    return OpError{EINVAL, "path of " + std::to_string(path.size()) +
                               " bytes is longer than PATH_MAX (" + std::to_string(PATH_MAX) +
                               ")"};
  }
  if (path.empty()) return OpError{EINVAL, "path is empty"};
  if (path.front() != '/') {
    return OpError{EINVAL, std::string(path) + ": path is not absolute"};
  }
  return true;
}

OpResult<int> OpenInSysroot(const std::string& sysroot, std::string_view path, int flags) {
  // Opened per request, never cached: after a Mount the sysroot directory is covered by
  // the new filesystem, and an older fd would still see the empty directory underneath.
  ScopedFd root(::open(sysroot.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoError(errno, "sysroot " + sysroot);
  const std::string c_path(path);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    const long fd = ::syscall(SYS_openat2, root.get(), c_path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EAGAIN || attempt + 1 == kOpenRetries) return ErrnoError(errno, path);
  }
}

OpResult<EntryRef> ResolveEntry(const std::string& sysroot, std::string_view path) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  std::string_view p = path;
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  const size_t slash = p.rfind('/');
  std::string name(p.substr(slash + 1));
  std::string_view parent = slash == 0 ? std::string_view("/") : p.substr(0, slash);
  if (name.empty() || name == "." || name == "..") {
    parent = p;
    name = ".";
  }
  OpResult<int> dir = OpenInSysroot(sysroot, parent, O_PATH | O_DIRECTORY);
  if (!dir.ok()) return ErrnoError(dir.error().err, path);
  return EntryRef{ScopedFd(dir.value()), std::move(name)};
}

std::string ProcFdPath(int dir_fd, std::string_view name) {
  std::string p = "/proc/self/fd/" + std::to_string(dir_fd);
  if (!name.empty()) {
    p += '/';
    p += name;
  }
  return p;
}

int OpenatNoAtime(int dir_fd, const char* name, int flags) {
  const int fd = ::openat(dir_fd, name, flags | O_NOATIME);
  if (fd >= 0 || errno != EPERM) return fd;
  return ::openat(dir_fd, name, flags);
}

OpResult<std::vector<std::string>> ListNames(int dir_fd, std::string_view shown) {
  // O_PATH descriptors cannot be read, and fdopendir would take over the caller's fd: open
  // the same directory again through ".".
  const int fd = OpenatNoAtime(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, shown);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(err, shown);
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    const std::string_view name(entry->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoError(err, shown);
  return names;
}

}  // namespace diskferry::daemon
