// Planning a whole-OS tree (pure logic): which block device each fstab line names, and the
// ordered list of mounts that puts an installed system's filesystems where its fstab says,
// with every line that is not mounted and why.
//
// The fstab comes from the image and is untrusted: a line can only choose among the
// devices the daemon found, mount points are checked here and confined at mount time
// (os_tree.h), and no mount option reaches the kernel except a checked btrfs subvolume.
//
// Stateless functions; thread-safe.
#ifndef DISKFERRY_DAEMON_OS_MOUNT_PLAN_H_
#define DISKFERRY_DAEMON_OS_MOUNT_PLAN_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/block_devices.h"
#include "daemon/op_result.h"
#include "daemon/os_inspect.h"

namespace diskferry::daemon {

// PlanOsMounts plans at most this many mounts besides the root; the rest are skipped
// (kTooMany).
inline constexpr size_t kMaxOsMounts = 128;

// One block device as the appliance sees it, with every name an fstab may use for it.
struct DeviceFacts {
  std::string path;    // the name Mount takes and replies use: "/dev/sda1", "/dev/mapper/vg-root"
  std::string fstype;  // blkid TYPE; empty when no filesystem was found
  std::string uuid, label, partuuid, partlabel;
  // Other paths of the same device: "/dev/vda1", "/dev/dm-0", "/dev/vg/root",
  // "/dev/mapper/vg-root", "/dev/md0", "/dev/md/root", "/dev/disk/by-id/...".
  std::vector<std::string> aliases;

  bool operator==(const DeviceFacts&) const = default;
};

// The facts ListFilesystems has about a filesystem: path, fstype, uuid, label, and the
// guest's name as an alias. Partition UUIDs and labels are not probed there.
DeviceFacts FactsFromFilesystem(const FilesystemData& filesystem);

// The device an fstab fs_spec names:
//   UUID=, LABEL=, PARTUUID=, PARTLABEL= (value optionally in quotes; UUIDs compared
//     without regard to case);
//   /dev/disk/by-uuid/, by-label/, by-partuuid/, by-partlabel/ (udev's \xHH escapes decoded);
//   a device path, compared with each device's path and aliases after rewriting LVM names
//   (/dev/mapper/VG-LV, with "--" for a '-' inside a name, is /dev/VG/LV) and md names
//   (/dev/md/N is /dev/mdN);
//   failing that, an IDE, SCSI, virtio or Xen disk name (/dev/hda2, /dev/vdb1, /dev/xvda1)
//     is taken as the same disk letter here (/dev/sda2, /dev/sdb1), as libguestfs does:
//     the system's own disk order is the only hint there is.
// Errors: ENOENT "UUID=1234: no such device"; EINVAL for a spec that names no block device
// ("server:/export", "tmpfs") or one that several devices match, except several btrfs
// devices of one filesystem (the same UUID), where the first by path is taken.
OpResult<const DeviceFacts*> ResolveFstabSpec(std::string_view spec,
                                              const std::vector<DeviceFacts>& devices);

// "/", "/boot/efi": `mount_point` with repeated slashes, "." components and a trailing
// slash removed. nullopt unless it is absolute, has no ".." component, is at most
// PATH_MAX bytes and holds no NUL.
std::optional<std::string> NormalizeMountPoint(std::string_view mount_point);

// Whether normalised `path` is `mount_point` or below it ("/boot/efi" is below "/boot",
// "/bootx" is not; everything is below "/").
bool IsAtOrBelow(std::string_view path, std::string_view mount_point);

// The root as found by MountOsTree: a device of the list, its type and the btrfs
// subvolume it was mounted from (empty: the default one).
struct OsRoot {
  std::string device;
  std::string fstype;
  std::string subvolume;
};

struct PlannedMount {
  std::string spec;         // as in fstab; the root's device when fstab names no "/"
  std::string mount_point;  // normalised: "/", "/boot/efi"
  std::string device;       // DeviceFacts::path
  std::string fstype;       // the type found on the device (blkid), not fstab's
  std::string data;         // mount data passed through: "subvol=@home"; usually empty
  int line = 0;             // fstab line; 0 for a root fstab does not name

  bool operator==(const PlannedMount&) const = default;
};

// Why an fstab line is not mounted. Planning gives all but the last three.
enum class SkipKind {
  kSwap,               // swap space
  kNetwork,            // nfs, cifs, sshfs, glusterfs, ... or _netdev
  kNoauto,             // not mounted at boot either
  kPseudo,             // proc, sysfs, tmpfs, devpts, bind mounts, FUSE, loop files, ...
  kBadMountPoint,      // not absolute, "..", too long
  kRootElsewhere,      // a "/" line whose device is not the root found
  kNotFound,           // the spec names no device here
  kNotMountable,       // no filesystem, or a type the appliance cannot mount (LUKS, LVM PV)
  kUnsafeOption,       // a btrfs subvolume that could inject mount options
  kDuplicate,          // a mount point an earlier line already uses
  kParentNotMounted,   // below a mount point of a device that is not mounted
  kTooMany,            // past kMaxOsMounts
  kMountPointMissing,  // (MountOsTree) the directory does not exist in the tree, or is not one
  kMountFailed,        // (MountOsTree) mount(2) failed; the reason holds the kernel's error
  kOverlap,            // (MountOsTree) it would hide a mount made before it (a symlink)
};

// "swap", "network", ... "mount failed": the kind as one word or two, for reports.
std::string_view SkipKindName(SkipKind kind);

struct SkippedMount {
  std::string spec;
  std::string mount_point;  // as in fstab
  std::string fstype;       // as in fstab
  int line = 0;
  SkipKind kind = SkipKind::kNotFound;
  std::string reason;  // one line, without the spec: "no such device"

  bool operator==(const SkippedMount&) const = default;
};

struct OsMountPlan {
  // The root first, then every other mount ordered by depth of mount point (parents before
  // children; fstab order among equals).
  std::vector<PlannedMount> mounts;
  std::vector<SkippedMount> skipped;  // in fstab order
};

// Plans the mounts of `entries` over `devices`, the root being `root` (already chosen).
// A line is skipped (see SkipKind) when it is swap, a network or pseudo filesystem,
// noauto, has a bad mount point, names no device here (the reason names the spec), a
// device without a type in `mountable_types` (DaemonContext::filesystems), or an unsafe
// btrfs subvolume. The first mountable line for a mount point wins; later ones are
// duplicates. A line below the mount point of a disk line that is not mounted (not found,
// not mountable, unsafe) is skipped, so that it does not land in the wrong filesystem.
// A "/" line naming the root's device gives the root its spec and line; one naming
// another device is kRootElsewhere. Options other than btrfs subvol=/subvolid= are
// ignored: the daemon chooses its own (read-only, nosuid, nodev, noexec).
OsMountPlan PlanOsMounts(const std::vector<FstabEntry>& entries,
                         const std::vector<DeviceFacts>& devices, const OsRoot& root,
                         const std::vector<std::string>& mountable_types);

// "/dev/sda1 on /boot type ext4"; "/dev/sda2 on /home type btrfs (subvol=@home)".
std::string DescribeMount(const PlannedMount& mount);
// "line 7: UUID=1234 on /data: UUID=1234: no such device".
std::string DescribeSkipped(const SkippedMount& skipped);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_OS_MOUNT_PLAN_H_
