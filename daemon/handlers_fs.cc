#include "daemon/handlers_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace diskferry::daemon {
namespace {

// Per-entry overhead of a DirEntry in the reply (table, vtable, Stat struct, offsets).
constexpr size_t kEntryOverhead = 160;

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
