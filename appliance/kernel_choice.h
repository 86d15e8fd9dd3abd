// Kernel choice: which installed kernel serves which filesystem type, and the kernel a
// session boots when the default one cannot mount what the session needs.
//
// The appliance boots the newest cloud kernel (kernel_locator.h): it boots fastest under
// TCG but lacks filesystems the generic kernel has (on Debian 12, f2fs). When a session's
// filesystem (the chosen one, or any of a whole-OS tree) has a type the booted kernel
// does not offer (its Hello) and another installed kernel does, the session's appliance is
// rebuilt (or taken from the cache) for that kernel and booted again on the same drives.
//
// Everything here is pure except SwitchKernelIfNeeded, which reads module indexes
// (appliance_builder.h: InstalledKernels), builds and launches. Thread-compatible.
#ifndef DISKFERRY_APPLIANCE_KERNEL_CHOICE_H_
#define DISKFERRY_APPLIANCE_KERNEL_CHOICE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/appliance.h"
#include "appliance/appliance_builder.h"
#include "appliance/guest_types.h"
#include "protocol/status.h"

namespace diskferry {

// For `fstype` (an offered type such as "f2fs"): the releases of the kernels in
// `installed` that serve it, in order. Empty: none does.
std::vector<std::string> KernelsServing(std::string_view fstype,
                                        const std::vector<KernelFilesystems>& installed);

// One fstype and the kernels that serve it.
struct FilesystemServers {
  std::string fstype;
  std::vector<std::string> releases;  // the booted kernel first when it serves the type
};

// Every fstype the booted appliance (its Hello) or a kernel of `installed` offers, sorted,
// each with the releases serving it: `booted_release` first when `booted_filesystems` has
// it, then the kernels of `installed` in order, each release once.
std::vector<FilesystemServers> ServingTable(std::string_view booted_release,
                                            const std::vector<std::string>& booted_filesystems,
                                            const std::vector<KernelFilesystems>& installed);

// A kernel to boot instead of the booted one, and why.
struct KernelSwitch {
  HostKernel kernel;
  std::string device;      // the first filesystem the booted kernel lacks the type of
  std::string blkid_type;  // its type as blkid says it: "ntfs", "f2fs"
};

// The kernel to boot so that every filesystem of `needed` can be mounted: nullopt when
// `booted_filesystems` (Hello) serves all of them, or when no kernel of `installed`
// (other than `booted_release`) serves every type the booted one lacks; otherwise the
// first such kernel in `installed` order. Types that are not filesystems ("swap",
// "LVM2_member", ...) are not looked at.
std::optional<KernelSwitch> ChooseKernelFor(const std::vector<FilesystemInfo>& needed,
                                            std::string_view booted_release,
                                            const std::vector<std::string>& booted_filesystems,
                                            const std::vector<KernelFilesystems>& installed);

// "disk.img: /dev/sda1 is f2fs, which 6.1.0-57-cloud-amd64 lacks; using 6.1.0-57-amd64".
std::string DescribeKernelSwitch(std::string_view image, std::string_view booted_release,
                                 const KernelSwitch& change);

// "/dev/sda1 is jfs, which no installed kernel mounts (6.1.0-57-cloud-amd64 and
// 6.1.0-57-amd64 lack jfs)"; for ntfs it adds "; install ntfs-3g on the host
// (scripts/setup.sh)". `releases`: the kernels looked at. The session's error adds the
// image name in front.
std::string DescribeNoKernelFor(const FilesystemInfo& filesystem,
                                const std::vector<std::string>& releases);

// The filesystems of `listing` a session needs: the one on `chosen_device`, or every
// mountable one (filesystem_choice.h: IsMountableType) when `whole_os` is set.
std::vector<FilesystemInfo> NeededFilesystems(const std::vector<FilesystemInfo>& listing,
                                              std::string_view chosen_device, bool whole_os);

// The relaunch step of ImageSession::Open, called after the listing and before the mount.
// When ChooseKernelFor picks another kernel (and the appliance was built here, not loaded
// from an exported directory or --kernel), sets `*announcement` to DescribeKernelSwitch
// (which begins with `image_name`; it holds guest text, so escape it to print it), builds
// (or reuses) that kernel's appliance with `build`, shuts `*appliance` down and launches
// the new one with `launch` (whose drives stay the same; the booted appliance never
// mounted them) and the new image. Returns true when it switched: the caller lists
// again (the new daemon has activated and unlocked nothing yet). `whole_os`: a filesystem
// no kernel mounts is left for the daemon to skip; otherwise (the chosen one) it is
// kFailedPrecondition with DescribeNoKernelFor. On an error after the switch began
// `*appliance` may be gone (nullptr) and the session is unusable.
Result<bool> SwitchKernelIfNeeded(std::string_view image_name,
                                  const std::vector<FilesystemInfo>& needed, bool whole_os,
                                  const ApplianceBuildConfig& build, ApplianceConfig launch,
                                  ApplianceImage* image, std::unique_ptr<Appliance>* appliance,
                                  std::string* announcement);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_KERNEL_CHOICE_H_
