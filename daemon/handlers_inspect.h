// Request handlers that read the mounted filesystem without changing it: Lstat, Readlink,
// Statvfs, ListXattrs, GetXattr, ReadFile. (ReadDir is in handlers_fs.h.)
//
// Paths are resolved inside the sysroot (sysroot_fs.h). A final symlink is described, not
// followed, by Lstat, Readlink and the xattr requests; Statvfs and ReadFile follow it, but
// only inside the sysroot. Stateless functions; thread-safe. Errors are OpError with the
// errno and the request path: "/etc/shadowx: No such file or directory".
#ifndef DISKFERRY_DAEMON_HANDLERS_INSPECT_H_
#define DISKFERRY_DAEMON_HANDLERS_INSPECT_H_

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"

namespace diskferry::daemon {

// ReadFile returns at most this many bytes per request, whatever it asks: a reply stays far
// below kMaxFrameSize (16 MiB).
inline constexpr uint32_t kMaxReadFileLength = 4u << 20;

OpResult<struct stat> HandleLstat(const std::string& sysroot, std::string_view path);

// EINVAL when the entry is not a symlink.
OpResult<std::string> HandleReadlink(const std::string& sysroot, std::string_view path);

OpResult<struct statvfs> HandleStatvfs(const std::string& sysroot, std::string_view path);

OpResult<std::vector<std::string>> HandleListXattrs(const std::string& sysroot,
                                                    std::string_view path);

// ENODATA when the attribute is not set.
OpResult<std::string> HandleGetXattr(const std::string& sysroot, std::string_view path,
                                     std::string_view name);

struct FileChunk {
  std::vector<uint8_t> data;
  bool eof = false;  // the chunk reaches the end of the file
};

// Up to min(length, kMaxReadFileLength) bytes of the regular file at `path` from `offset`.
// A directory is EISDIR; any other non-regular file (a fifo would block the daemon) is
// EINVAL.
OpResult<FileChunk> HandleReadFile(const std::string& sysroot, std::string_view path,
                                   uint64_t offset, uint32_t length);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_HANDLERS_INSPECT_H_
