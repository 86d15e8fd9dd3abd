// The storage stack of the appliance: md RAID arrays (mdadm), LVM volume groups (lvm) and
// LUKS containers (cryptsetup) on the attached disks, and the names the daemon lists them
// by (README.md, "Storage stack").
//
// Nothing runs until a device needs it: ListFilesystems with `activate` probes every
// block device and assembles md arrays only when one carries linux_raid_member, and
// activates volume groups only when one carries LVM2_member. Each step runs again only
// when member devices appeared that it has not seen (LVM inside a LUKS container opened
// since, LVM on an md array). Tools run through RunTool with a time limit; a tool that
// fails, or a volume group that lacks a disk, is a `problems` line, never an error of the
// whole listing.
//
// Everything the stack reads or runs comes through StorageSystem, so that tests give it a
// scratch sysfs tree, canned probes and a fake tool runner.
//
// One StorageStack per connection, owned by the Dispatcher and called from the serving
// thread only (thread-compatible).
#ifndef DISKFERRY_DAEMON_STORAGE_STACK_H_
#define DISKFERRY_DAEMON_STORAGE_STACK_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/block_devices.h"
#include "daemon/modules.h"
#include "daemon/op_result.h"
#include "daemon/tool_runner.h"

namespace diskferry::daemon {

// Time limits of the tools. mdadm and lvm read metadata only (thin_check reads a thin
// pool's metadata, which can take a while under TCG); cryptsetup derives a key with the
// header's KDF, and argon2 under TCG takes minutes (the host waits a little longer).
inline constexpr std::chrono::seconds kMdadmTimeout{60};
inline constexpr std::chrono::seconds kLvmTimeout{120};
inline constexpr std::chrono::seconds kCryptsetupTimeout{300};

// What the stack needs from the system; the defaults are the appliance's.
struct StorageSystem {
  std::string sys_block_dir;  // /sys/block; empty: no block devices (test mode)
  std::string dev_dir = "/dev";
  std::function<OpResult<FsProbe>(const std::string& path)> probe = ProbeFilesystem;
  std::function<OpResult<ToolOutcome>(const std::vector<std::string>& argv,
                                      std::string_view stdin_bytes,
                                      std::chrono::milliseconds timeout)>
      run_tool = [](const std::vector<std::string>& argv, std::string_view stdin_bytes,
                    std::chrono::milliseconds timeout) {
        return RunTool(argv, stdin_bytes, timeout);
      };
  std::function<OpResult<std::string>(std::string_view name)> tool_path = StorageToolPath;
  // Requested devices must be block devices; tests name plain files in a scratch dev_dir.
  bool block_devices_only = true;
};

struct ListedDevice {
  std::string device;       // the name replies use: /dev/sda1, /dev/md0, /dev/vg/lv, ...
  std::string kernel_name;  // vda1, md0, dm-3
  FsProbe probe;
  uint64_t size = 0;
  std::vector<std::string> aliases;  // /dev/mapper/vg-lv, /dev/dm-3
  std::string note;                  // "LVM physical volume of VG vg0", ...
};

struct StorageListing {
  std::vector<ListedDevice> filesystems;  // devices where blkid finds a TYPE
  std::vector<std::string> problems;      // one line each, for the user
};

// "vg--a-lv" -> {"vg-a", "lv"}: a device-mapper name of an LVM volume, where '-' inside
// names is doubled. nullopt when there is no single '-' to split at.
std::optional<std::pair<std::string, std::string>> SplitLvmDmName(std::string_view dm_name);

// {"vg-a", "lv"} -> "vg--a-lv".
std::string LvmDmName(std::string_view vg, std::string_view lv);

// The appliance's path of a device named in a request, as listed or by an alias:
// /dev/sdX[N] or /dev/vdX[N], /dev/mdN, /dev/md/NAME, /dev/VG/LV, /dev/mapper/NAME,
// /dev/dm-N. LVM and mapper names are found by their device-mapper name in
// `sys_block_dir`, so no /dev symlink is needed. The path returned is the real one (links
// followed) and must be under `dev_dir` and, with `block_only`, a block device. Errors
// name the device as given: EINVAL for a malformed name or one leading outside dev_dir;
// ENOENT; ENOTBLK.
OpResult<std::string> ResolveBlockDevice(const std::string& sys_block_dir,
                                         const std::string& dev_dir, std::string_view requested,
                                         bool block_only = true);

// /etc/diskferry/modules.storage of the appliance, parsed; empty when missing (warnings
// are logged).
StorageModuleTable ReadStorageModuleTable();

class StorageStack {
 public:
  // `modules` must outlive the stack.
  StorageStack(StorageSystem system, StorageModuleLoader* modules);

  // Every block device with a filesystem or member signature, named as above. With
  // `activate`, md arrays are assembled and volume groups activated first (read-only
  // unless `read_write`) when new member devices call for it.
  StorageListing List(bool activate, bool read_write);

  // Opens the LUKS container `device` (any listed name) with `key` fed to cryptsetup on
  // its stdin (the copy made for that is wiped). Returns /dev/mapper/luks-<UUID>, also
  // when it was open already. Errors name the device: EINVAL for a name that is no block
  // device here, a device that is not LUKS or an empty key; EKEYREJECTED when no key
  // slot opens with the key; ENOMEM when the key derivation needs more memory than the
  // appliance has; ETIMEDOUT; ENOENT when cryptsetup is not in this appliance; EIO for
  // any other cryptsetup failure (its last line of stderr).
  OpResult<std::string> Unlock(std::string_view device, std::span<const uint8_t> key,
                               bool read_write);

 private:
  struct Probed {
    BlockDevice device;
    FsProbe probe;
  };

  std::vector<Probed> ProbeAll() const;
  void Activate(bool read_write);
  void AssembleRaid(bool read_write);
  void ActivateLvm(bool read_write);
  // Reads `lvm pvs` into pv_vg_ and returns the VGs to activate; incomplete ones become
  // problems.
  std::vector<std::string> CompleteVolumeGroups(const std::string& lvm, bool read_write);
  void ReadVisibleLvs(const std::string& lvm, bool read_write);
  // Loads `group`, adding a problems line per module that failed.
  void LoadGroup(const std::string& group, std::vector<std::string>* problems);
  std::optional<ListedDevice> Describe(const Probed& probed) const;
  std::string MemberNote(const Probed& probed) const;
  // The kernel name of a PV as lvm names it (/dev/vdb, /dev/mapper/NAME, /dev/md/NAME).
  std::string KernelNameOfPath(std::string_view path) const;

  const StorageSystem system_;
  StorageModuleLoader* const modules_;
  // Member devices (kernel names) each step has run for.
  std::set<std::string> raid_members_seen_;
  std::set<std::string> lvm_members_seen_;
  // From the last run of each step; listed with every listing until the step runs again.
  std::vector<std::string> raid_problems_;
  std::vector<std::string> lvm_problems_;
  // Kernel name of each PV -> its VG, from `lvm pvs`.
  std::map<std::string, std::string> pv_vg_;
  // VG -> the LVs `lvm lvs` reports (it leaves out hidden ones), thin and VDO pools
  // removed. A VG missing here falls back to the naming rules (SplitLvmDmName).
  std::map<std::string, std::set<std::string>> visible_lvs_;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_STORAGE_STACK_H_
