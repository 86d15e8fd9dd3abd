// Block devices and the filesystems on them, as the appliance sees them.
//
// Naming: drives are attached as virtio-blk, so the guest calls them /dev/vda, /dev/vdb1,
// ...; the host and users speak libguestfs' names, /dev/sda, /dev/sdb1. Replies use the
// libguestfs name; requests may use either.
//
// Stateless functions; thread-safe (libblkid probes share no state).
#ifndef DISKFERRY_DAEMON_BLOCK_DEVICES_H_
#define DISKFERRY_DAEMON_BLOCK_DEVICES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"

namespace diskferry::daemon {

// "/dev/vdb1" -> "/dev/sdb1". Names of other devices ("/dev/loop0") are returned as is.
std::string ToLibguestfsName(std::string_view guest_device);

// The guest kernel's name for a device named in a request: "/dev/sdb1" or "/dev/vdb1" ->
// "vdb1"; "/dev/loop0" -> "loop0". nullopt unless the name is "/dev/" followed by a
// lower-case letter and then only lower-case letters and digits.
std::optional<std::string> ToGuestDeviceName(std::string_view requested);

struct BlockDevice {
  std::string name;   // kernel name: "vda", "vda1"
  uint64_t size = 0;  // bytes (sysfs "size" is in 512-byte sectors whatever the device)
};

// Disks under `sys_block_dir` (/sys/block) followed each by its partitions (the
// subdirectories holding a "partition" attribute), in name order. Devices of size 0 and
// RAM disks are left out: neither can hold an image; so is the storage disk
// (storage_disk.h), which holds the appliance's own tools.
std::vector<BlockDevice> ListBlockDevices(const std::string& sys_block_dir);

struct FsProbe {
  std::string fstype;  // blkid TYPE: "ext4", "xfs", "swap", ...; empty when none found
  std::string label;
  std::string uuid;
  std::string version = {};  // blkid VERSION where the format has one: "2" for LUKS2
};

// Probes the superblock of `path` (a block device, or an image file in tests) with
// libblkid. A device without a recognised filesystem is ok with an empty fstype; failing
// to open or read it is an OpError naming the path.
OpResult<FsProbe> ProbeFilesystem(const std::string& path);

struct FilesystemData {
  std::string device;  // libguestfs name
  FsProbe probe;
  uint64_t size = 0;
};

// Every device from ListBlockDevices whose probe finds a TYPE (swap included), opened as
// `dev_dir`/NAME. An empty sys_block_dir lists nothing. Devices that fail to probe are
// logged and left out.
std::vector<FilesystemData> ListFilesystems(const std::string& sys_block_dir,
                                            const std::string& dev_dir);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_BLOCK_DEVICES_H_
