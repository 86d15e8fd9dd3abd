// An appliance directory: one built appliance as files, `kernel`, `initrd.cpio`,
// `storage.cpio` (the storage disk, when the building host had storage tools) and
// `manifest`. The builder's cache entries have this layout (appliance_cache.h), and
// `diskferry appliance export DIR` writes one anywhere, so that a host that cannot build
// an appliance (Windows: no Linux kernel, modules or busybox to take) can boot one built
// on Linux (--appliance DIR or DISKFERRY_APPLIANCE; docs/windows.md).
//
// Portable: compiled on Linux and Windows hosts. Thread-safe (no shared state).
#ifndef DISKFERRY_APPLIANCE_APPLIANCE_DIR_H_
#define DISKFERRY_APPLIANCE_APPLIANCE_DIR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/appliance_image.h"
#include "protocol/status.h"

namespace diskferry {

// Bumped whenever what the builder puts into an image changes (layout, module sets,
// manifest format), so entries built by older code stop matching.
inline constexpr int kApplianceFormatVersion = 6;
inline constexpr std::string_view kApplianceManifestMagic = "diskferry-appliance";
inline constexpr std::string_view kApplianceKernelFile = "kernel";
inline constexpr std::string_view kApplianceInitrdFile = "initrd.cpio";
inline constexpr std::string_view kApplianceStorageFile = "storage.cpio";
inline constexpr std::string_view kApplianceManifestFile = "manifest";
inline constexpr char kApplianceDirEnvVar[] = "DISKFERRY_APPLIANCE";

// The `manifest` file: what ApplianceImage needs besides the file paths, plus the sizes
// that prove the files are whole.
struct ApplianceManifest {
  std::string kernel_source;  // host path the kernel was copied from
  std::string kernel_release;
  std::vector<std::string> filesystems;
  uint64_t kernel_size = 0;
  uint64_t initrd_size = 0;
  std::vector<std::string> storage_tools;
  uint64_t storage_size = 0;  // of storage.cpio; 0 when there is none
};
std::string RenderManifest(const ApplianceManifest& manifest);
// Errors: kInvalidArgument for another format version or a missing field.
Result<ApplianceManifest> ParseManifest(std::string_view text);

// The appliance in `dir`, with reused = true and cache_key "dir:<dir>". Errors name the
// directory: kNotFound when a file is missing, kInvalidArgument for a manifest of another
// format version (an appliance from another diskferry version) or files whose sizes are
// not the manifest's (a copy cut short).
Result<ApplianceImage> LoadApplianceDir(const std::string& dir);

// Copies `image` (kernel, initrd, storage disk and a manifest recording their sizes) into `dir`, created
// if missing; existing files of those names are replaced. Errors name the file.
Status ExportApplianceDir(const ApplianceImage& image, const std::string& dir);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_APPLIANCE_DIR_H_
