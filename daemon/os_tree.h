// Mounting a whole-OS tree: the root filesystem of an installed Linux system at the
// sysroot, and its other filesystems where its /etc/fstab says, so that a job sees one
// tree. Read-only unless asked (then every mount is read-write); always nosuid, nodev,
// noexec (mounter.h: ChooseMountOptions).
//
// The executor is written against OsMountOps, so that tests run it over a scratch
// directory; SysOsMountOps is the appliance's mount(2). Mount points are resolved inside
// the tree (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) and mounted on through
// /proc/self/fd/N, so a symlink or ".." in the image never puts a mount outside it.
//
// Called from the serving thread only (thread-compatible); OsMountOps implementations
// need not be thread-safe.
#ifndef DISKFERRY_DAEMON_OS_TREE_H_
#define DISKFERRY_DAEMON_OS_TREE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/modules.h"
#include "daemon/op_result.h"
#include "daemon/os_inspect.h"
#include "daemon/os_mount_plan.h"

namespace diskferry::daemon {

// The files read from a possible root, and their limits: a bigger fstab makes the
// filesystem no root candidate, a bigger os-release is ignored.
inline constexpr char kFstabPath[] = "etc/fstab";
inline constexpr size_t kMaxFstabBytes = 1 << 20;
inline constexpr size_t kMaxOsReleaseBytes = 64 * 1024;

struct OsMountOutcome {
  std::string options;    // as passed: "ro,nosuid,nodev,noexec,rescue=nologreplay,subvol=@"
  bool replayed = false;  // the kernel said it replayed a journal
};

// What MountOsTree needs from the system. All paths are the appliance's.
class OsMountOps {
 public:
  virtual ~OsMountOps() = default;

  // Mounts `device` (a DeviceFacts::path) on `target`: the sysroot, or "/proc/self/fd/N"
  // naming a directory MountOsTree resolved inside the tree. `fstype` is blkid's type;
  // `extra_data` is mount data to add to the daemon's own options, already checked
  // ("subvol=@home"; usually empty). Errors name the device and carry mount(2)'s errno.
  virtual OpResult<OsMountOutcome> Mount(const std::string& device, const std::string& target,
                                         const std::string& fstype, bool read_write,
                                         const std::string& extra_data) = 0;
  // Unmounts what is mounted at `target`.
  virtual OpResult<bool> Unmount(const std::string& target) = 0;
  // The bytes of `relative` ("etc/fstab") in the tree at the sysroot, symlinks followed
  // inside it only. ENOENT when missing; EINVAL when not a regular file; EFBIG when longer
  // than `max_bytes`.
  virtual OpResult<std::string> ReadFileInRoot(const std::string& relative, size_t max_bytes) = 0;
};

struct OsTreeRequest {
  std::string sysroot;  // where the root is mounted; nothing may be mounted there yet
  // Every block device that may hold one of the system's filesystems (FactsFromFilesystem,
  // plus what LVM, md and LUKS activation learned). Devices are looked at in this order.
  std::vector<DeviceFacts> devices;
  std::vector<std::string> mountable_types;  // DaemonContext::filesystems
  bool read_write = false;
  // The root, as a device path or an fstab-style spec ("UUID=...", "/dev/vg/root");
  // empty: every device is looked at and the one holding a root is taken (ChooseRoot).
  std::string root_device;
  // btrfs only: the subvolume holding the root ("" for the default one); nullopt: try
  // kBtrfsRootSubvolumes in order.
  std::optional<std::string> root_subvolume;
};

struct OsMount {
  std::string device;       // DeviceFacts::path
  std::string mount_point;  // as planned (fstab's, normalised): "/", "/home"
  // Where it is in the tree, symlinks in the image followed inside it: "/var/home" for a
  // /home that links to var/home; equal to mount_point otherwise.
  std::string resolved;
  std::string fstype;
  std::string options;  // OsMountOutcome::options
  bool replayed = false;
  std::string spec;  // fstab's fs_spec (the root: its device when fstab names no "/")
  int line = 0;      // fstab line; 0 for a root fstab does not name

