// Resolving request paths inside the sysroot, and the fd-level helpers every filesystem
// handler shares. Request paths are absolute within the mounted filesystem ("/" is the
// sysroot); every component is resolved with openat2(RESOLVE_IN_ROOT), so neither ".." nor
// a symlink in a hostile image (absolute or relative) can reach the appliance's own files.
// The last component is then used with *at() calls on the directory that holds it, so
// operations that must not follow a final symlink (lstat, lchown, unlink, ...) never do.
//
// Stateless functions; thread-safe. Errors are OpError naming the request path.
#ifndef DISKFERRY_DAEMON_SYSROOT_FS_H_
#define DISKFERRY_DAEMON_SYSROOT_FS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"
#include "daemon/scoped_fd.h"

namespace diskferry::daemon {

// Checks a request path: absolute, no NUL byte, at most PATH_MAX bytes. EINVAL otherwise.
OpResult<bool> ValidateRequestPath(std::string_view path);

// Opens `path` (already validated) inside `sysroot` with `flags` (O_CLOEXEC is added),
// resolving every component with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS. The caller owns
// the returned fd. A final symlink is followed (inside the sysroot) unless `flags` holds
// O_NOFOLLOW.
OpResult<int> OpenInSysroot(const std::string& sysroot, std::string_view path, int flags);

// An entry named by the directory that holds it and its last component.
struct EntryRef {
  ScopedFd dir;      // O_PATH descriptor of the directory, inside the sysroot
  std::string name;  // one component: never empty, never ".."
};

// Validates `path` and resolves all but its last component inside the sysroot. Trailing
// slashes are dropped. A path whose last component is "." or ".." (or "/" itself) names a
// directory: it is resolved whole and `name` is ".", so *at() calls act on that directory
// and calls that need a new name fail the way the kernel fails them for "." (EEXIST,
// EINVAL, EBUSY). Errors name `path`.
OpResult<EntryRef> ResolveEntry(const std::string& sysroot, std::string_view path);

// "/proc/self/fd/N/name": the entry `name` under directory fd N, for the calls that have no
// *at() form (the l*xattr family). The lookup of `name` stays inside that directory; an
// l*() call does not follow it if it is a symlink. An empty `name` gives the fd's own path
// ("/proc/self/fd/N"), which path-based calls follow to the object the fd names (how an
// O_PATH fd is chmod-ed). Needs /proc (mounted by init).
std::string ProcFdPath(int dir_fd, std::string_view name);

// openat(2) with O_NOATIME added, so that walking and reading a writable mount leaves the
// image's access times as they were; retried without it where the kernel refuses it
// (EPERM: not the owner and no CAP_FOWNER).
int OpenatNoAtime(int dir_fd, const char* name, int flags);

// The names in directory `dir_fd` except "." and "..", in readdir order. Reads through a
// duplicate, so `dir_fd` keeps its offset. Errors name `shown`.
OpResult<std::vector<std::string>> ListNames(int dir_fd, std::string_view shown);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_SYSROOT_FS_H_
