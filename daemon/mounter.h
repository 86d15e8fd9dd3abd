// Mounter: mounts one filesystem at the sysroot for the Mount request, and unmounts it
// before the next Mount (init.h unmounts it at power-off). Only the daemon running as PID 1 in the
// appliance may mount; in test mode every Mount is refused with EOPNOTSUPP.
//
// Owned by the Dispatcher; called from the serving thread only (thread-compatible).
#ifndef DISKFERRY_DAEMON_MOUNTER_H_
#define DISKFERRY_DAEMON_MOUNTER_H_

#include <string>
#include <string_view>

#include "daemon/modules.h"
#include "daemon/op_result.h"

namespace diskferry::daemon {

// What mount(2) gets for a filesystem type in a mode.
struct MountOptions {
  unsigned long flags = 0;  // MS_RDONLY, MS_NOSUID, ...
  std::string data;         // the data argument, passed verbatim ("noload"); may be empty
  // The flags in mount(8) spelling followed by the data: "ro,nosuid,nodev,noexec,noload".
  // This is the string MountReply.options carries.
  std::string description;
};

// Read-only mounts must not write to the device, where the drive is attached with
// readonly=on (docs/design-notes.md): ext3/ext4 "noload" (no journal replay), xfs "norecovery",
// btrfs "rescue=nologreplay" (the 5.9+ spelling of nologreplay; the old one logs a
// deprecation warning on 6.1). ext2, vfat and the rest need nothing beyond MS_RDONLY.
// With `replay` (read-only only: the device is a throw-away overlay over the source) none
// of these is passed, so the kernel replays a journal that needs it into the overlay and
// the mount shows what a running system had committed.
// Every mount is nosuid,nodev,noexec: nothing in an image is ever run or opened as a
// device by the appliance.
MountOptions ChooseMountOptions(std::string_view fstype, bool read_write, bool replay = false);

struct MountData {
  std::string fstype;   // as mounted (probed when the request left it empty)
  std::string options;  // MountOptions::description
  bool replayed = false;  // the kernel log says the mount replayed a journal
};

class Mounter {
 public:
  // `allowed`: running as PID 1 in the VM. `loader` must outlive the Mounter.
  // `sys_block_dir` (/sys/block) is where LVM and mapper names are looked up
  // (ResolveBlockDevice); empty: none are.
  Mounter(std::string sysroot, std::string dev_dir, bool allowed, FsModuleLoader* loader,
          std::string sys_block_dir = {});

  // Unmounts whatever is at the sysroot, then mounts `device` (any name ListFilesystems
  // lists, or an alias: /dev/sda1, /dev/vda1, /dev/md0, /dev/VG/LV, /dev/mapper/NAME,
  // /dev/dm-N; see storage_stack.h ResolveBlockDevice) there. Empty fstype: use the type blkid finds. Errors name the device as requested:
  // EOPNOTSUPP outside the VM; EINVAL for a malformed device or fstype, no filesystem
  // found, or swap; ENOENT/ENOTBLK when there is no such block device; mount(2)'s errno
  // otherwise, with any module that failed to load. A failed mount leaves nothing mounted.
  // `replay`: see ChooseMountOptions.
  OpResult<MountData> Mount(std::string_view device, bool read_write, std::string_view fstype,
                            bool replay = false);

  // Syncs and unmounts whatever is mounted at the sysroot (nothing mounted is fine).
  // EOPNOTSUPP outside the VM; umount2's errno (EBUSY) otherwise.
  OpResult<bool> Unmount();

 private:
  enum class State { kUnmounted, kMounted };

  // The real path of a requested device, a block device under dev_dir_.
  OpResult<std::string> DevicePath(std::string_view device) const;
  OpResult<bool> UnmountSysroot();
  OpResult<std::string> ResolveFstype(const std::string& path, std::string_view requested,
                                      std::string_view device);

  const std::string sysroot_;
  const std::string dev_dir_;
  const std::string sys_block_dir_;
  const bool allowed_;
  FsModuleLoader* const loader_;
  State state_ = State::kUnmounted;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_MOUNTER_H_
