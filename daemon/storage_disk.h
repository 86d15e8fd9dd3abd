// The storage disk (protocol/storage_disk.h) on the guest side: found among the block
// devices by its virtio serial, left out of every listing, and unpacked over the root
// filesystem the first time a storage tool is needed.
//
// Thread-safe (no shared state); StorageToolPath (tool_runner.h) unpacks it at most once
// per boot.
#ifndef DISKFERRY_DAEMON_STORAGE_DISK_H_
#define DISKFERRY_DAEMON_STORAGE_DISK_H_

#include <optional>
#include <string>

#include "daemon/op_result.h"

namespace diskferry::daemon {

// True when `disk` (a name under sys_block_dir: "vdc") is the storage disk.
bool IsStorageDisk(const std::string& sys_block_dir, const std::string& disk);

// The storage disk's kernel name, nullopt when none is attached (an appliance built on a
// host without storage tools).
std::optional<std::string> FindStorageDisk(const std::string& sys_block_dir);

struct StorageDiskPaths {
  std::string sys_block_dir = "/sys/block";
  std::string dev_dir = "/dev";
  std::string busybox = "/bin/busybox";
  std::string root = "/";  // where the archive is unpacked
};

// Unpacks the storage disk's archive under paths.root with busybox cpio (about 23 MiB;
// a fraction of a second under TCG). Returns false when there is no storage disk, true
// when it was unpacked. Errors: EIO naming the disk and cpio's message when cpio fails
// or takes longer than a minute; those of RunTool.
OpResult<bool> UnpackStorageDisk(const StorageDiskPaths& paths);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_STORAGE_DISK_H_
