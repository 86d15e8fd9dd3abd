// Mounting one filesystem on a directory: mount(2) for the types the kernel serves, and
// for ntfs the ntfs-3g storage tool (FUSE; no Debian 12 kernel has ntfs3), as libguestfs's
// appliance does. Mounter and the OS-tree mounts both come through here.
//
// ntfs-3g forks a server process that stays behind the mount; umount2 on the mount point
// ends it (fuseblk: the kernel waits for the server to flush). Those servers are children
// of PID 1 once the first process exits, and ReapFuseServers collects the ones that ended.
//
// Thread-compatible (called from the serving thread).
#ifndef DISKFERRY_DAEMON_FS_MOUNT_H_
#define DISKFERRY_DAEMON_FS_MOUNT_H_

#include <chrono>
#include <string>
#include <string_view>

#include "daemon/op_result.h"

namespace diskferry::daemon {

inline constexpr std::chrono::seconds kNtfs3gTimeout{60};

// True for the types mounted through a FUSE tool rather than mount(2): "ntfs".
bool MountsThroughFuse(std::string_view fstype);

// Mounts block device `path` on `target` as `fstype` with mount(2)'s `flags` and `data`;
// `description` is the same options in mount(8) spelling ("ro,nosuid,nodev,noexec,..."),
// what ntfs-3g gets as its -o. Errors: mount(2)'s errno with no message;
// for ntfs StorageToolPath's error when ntfs-3g is not in the appliance, ETIMEDOUT, or
// EIO followed by ntfs-3g's last line ("NTFS is either inconsistent, or ...").
OpResult<bool> MountDevice(const std::string& path, const std::string& target,
                           std::string_view fstype, unsigned long flags, const std::string& data,
                           const std::string& description);

// MountDevice's error as the caller words it: "WHAT: strerror" after mount(2), "WHAT:
// MESSAGE" after ntfs-3g.
OpError MountError(const OpError& error, const std::string& what);

// Reaps every exited FUSE server (a zombie child named ntfs-3g); never waits.
void ReapFuseServers();

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_FS_MOUNT_H_
