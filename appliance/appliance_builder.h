// Appliance builder: turns the host kernel, its modules, busybox and the daemon into a
// bootable ApplianceImage (kernel + initramfs), cached across runs.
//
//   ApplianceBuildConfig --PlanAppliance--> AppliancePlan --BuildAppliance--> ApplianceImage
//
// One entry per kernel: a session whose filesystem the default kernel cannot mount builds
// (or reuses) the entry of the kernel that can (kernel_choice.h), beside the default one.
// BuildAppliance reuses a cache entry whose key (a digest of the paths, sizes and mtimes
// of every input file) matches, in a few milliseconds; otherwise it builds one (well
// under a second) and publishes it atomically. Safe to call from several threads and
// processes at once with the same cache directory: they all get the same complete entry.
#ifndef DISKFERRY_APPLIANCE_APPLIANCE_BUILDER_H_
#define DISKFERRY_APPLIANCE_APPLIANCE_BUILDER_H_

#include <string>
#include <vector>

#include "appliance/appliance_image.h"
#include "appliance/cache_dir.h"
#include "appliance/kernel_locator.h"
#include "appliance/module_index.h"
#include "appliance/module_plan.h"
#include "appliance/storage_tools.h"
#include "protocol/status.h"

namespace diskferry {

struct ApplianceBuildConfig {
  std::string kernel;                    // --kernel PATH; empty: FindHostKernel chooses
  std::string daemon;                    // the static diskferry-daemon, becomes /init
  std::string busybox = "/bin/busybox";  // must be static (busybox-static)
  std::string cache_dir;                 // empty: DefaultCacheDir() (cache_dir.h)
  // --appliance DIR or DISKFERRY_APPLIANCE: boot this exported appliance directory
  // (appliance_dir.h) and build nothing. See PrepareAppliance (image_session.h).
  std::string appliance_dir;
  bool force_rebuild = false;            // build even when a fresh entry exists
  KernelSearchRoots roots;               // where kernels and module trees live
  StorageToolsConfig tools;              // where storage tools are taken from (root "/")
};

// Everything decided before any file is written.
struct AppliancePlan {
  HostKernel kernel;
  ModuleIndex index;
  ModulePlan modules;
  StorageToolsPlan tools;
  std::string daemon;
  std::string busybox;
  std::string cache_dir;
  std::vector<std::string> inputs;  // every file the image is made of, in key order
  std::string cache_key;
};

// Whether this host can build appliances: true on Linux. A Windows host has no Linux
// kernel, modules or busybox to take; its BuildAppliance fails with kUnavailable saying
// how to export an appliance on Linux and boot it with --appliance (docs/windows.md).
bool HostBuildsAppliances();

// Chooses the kernel, reads its module indexes, plans the modules and computes the
// cache key. Reads index files and stats inputs; writes nothing. Errors: those of
// FindHostKernel/UseKernel; kInvalidArgument for a missing daemon or busybox, or a
// malformed module index; kFailedPrecondition when the kernel lacks a boot module.
Result<AppliancePlan> PlanAppliance(const ApplianceBuildConfig& config);

// One kernel installed on this host and the fstypes an appliance built on it offers
// (ModulePlan::FilesystemNames), sorted.
struct KernelFilesystems {
  HostKernel kernel;
  std::vector<std::string> filesystems;
};

// Every kernel ListHostKernels finds, in its order, with what it offers, from its module
// indexes and config (the generic kernel's modules.alias, the biggest file read, is about
// 1.3 MB). A kernel whose indexes cannot be read, or that lacks a boot module, is left out.
// ntfs counts only when the host has ntfs-3g (`tools`). Empty on a host that does not
// build appliances.
std::vector<KernelFilesystems> InstalledKernels(const KernelSearchRoots& roots,
                                               const StorageToolsConfig& tools);

// Returns the cached image for `config` (reused = true), building it first when there is
// no complete entry for its key or force_rebuild is set (reused = false). Errors: those of
// PlanAppliance, and kIoError/kNotFound naming a file that could not be read or written.
Result<ApplianceImage> BuildAppliance(const ApplianceBuildConfig& config);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_APPLIANCE_BUILDER_H_
