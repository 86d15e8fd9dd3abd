// Request handlers that change the mounted filesystem: SetXattr, Mkdir, WriteFile, Chmod,
// Chown, Utimens, Symlink, Link, Rename, Unlink, Rmdir, Truncate, Sync.
//
// Paths are resolved inside the sysroot (sysroot_fs.h). A final symlink is never followed
// by Chown, Utimens, SetXattr, WriteFile (ELOOP), Link (the link itself is linked), Rename,
// Unlink; Chmod and Truncate follow it, but only inside the sysroot (a symlink has no mode
// of its own on Linux). On a read-only mount every one of them fails with EROFS, as the
// kernel says. Stateless functions; thread-safe. Errors are OpError with the errno and
// the request path ("/a -> /b" for two-path requests).
#ifndef DISKFERRY_DAEMON_HANDLERS_MODIFY_H_
#define DISKFERRY_DAEMON_HANDLERS_MODIFY_H_

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daemon/op_result.h"

namespace diskferry::daemon {

OpResult<bool> HandleSetXattr(const std::string& sysroot, std::string_view path,
                              std::string_view name, std::string_view value);

// Creates directory `path` with exactly `mode` (no umask). With `parents`, like mkdir -p:
// missing parents are created with the same mode and an existing directory (or a symlink
// to one inside the sysroot) is fine. Without, an existing entry is EEXIST.
OpResult<bool> HandleMkdir(const std::string& sysroot, std::string_view path, uint32_t mode,
                           bool parents);

struct WriteFileArgs {
  uint64_t offset = 0;
  std::span<const uint8_t> data;
  bool create = false;    // create a missing file with exactly `mode`
  bool truncate = false;  // empty the file before writing
  uint32_t mode = 0644;
};
// Writes `data` at `offset` into the regular file at `path`. A symlink there is ELOOP, a
// directory EISDIR, another non-regular file EINVAL.
OpResult<bool> HandleWriteFile(const std::string& sysroot, std::string_view path,
                               const WriteFileArgs& args);

OpResult<bool> HandleChmod(const std::string& sysroot, std::string_view path, uint32_t mode);
// lchown: a symlink's own owner changes. uid or gid 0xffffffff leaves that one unchanged.
OpResult<bool> HandleChown(const std::string& sysroot, std::string_view path, uint32_t uid,
                           uint32_t gid);
// Sets atime and mtime (nanoseconds since the epoch) of the entry itself, symlinks too.
OpResult<bool> HandleUtimens(const std::string& sysroot, std::string_view path,
                             int64_t atime_ns, int64_t mtime_ns);
// Creates symlink `path` pointing to `target` (stored verbatim; never resolved here).
OpResult<bool> HandleSymlink(const std::string& sysroot, std::string_view target,
                             std::string_view path);
OpResult<bool> HandleLink(const std::string& sysroot, std::string_view existing,
                          std::string_view path);
OpResult<bool> HandleRename(const std::string& sysroot, std::string_view from,
                            std::string_view to);
OpResult<bool> HandleUnlink(const std::string& sysroot, std::string_view path);
OpResult<bool> HandleRmdir(const std::string& sysroot, std::string_view path);
// Sets the size of the regular file at `path`; growing it leaves a hole.
OpResult<bool> HandleTruncate(const std::string& sysroot, std::string_view path, uint64_t size);
// syncfs(2) on the filesystem at the sysroot.
OpResult<bool> HandleSync(const std::string& sysroot);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_HANDLERS_MODIFY_H_
