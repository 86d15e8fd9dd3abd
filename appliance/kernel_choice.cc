#include "appliance/kernel_choice.h"

#include <algorithm>
#include <map>
#include <utility>

#include "appliance/filesystem_choice.h"
#include "appliance/image_session.h"
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

bool Contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// The filesystems of `needed` whose type the booted kernel does not offer.
std::vector<const FilesystemInfo*> Lacking(const std::vector<FilesystemInfo>& needed,
                                           const std::vector<std::string>& booted_filesystems) {
  std::vector<const FilesystemInfo*> lacking;
  for (const FilesystemInfo& fs : needed) {
    if (!IsMountableType(fs.fstype)) continue;
    if (!Contains(booted_filesystems, fs.fstype)) lacking.push_back(&fs);
  }
  return lacking;
}

}  // namespace

std::vector<std::string> KernelsServing(std::string_view fstype,
                                        const std::vector<KernelFilesystems>& installed) {
  std::vector<std::string> releases;
  for (const KernelFilesystems& k : installed) {
    if (Contains(k.filesystems, fstype)) releases.push_back(k.kernel.release);
  }
  return releases;
}

std::vector<FilesystemServers> ServingTable(std::string_view booted_release,
                                            const std::vector<std::string>& booted_filesystems,
                                            const std::vector<KernelFilesystems>& installed) {
  std::map<std::string, std::vector<std::string>> table;
  auto add = [&](const std::string& fstype, std::string_view release) {
    std::vector<std::string>& releases = table[fstype];
    if (!Contains(releases, release)) releases.emplace_back(release);
  };
  for (const std::string& fstype : booted_filesystems) add(fstype, booted_release);
  for (const KernelFilesystems& k : installed) {
    for (const std::string& fstype : k.filesystems) add(fstype, k.kernel.release);
  }
  std::vector<FilesystemServers> rows;
  for (auto& [fstype, releases] : table) rows.push_back({fstype, std::move(releases)});
  return rows;
}

std::optional<KernelSwitch> ChooseKernelFor(const std::vector<FilesystemInfo>& needed,
                                            std::string_view booted_release,
                                            const std::vector<std::string>& booted_filesystems,
                                            const std::vector<KernelFilesystems>& installed) {
  const std::vector<const FilesystemInfo*> lacking = Lacking(needed, booted_filesystems);
  if (lacking.empty()) return std::nullopt;
  for (const KernelFilesystems& k : installed) {
    if (k.kernel.release == booted_release) continue;
    const bool serves_all =
        std::all_of(lacking.begin(), lacking.end(), [&](const FilesystemInfo* fs) {
          return Contains(k.filesystems, fs->fstype);
        });
    if (serves_all) return KernelSwitch{k.kernel, lacking.front()->device, lacking.front()->fstype};
  }
  return std::nullopt;
}

std::string DescribeKernelSwitch(std::string_view image, std::string_view booted_release,
                                 const KernelSwitch& change) {
  return std::string(image) + ": " + PrintableText(change.device) + " is " +
         PrintableText(change.blkid_type) + ", which " + std::string(booted_release) +
         " lacks; using " + change.kernel.release;
}

std::string DescribeNoKernelFor(const FilesystemInfo& filesystem,
                                const std::vector<std::string>& releases) {
  std::string looked;
  for (size_t i = 0; i < releases.size(); ++i) {
    looked += (i == 0 ? "" : i + 1 == releases.size() ? " and " : ", ") + releases[i];
  }
  std::string text = PrintableText(filesystem.device) + " is " +
                     PrintableText(filesystem.fstype) + ", which no installed kernel mounts (" +
                     looked + (releases.size() == 1 ? " lacks " : " lack ") +
                     PrintableText(filesystem.fstype) + ")";
  // Every kernel with FUSE mounts ntfs once the host has ntfs-3g for the appliance.
  if (filesystem.fstype == "ntfs") text += "; install ntfs-3g on the host (scripts/setup.sh)";
  return text;
}

std::vector<FilesystemInfo> NeededFilesystems(const std::vector<FilesystemInfo>& listing,
                                              std::string_view chosen_device, bool whole_os) {
  std::vector<FilesystemInfo> needed;
  for (const FilesystemInfo& fs : listing) {
    if (whole_os ? IsMountableType(fs.fstype) : fs.device == chosen_device) needed.push_back(fs);
  }
  return needed;
}

Result<bool> SwitchKernelIfNeeded(std::string_view image_name,
                                  const std::vector<FilesystemInfo>& needed, bool whole_os,
                                  const ApplianceBuildConfig& build, ApplianceConfig launch,
                                  ApplianceImage* image, std::unique_ptr<Appliance>* appliance,
                                  std::string* announcement) {
  // A kernel the user named, or an exported appliance, is booted as it is.
  if (!build.kernel.empty() || image->cache_key.starts_with("dir:")) return false;
  const HelloInfo& hello = (*appliance)->hello();
  const std::vector<const FilesystemInfo*> lacking = Lacking(needed, hello.filesystems);
  if (lacking.empty()) return false;
  const std::vector<KernelFilesystems> installed = InstalledKernels(build.roots, build.tools);
  const std::optional<KernelSwitch> change =
      ChooseKernelFor(needed, image->kernel_release, hello.filesystems, installed);
  if (!change) {
    if (whole_os) return false;
    std::vector<std::string> releases = {image->kernel_release};
    for (const KernelFilesystems& k : installed) {
      if (!Contains(releases, k.kernel.release)) releases.push_back(k.kernel.release);
    }
    return Status(Code::kFailedPrecondition, DescribeNoKernelFor(*lacking.front(), releases));
  }
  *announcement = DescribeKernelSwitch(image_name, image->kernel_release, *change);
  ApplianceBuildConfig other = build;
  other.kernel = change->kernel.path;
  Result<ApplianceImage> built = PrepareAppliance(other);
  if (!built.ok())
    return built.status().WithContext("preparing the appliance for " + change->kernel.release);
  if (Status st = (*appliance)->Shutdown(); !st.ok()) {
    return st.WithContext("shutting down the " + image->kernel_release + " appliance");
  }
  appliance->reset();
  launch.image = *built;
  Result<std::unique_ptr<Appliance>> relaunched = Appliance::Launch(launch);
  if (!relaunched.ok()) return relaunched.status();
  *appliance = std::move(*relaunched);
  *image = *built;
  return true;
}

}  // namespace diskferry
