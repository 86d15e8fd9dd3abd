// Storage tools: the host's LVM2, cryptsetup, mdadm, dmsetup, thin-provisioning, ntfs-3g
// and Sleuth Kit (fls, icat) binaries, packed into the appliance with everything they need
// to run there: their shared-library closure (DT_NEEDED, resolved as the dynamic loader
// would), the loader itself (PT_INTERP), the few files they dlopen, and udev-less
// configuration files.
//
// A tool missing on the host, or whose closure cannot be resolved, is left out and named
// in `absent`; nothing fails until a disk needs it (the daemon then says which package
// to install). PlanStorageTools reads only ELF headers (mmap, a few pages per file), so
// that planning stays cheap on every launch. Thread-safe (no shared state).
#ifndef DISKFERRY_APPLIANCE_STORAGE_TOOLS_H_
#define DISKFERRY_APPLIANCE_STORAGE_TOOLS_H_

#include <string>
#include <string_view>
#include <vector>

namespace diskferry {

struct StorageToolsConfig {
  // The host filesystem the tools are taken from; "" is "/". Guest paths are host paths
  // with this prefix removed. Tests point it at a scratch tree.
  std::string root;
};

struct StorageToolFile {
  std::string guest;   // absolute path in the initramfs: "/lib/x86_64-linux-gnu/libc.so.6"
  std::string source;  // host file whose bytes are copied (symlinks followed)
};

struct StorageToolLink {
  std::string guest;   // "/usr/sbin/thin_check"
  std::string target;  // "/usr/sbin/pdata_tools"
};

struct StorageToolsPlan {
  std::vector<std::string> present;    // packed tool names, sorted: "cryptsetup", "lvm", ...
  std::vector<std::string> absent;     // one line per tool left out: "mdadm: not installed (...)"
  std::vector<StorageToolFile> files;  // sorted by guest path, each once
  std::vector<StorageToolLink> links;  // sorted by guest path

  bool Has(std::string_view tool) const;
  // Every source file, in guest-path order: inputs of the appliance's cache key.
  std::vector<std::string> Sources() const;
};

// The tools the appliance may carry, sorted: cache_check, cryptsetup, dmsetup, fls, icat,
// lvm, mdadm, ntfs-3g, thin_check. Each lives at /usr/sbin/NAME in the guest (ntfs-3g, fls
// and icat are in /usr/bin on Debian hosts).
std::vector<std::string> StorageToolNames();

// The Debian package that installs `tool` ("lvm" -> "lvm2"); "" for an unknown name.
std::string StorageToolPackage(std::string_view tool);

// Looks for each tool under config.root and resolves its closure.
StorageToolsPlan PlanStorageTools(const StorageToolsConfig& config);

// /etc/lvm/lvm.conf for an appliance without udev, lvmpolld, dmeventd or dbus: devices
// from a scan of /dev, locks in /run, no metadata backups or archives (the image is what
// is being read; nothing of it is kept in the appliance), and thin_check / cache_check
// run when packed, otherwise skipped ("").
std::string RenderLvmConf(const StorageToolsPlan& plan);

// /etc/mdadm/mdadm.conf: scan every partition, treat every array as local (HOMEHOST
// <ignore>, so that arrays from another machine keep their names), no monitoring mail.
std::string RenderMdadmConf();

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_STORAGE_TOOLS_H_
