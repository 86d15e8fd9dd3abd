// The ReadDir handler. Paths in requests are absolute within the mounted filesystem ("/" is
// the sysroot) and are always resolved inside it (daemon/sysroot_fs.h). The other
// filesystem requests are in handlers_inspect.h and handlers_modify.h.
//
// Stateless functions; thread-safe. Errors are OpError with the errno and the request
// path: "/etc/shadowx: No such file or directory".
#ifndef DISKFERRY_DAEMON_HANDLERS_FS_H_
#define DISKFERRY_DAEMON_HANDLERS_FS_H_

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"
#include "daemon/sysroot_fs.h"

namespace diskferry::daemon {

// Most entries one ReadDir page carries, whatever the request asks.
inline constexpr uint32_t kMaxDirEntriesPerPage = 4096;
// A page stops growing once its names and link targets pass this many bytes, which keeps
// a reply far below kMaxFrameSize (16 MiB) even with 4096-byte link targets.
inline constexpr size_t kDirPageByteBudget = 4u << 20;

struct DirEntryData {
  std::string name;         // raw bytes, not necessarily UTF-8
  struct stat st {};        // lstat: a symlink is described, not followed
  std::string link_target;  // symlinks only
};

struct DirPage {
  std::vector<DirEntryData> entries;
  uint64_t next = 0;  // start index of the following page
  bool eof = false;   // this page holds the last entry (or the directory is empty)
};

// One page of directory `path`: its entries except "." and "..", sorted by name bytes,
// from index `start`, at most min(max_entries, kMaxDirEntriesPerPage) of them and fewer
// once kDirPageByteBudget is reached (never fewer than one while any remain).
// max_entries == 0 is EINVAL. A start past the end gives an empty page with eof set.
OpResult<DirPage> ReadDirPage(const std::string& sysroot, std::string_view path,
                              uint64_t start, uint32_t max_entries);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_HANDLERS_FS_H_
