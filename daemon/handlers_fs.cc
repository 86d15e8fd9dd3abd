#include "daemon/handlers_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace diskferry::daemon {
namespace {

// Owns a file descriptor for the length of one request.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Per-entry overhead of a DirEntry in the reply (table, vtable, Stat struct, offsets).
constexpr size_t kEntryOverhead = 160;
// openat2 returns EAGAIN with RESOLVE_IN_ROOT when a concurrent rename could have let ".."
// escape; the kernel asks the caller to retry.
constexpr int kOpenRetries = 8;

OpResult<std::vector<std::string>> ListNames(int dir_fd, std::string_view path) {
  const int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoError(errno, path);
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(dup_fd);
    return ErrnoError(err, path);
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
  if (err != 0) return ErrnoError(err, path);
  return names;
}

std::string ChildPath(std::string_view dir, const std::string& name) {
  std::string child(dir);
  if (child.back() != '/') child += '/';
  return child + name;
}

OpResult<DirEntryData> DescribeEntry(int dir_fd, std::string_view dir, const std::string& name) {
  DirEntryData entry;
  entry.name = name;
  if (::fstatat(dir_fd, name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, ChildPath(dir, name));
  }
  if (S_ISLNK(entry.st.st_mode)) {
    char target[PATH_MAX];
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target, sizeof target);
    if (n < 0) return ErrnoError(errno, ChildPath(dir, name));
    entry.link_target.assign(target, static_cast<size_t>(n));
  }
  return entry;
}

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
  if (root.get() < 0) return ErrnoError(errno, "sysroot " + sysroot);
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

OpResult<DirPage> ReadDirPage(const std::string& sysroot, std::string_view path,
                              uint64_t start, uint32_t max_entries) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  if (max_entries == 0) return OpError{EINVAL, std::string(path) + ": max_entries is 0"};
  OpResult<int> opened = OpenInSysroot(sysroot, path, O_RDONLY | O_DIRECTORY);
  if (!opened.ok()) return opened.error();
  ScopedFd dir(opened.value());

  // Sorting the whole directory for every page costs O(n log n) per page; it keeps the
  // daemon stateless between requests, and paging stays stable while nothing changes.
  OpResult<std::vector<std::string>> names = ListNames(dir.get(), path);
  if (!names.ok()) return names.error();
  std::sort(names->begin(), names->end());

  DirPage page;
  const uint64_t total = names->size();
  const uint64_t limit = std::min(max_entries, kMaxDirEntriesPerPage);
  size_t bytes = 0;
  uint64_t i = std::min(start, total);
  for (; i < total && i - start < limit && bytes < kDirPageByteBudget; ++i) {
    OpResult<DirEntryData> entry = DescribeEntry(dir.get(), path, (*names)[i]);
    if (!entry.ok()) return entry.error();
    bytes += entry->name.size() + entry->link_target.size() + kEntryOverhead;
    page.entries.push_back(std::move(entry).value());
  }
  page.next = i;
  page.eof = i >= total;
  return page;
}

}  // namespace diskferry::daemon
