// The storage disk: the appliance's storage tools (lvm, cryptsetup, mdadm, ... and their
// libraries) as a cpio "newc" archive on a read-only virtio-blk disk of its own, attached
// after the image disks. The kernel does not unpack it at boot; the daemon unpacks it into
// its root filesystem the first time a disk needs a tool, so a launch whose disks need
// none pays nothing for the tools. Both sides find the disk by its virtio serial.
#ifndef DISKFERRY_PROTOCOL_STORAGE_DISK_H_
#define DISKFERRY_PROTOCOL_STORAGE_DISK_H_

#include <cstdint>
#include <string_view>

namespace diskferry {

// At most 20 bytes: the length of a virtio-blk serial.
inline constexpr std::string_view kStorageDiskSerial = "diskferry-tools";
// The archive is padded with zeros to whole sectors, so that the guest reads all of it.
inline constexpr uint64_t kStorageDiskSectorSize = 512;

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_STORAGE_DISK_H_
