// DaemonContext: what the daemon learned at startup and every handler may read. Built once
// by main (PID 1 mode or test mode) before Serve, then read-only.
//
// Thread-safe for concurrent reads once built; nothing in it changes while serving.
#ifndef DISKFERRY_DAEMON_DAEMON_CONTEXT_H_
#define DISKFERRY_DAEMON_DAEMON_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/modules.h"
#include "protocol/shm_layout.h"

namespace diskferry::daemon {

inline constexpr char kVmSysroot[] = "/sysroot";

struct DaemonContext {
  // Where Mount mounts the filesystem and where every request path is resolved: "/" of a
  // request is this directory. "/sysroot" in the VM, a scratch directory in tests.
  std::string sysroot;
  // True when running as PID 1 in the appliance: Mount, unmount and power-off are allowed.
  bool in_vm = false;
  // Size of the ivshmem BAR2 mapped at startup; 0 when there is none, or when its size
  // gives no valid lane layout (the host then uses the socket lane).
  uint64_t shm_size = 0;
  // The mapping and its lane layout (protocol/shm_layout.h) when shm_size is not 0. The
  // region itself is shared with the host and written during transfers; this struct only
  // names it.
  uint8_t* shm_base = nullptr;
  std::optional<ShmLayout> shm_layout;
  // Guest uptime (CLOCK_BOOTTIME) when the daemon started, for the boot log.
  uint64_t started_ms = 0;
  // Filesystem types this appliance can mount, sorted and unique (see MergeFilesystems).
  std::vector<std::string> filesystems;
  // uname -r.
  std::string kernel_release;
  // From /etc/diskferry/modules.fs; Mount loads a type's modules on first use.
  FsModuleTable fs_modules;
  // Where block devices are enumerated and opened. Empty sys_block_dir: no block devices
  // (test mode must never probe the host's disks).
  std::string sys_block_dir;
  std::string dev_dir = "/dev";
  // Where Hello reads the launch secret QEMU's fw_cfg carries (kLaunchSecretSysfsPath in
  // the VM). Read at each Hello, not at boot: an appliance restored from a snapshot taken
  // before its Hello answers with the secret of its own launch. Empty: no secret (test
  // mode).
  std::string launch_secret_path;
  // What Hello uses in the VM (after_restore.h): the PCI rescan file (kPciRescanFile) and
  // the random device that takes the host's entropy ("/dev/urandom"). Empty: the step is
  // skipped (test mode), as is setting the clock when in_vm is false.
  std::string pci_rescan_file;
  std::string random_device;
  // Called by the first Hello after a restore, once the disks are there: maps the
  // devices a template does not have (the ivshmem region, init.cc) and records them in
  // this context (shm_*). Empty: nothing to attach (test mode).
  std::function<void()> attach_restored_devices;
};

// Non-"nodev" entries of /proc/filesystems text plus every type in `fs_modules`, sorted
// and unique.
std::vector<std::string> MergeFilesystems(std::string_view proc_filesystems,
                                          const FsModuleTable& fs_modules);

// uname(2) release, "unknown" if it fails.
std::string KernelRelease();

// Milliseconds since the (guest) kernel booted, from CLOCK_BOOTTIME.
uint64_t UptimeMs();

// A context for test mode: serves `sysroot` with no mounts, no shm and no block devices;
// filesystems come from this kernel's /proc/filesystems.
DaemonContext MakeTestContext(std::string sysroot);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_DAEMON_CONTEXT_H_
