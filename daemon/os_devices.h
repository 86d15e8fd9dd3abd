// The DeviceFacts of the block devices the appliance sees (os_mount_plan.h): what blkid
// finds (block_devices.h) plus the names sysfs knows, so that an fstab naming
// /dev/mapper/VG-LV or a GPT partition finds its device.
//
// Reads sysfs and probes devices; stateless and thread-safe.
#ifndef DISKFERRY_DAEMON_OS_DEVICES_H_
#define DISKFERRY_DAEMON_OS_DEVICES_H_

#include <string>
#include <vector>

#include "daemon/os_mount_plan.h"
#include "daemon/storage_stack.h"

namespace diskferry::daemon {

// The sysfs directory of kernel device `name` ("vda", "vda1", "dm-0") under
// `sys_block_dir` (/sys/block): DIR/NAME for a whole device, DIR/DISK/NAME for a
// partition; empty when there is none.
std::string SysfsDirOf(const std::string& sys_block_dir, const std::string& name);

// Adds what the sysfs directory of the device says: a device-mapper name ("dm/name") as
// the alias /dev/mapper/NAME (which also matches /dev/VG/LV for an LVM volume), and a
// partition's PARTNAME and PARTUUID from "uevent" when the kernel gives them and the
// facts have none. Missing files add nothing.
void AddSysfsFacts(const std::string& sysfs_dir, DeviceFacts* facts);

// Every filesystem ListFilesystems finds, as FactsFromFilesystem plus AddSysfsFacts.
// Empty when sys_block_dir is (test mode).
std::vector<DeviceFacts> CollectDeviceFacts(const std::string& sys_block_dir,
                                            const std::string& dev_dir);

// The devices of the storage stack's listing (storage_stack.h), each under its listed
// name (/dev/sda1, /dev/md0, /dev/vg/lv, /dev/mapper/luks-UUID) with its listed aliases,
// its kernel name (/dev/vda1, /dev/dm-3) and AddSysfsFacts from `sys_block_dir` (empty:
// none). Devices without a type are left out.
std::vector<DeviceFacts> FactsFromListing(const StorageListing& listing,
                                          const std::string& sys_block_dir);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_OS_DEVICES_H_
