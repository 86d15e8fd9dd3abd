// Kernel locator: picks the host kernel the appliance boots, and finds its modules.
//
// The appliance boots the host's own Debian kernel (/boot/vmlinuz-RELEASE) with the
// modules from /lib/modules/RELEASE. Roots are parameters so tests can point at a fake
// tree. Reads directories and file headers only; thread-safe.
#ifndef DISKFERRY_APPLIANCE_KERNEL_LOCATOR_H_
#define DISKFERRY_APPLIANCE_KERNEL_LOCATOR_H_

#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

struct KernelSearchRoots {
  std::string boot_dir = "/boot";
  std::string modules_root = "/lib/modules";
};

struct HostKernel {
  std::string path;         // the bzImage to boot
  std::string release;      // "6.1.0-56-cloud-amd64"
  std::string modules_dir;  // MODULES_ROOT/RELEASE, holding modules.dep
  std::string config_path;  // BOOT_DIR/config-RELEASE, or "" when there is none
};

// Orders kernel releases as versions: digit runs compare as numbers, so
// "6.1.0-10-amd64" > "6.1.0-9-amd64" and "6.10.0-1" > "6.9.0-1". Returns <0, 0 or >0.
int CompareKernelReleases(std::string_view a, std::string_view b);

// True for Debian's cloud flavour ("...-cloud-amd64"): virtio built for VMs, few drivers,
// and the fastest boot under TCG.
bool IsCloudRelease(std::string_view release);

// Chooses among BOOT_DIR/vmlinuz-*: the newest cloud kernel that has
// MODULES_ROOT/RELEASE/modules.dep, else the newest other kernel that has one.
// Errors: kNotFound listing every kernel seen and why it was not used;
// kFailedPrecondition when the chosen kernel is not readable (see CheckKernelReadable).
Result<HostKernel> FindHostKernel(const KernelSearchRoots& roots);

// Every kernel FindHostKernel could choose (it has a modules.dep and is readable), in its
// order of preference: cloud kernels first, newest first within each group. Kernels that
// cannot be used are left out; empty when there is none.
std::vector<HostKernel> ListHostKernels(const KernelSearchRoots& roots);

// Uses the kernel at `path` (the --kernel option). The release comes from a
// "vmlinuz-RELEASE" file name when MODULES_ROOT/RELEASE exists, else from the version
// string inside the bzImage. Errors: kNotFound for a missing file or when no modules
// directory matches; kFailedPrecondition when it is not readable.
Result<HostKernel> UseKernel(const std::string& path, const KernelSearchRoots& roots);

// The release recorded in a bzImage's setup header ("6.1.0-56-cloud-amd64").
// Errors: kInvalidArgument when `path` is not a bzImage, kIoError/kNotFound on I/O.
Result<std::string> ReadBzImageRelease(const std::string& path);

// Ok when the current user can read `path`. Debian installs kernels mode 0600, so the
// error says to run as root or `sudo chmod 0644 /boot/vmlinuz-*` (as libguestfs needs).
Status CheckKernelReadable(const std::string& path);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_KERNEL_LOCATOR_H_
