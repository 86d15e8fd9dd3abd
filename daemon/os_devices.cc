#include "daemon/os_devices.h"

#include <sys/stat.h>

#include <algorithm>
#include <string_view>

#include "daemon/block_devices.h"
#include "daemon/sys_files.h"

namespace diskferry::daemon {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// "KEY=value" lines of a uevent file; empty when the key is absent.
std::string UeventValue(const std::string& uevent, std::string_view key) {
  size_t start = 0;
  while (start < uevent.size()) {
    const size_t end = std::min(uevent.find('\n', start), uevent.size());
    const std::string_view line = std::string_view(uevent).substr(start, end - start);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == '=') {
      return std::string(line.substr(key.size() + 1));
    }
    start = end + 1;
  }
  return {};
}

// The kernel's name of a device named as in DeviceFacts::path: "/dev/sda1" -> "vda1",
// "/dev/dm-0" -> "dm-0".
std::string KernelNameOf(const std::string& path) {
  if (const std::optional<std::string> name = ToGuestDeviceName(path)) return *name;
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

std::string SysfsDirOf(const std::string& sys_block_dir, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return {};
  }
  if (IsDirectory(sys_block_dir + "/" + name)) return sys_block_dir + "/" + name;
  for (const std::string& disk : ListDirectory(sys_block_dir)) {
    const std::string dir = sys_block_dir + "/" + disk + "/" + name;
    if (name.starts_with(disk) && IsDirectory(dir)) return dir;
  }
  return {};
}

void AddSysfsFacts(const std::string& sysfs_dir, DeviceFacts* facts) {
  if (const std::optional<std::string> dm = ReadFirstLine(sysfs_dir + "/dm/name")) {
    const std::string alias = "/dev/mapper/" + *dm;
    if (!dm->empty() && dm->find('/') == std::string::npos &&
        std::find(facts->aliases.begin(), facts->aliases.end(), alias) == facts->aliases.end()) {
      facts->aliases.push_back(alias);
    }
  }
  const OpResult<std::string> uevent = ReadSmallFile(sysfs_dir + "/uevent");
  if (!uevent.ok()) return;
  if (facts->partlabel.empty()) facts->partlabel = UeventValue(uevent.value(), "PARTNAME");
  if (facts->partuuid.empty()) facts->partuuid = UeventValue(uevent.value(), "PARTUUID");
}

std::vector<DeviceFacts> CollectDeviceFacts(const std::string& sys_block_dir,
                                            const std::string& dev_dir) {
  std::vector<DeviceFacts> devices;
  for (const FilesystemData& filesystem : ListFilesystems(sys_block_dir, dev_dir)) {
    DeviceFacts facts = FactsFromFilesystem(filesystem);
    const std::string dir = SysfsDirOf(sys_block_dir, KernelNameOf(facts.path));
    if (!dir.empty()) AddSysfsFacts(dir, &facts);
    devices.push_back(std::move(facts));
  }
  return devices;
}

std::vector<DeviceFacts> FactsFromListing(const StorageListing& listing,
                                          const std::string& sys_block_dir) {
  std::vector<DeviceFacts> devices;
  for (const ListedDevice& listed : listing.filesystems) {
    if (listed.probe.fstype.empty()) continue;
    DeviceFacts facts;
    facts.path = listed.device;
    facts.fstype = listed.probe.fstype;
    facts.uuid = listed.probe.uuid;
    facts.label = listed.probe.label;
    facts.aliases = listed.aliases;
    const std::string kernel_path = "/dev/" + listed.kernel_name;
    if (!listed.kernel_name.empty() && kernel_path != facts.path &&
        std::find(facts.aliases.begin(), facts.aliases.end(), kernel_path) == facts.aliases.end()) {
      facts.aliases.push_back(kernel_path);
    }
    if (!sys_block_dir.empty() && !listed.kernel_name.empty()) {
      const std::string dir = SysfsDirOf(sys_block_dir, listed.kernel_name);
      if (!dir.empty()) AddSysfsFacts(dir, &facts);
    }
    devices.push_back(std::move(facts));
  }
  return devices;
}

}  // namespace diskferry::daemon