  bool operator==(const OsMount&) const = default;
};

struct OsTreeData {
  std::string root_device;
  std::string root_fstype;
  std::string root_subvolume;         // btrfs: the subvolume the root is; empty: the default one
  std::string os_name;                // OsDisplayName of its os-release
  std::vector<OsMount> mounted;       // in mount order, the root first
  std::vector<SkippedMount> skipped;  // in fstab order
  std::vector<std::string> warnings;  // fstab lines that did not parse ("line 3: ...")
};

// Finds the root (see OsTreeRequest), mounts it at the sysroot, reads its etc/fstab and
// mounts what PlanOsMounts plans, parents first. Each mount point is resolved inside the
// tree as it stands (after its parents are mounted) and must be an existing directory:
// nothing is created. A mount point that is missing, resolves to the root itself or to a
// directory already mounted on, a mount that fails, and everything below those, are
// reported in `skipped`; the rest go on. Looking for the root mounts each candidate
// read-only at the sysroot and unmounts it again.
// Errors (nothing is left mounted unless an unmount failed): EINVAL for an unsafe root_subvolume or
// a root_device that names no device; ChooseRoot's errors (ENOENT none, EINVAL several, listing
// what was looked at); the root's mount error; etc/fstab unreadable after mounting the root; an
// unmount that fails while looking (EBUSY).
OpResult<OsTreeData> MountOsTree(const OsTreeRequest& request, OsMountOps& ops);

// Unmounts `tree.mounted` in reverse order (children first), the root last, at `sysroot`.
// Tries every one; returns the first error.
OpResult<bool> UnmountOsTree(const OsTreeData& tree, const std::string& sysroot, OsMountOps& ops);

// "/dev/sda2 on /home type btrfs (ro,nosuid,nodev,noexec,rescue=nologreplay,subvol=@home)";
// "... on /home (at /var/home) ..." when a symlink moved it.
std::string DescribeMount(const OsMount& mount);

// ReadFileInRoot over a directory: opens "/" + `relative` with OpenInSysroot (O_NONBLOCK,
// O_NOATIME where permitted), requires a regular file and reads at most `max_bytes`.
OpResult<std::string> ReadFileInSysroot(const std::string& sysroot, std::string_view relative,
                                        size_t max_bytes);

// The appliance's path of a device named as in DeviceFacts::path: "/dev/sda1" ->
// DEV/vda1 (block_devices.h), "/dev/mapper/vg-root" -> DEV/mapper/vg-root. EINVAL for a
// name outside /dev or with "." or ".." components or bytes other than [A-Za-z0-9._+:-].
OpResult<std::string> GuestDevicePath(const std::string& dev_dir, std::string_view device);

// OsMountOps of the appliance: mount(2) with ChooseMountOptions(fstype, read_write,
// replay) plus the extra data, after loading fstype's modules; the device must be a block
// device under `dev_dir`. With `sys_block_dir` (/sys/block) every listed name and alias
// is accepted (storage_stack.h: ResolveBlockDevice: /dev/VG/LV, /dev/mapper/NAME,
// /dev/md0); without, GuestDevicePath's.
class SysOsMountOps : public OsMountOps {
 public:
  // `loader` must outlive this object. `replay`: read-only mounts let the kernel replay a
  // journal (mounter.h), for sessions whose drives are throw-away overlays.
  SysOsMountOps(std::string sysroot, std::string dev_dir, FsModuleLoader* loader, bool replay,
                std::string sys_block_dir = {});

  OpResult<OsMountOutcome> Mount(const std::string& device, const std::string& target,
                                 const std::string& fstype, bool read_write,
                                 const std::string& extra_data) override;
  OpResult<bool> Unmount(const std::string& target) override;
  OpResult<std::string> ReadFileInRoot(const std::string& relative, size_t max_bytes) override;

 private:
  const std::string sysroot_;
  const std::string dev_dir_;
  FsModuleLoader* const loader_;
  const bool replay_;
  const std::string sys_block_dir_;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_OS_TREE_H_
