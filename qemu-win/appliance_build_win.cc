// The appliance builder's entry points on a Windows host, which cannot build an
// appliance: the builder takes a Linux kernel, its modules and a static busybox from the
// host it runs on (appliance_builder.h). A Windows host boots an appliance directory
// exported on Linux instead (appliance_dir.h, docs/windows.md).
#include <string>

#include "appliance/appliance_builder.h"
#include "appliance/appliance_dir.h"

namespace diskferry {

bool HostBuildsAppliances() { return false; }

// No Linux kernels to choose among: an exported appliance is booted as it is.
std::vector<KernelFilesystems> InstalledKernels(const KernelSearchRoots& roots,
                                               const StorageToolsConfig& tools) {
  (void)roots;
  (void)tools;
  return {};
}

Result<ApplianceImage> BuildAppliance(const ApplianceBuildConfig& config) {
  (void)config;
  return Status(Code::kUnavailable,
                std::string("a Windows host cannot build the appliance (it is made from a Linux "
                            "kernel, its modules and busybox): on a Debian machine run "
                            "`diskferry appliance export DIR`, copy DIR here, and pass it with "
                            "--appliance DIR or set ") +
                    kApplianceDirEnvVar + " (docs/windows.md)");
}

}  // namespace diskferry
