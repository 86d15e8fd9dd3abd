// ModulePlan: which kernel modules go into the appliance and what they make possible.
//
// Three sets: the boot set (virtio transport, disk and console drivers, and qemu_fw_cfg
// for the launch secret; all loaded by the daemon at boot); per supported filesystem type, the modules its mount needs (loaded by
// the daemon before the first mount of that type); and per storage group (device mapper,
// dm-crypt, thin provisioning, snapshots, mirrors, md RAID), the modules the storage tools
// need (loaded by the daemon before it runs them, never at boot). A filesystem or group is
// offered when each module it requires is built in or loadable with its whole closure;
// optional companions (other NLS tables, AF_ALG sockets) are shipped when present.
// Pure; thread-safe.
#ifndef DISKFERRY_APPLIANCE_MODULE_PLAN_H_
#define DISKFERRY_APPLIANCE_MODULE_PLAN_H_

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/module_index.h"

namespace diskferry {

struct FilesystemModules {
  std::string fstype;              // as mount(2) spells it: "vfat", "iso9660"
  std::vector<std::string> paths;  // relative module paths, load order; empty: built in
};

struct StorageModules {
  std::string group;               // "dm", "crypt", "thin", "snapshot", "mirror", "raid"
  std::vector<std::string> paths;  // relative module paths, load order; empty: built in
};

struct ModulePlan {
  std::vector<std::string> boot;               // relative module paths, load order
  std::vector<std::string> boot_missing;       // boot modules this kernel lacks entirely
  std::vector<FilesystemModules> filesystems;  // offered, sorted by fstype
  std::vector<std::string> not_offered;        // fstypes this kernel cannot mount, sorted
  std::vector<StorageModules> storage;         // offered groups, in StorageModuleGroups() order
  std::vector<std::string> storage_not_offered;  // groups this kernel lacks a module of

  // Every module path in the plan, once.
  std::set<std::string> AllPaths() const;
  // The offered fstypes, sorted.
  std::vector<std::string> FilesystemNames() const;
  // Stops offering `fstype` (moves it to not_offered): for ntfs when the host has no
  // ntfs-3g, whose FUSE module alone mounts nothing.
  void Withhold(std::string_view fstype);
};

// Modules the appliance loads at boot, before anything else.
const std::vector<std::string>& BootModuleNames();

// Fstypes the appliance may offer, sorted: btrfs, exfat, ext2, ext3, ext4, f2fs, iso9660,
// ntfs (fuse, with the ntfs-3g storage tool), squashfs, udf, vfat, xfs.
std::vector<std::string> SupportedFilesystems();

// The storage groups the appliance may offer, in dependency order: dm (dm-mod), crypt
// (dm-crypt and the ciphers, modes and hashes LUKS volumes use, plus the AF_ALG sockets
// cryptsetup decrypts keyslots through), thin (dm-thin-pool), snapshot (dm-snapshot),
// mirror (dm-mirror), raid (md-mod, raid0/1/10/456, linear, dm-raid).
std::vector<std::string> StorageModuleGroups();

// What a kernel config file (/boot/config-RELEASE) says, as far as planning cares.
struct KernelConfig {
  std::set<std::string> builtin;              // symbols set to "y"
  std::map<std::string, std::string> values;  // every "CONFIG_X=value", quotes removed

  // The value of `symbol`, or `fallback` when the config does not set it.
  std::string Value(const std::string& symbol, std::string_view fallback) const;
};
KernelConfig ParseKernelConfig(std::string_view config_text);

// The modules mounting `fstype` needs on this kernel: the driver, plus for vfat the NLS
// tables of the default codepage and iocharset the kernel was configured with (Debian:
// 437 and "ascii"; upstream: 437 and "iso8859-1"). Empty for an unknown fstype.
std::vector<std::string> RequiredModules(std::string_view fstype, const KernelConfig& config);

// True when `fstype` needs no module: modules.builtin lists each module it requires, or
// the kernel config builds it in (=y). False for unknown fstypes.
bool FilesystemIsBuiltin(std::string_view fstype, const ModuleIndex& index,
                         const KernelConfig& config);

// The plan for this kernel. `config` may be empty (no config file): upstream defaults
// are assumed then.
ModulePlan PlanModules(const ModuleIndex& index, const KernelConfig& config);

// /etc/diskferry/modules.boot: one absolute guest path per line, load order.
std::string RenderModulesBoot(const ModulePlan& plan, std::string_view release);

// /etc/diskferry/modules.fs: one line per offered fstype, "FSTYPE PATH PATH ..." with
// absolute guest paths in load order; a line holding only FSTYPE means built in.
std::string RenderModulesFs(const ModulePlan& plan, std::string_view release);

// /etc/diskferry/modules.storage: one line per offered group, "GROUP PATH PATH ..." like
// modules.fs; a line holding only GROUP means built in.
std::string RenderModulesStorage(const ModulePlan& plan, std::string_view release);

// "/lib/modules/RELEASE/" + DecompressedModulePath(path): where a module lives in the guest.
std::string GuestModulePath(std::string_view release, std::string_view path);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_MODULE_PLAN_H_
