// What an appliance does at Hello to become this launch's own: set its clock from the
// host's, mix the host's random bytes into its entropy pool and reseed it, and, when it was
// restored from a template (docs/architecture.md, "Appliance templates"), find the disks the
// host attached after the restore.
//
// A template is saved while the daemon waits for its next request, before any disk exists:
// the restored guest wakes with the template's clock and entropy pool and without disks,
// and its ivshmem BAR is backed by this launch's new (zeroed) region. The PCI bus is
// rescanned so that virtio_blk (loaded at boot) binds the new virtio-blk devices, in slot
// order, which is the order a cold boot gives them (vda, vdb, ...).
//
// Stateless functions; the paths are parameters so that tests run them on scratch trees.
#ifndef DISKFERRY_DAEMON_AFTER_RESTORE_H_
#define DISKFERRY_DAEMON_AFTER_RESTORE_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "daemon/op_result.h"

namespace diskferry::daemon {

inline constexpr char kPciRescanFile[] = "/sys/bus/pci/rescan";
// A rescan probes the new devices synchronously; this only bounds a disk whose driver
// binds asynchronously.
inline constexpr std::chrono::milliseconds kDiskWaitTimeout(5000);

// clock_settime(CLOCK_REALTIME). OpError with errno when the kernel refuses.
OpResult<bool> SetGuestClock(int64_t realtime_ns);

// Adds `bytes` to the kernel's entropy pool through `random_device` (/dev/urandom),
// crediting them (RNDADDENTROPY), then reseeds the CRNG at once (RNDRESEEDCRNG). Needs
// CAP_SYS_ADMIN: PID 1 in the appliance.
OpResult<bool> MixHostEntropy(std::span<const uint8_t> bytes, const std::string& random_device);

// Writes "1" to `rescan_file` (kPciRescanFile).
OpResult<bool> RescanPciBus(const std::string& rescan_file);

// Writes "1" to `device_dir`/enable (a /sys/bus/pci/devices entry): turns on the memory
// decoding of a device no driver claims, such as ivshmem found by a rescan (the firmware
// does it for a cold boot's devices).
OpResult<bool> EnablePciDevice(const std::string& device_dir);

// The number of virtio-blk disks (names "vd" + letters) under `sys_block_dir`.
int CountVirtioDisks(const std::string& sys_block_dir);

// Waits until `sys_block_dir` holds at least `disks` virtio-blk disks, polling every few
// milliseconds, for at most `timeout`. ETIMEDOUT naming both counts.
OpResult<bool> WaitForVirtioDisks(const std::string& sys_block_dir, uint32_t disks,
                                  std::chrono::milliseconds timeout);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_AFTER_RESTORE_H_
