#include "daemon/block_devices.h"

#include <blkid.h>
#include <sys/stat.h>

#include <cerrno>

#include "daemon/log.h"
#include "daemon/storage_disk.h"
#include "daemon/sys_files.h"

namespace diskferry::daemon {
namespace {

constexpr std::string_view kDevPrefix = "/dev/";
constexpr uint64_t kSysfsSectorSize = 512;

bool IsLowerAlnum(std::string_view s) {
  for (const char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

uint64_t DeviceSize(const std::string& sysfs_dir) {
  const std::optional<std::string> sectors = ReadFirstLine(sysfs_dir + "/size");
  if (!sectors) return 0;
  return ParseSysfsNumber(*sectors).value_or(0) * kSysfsSectorSize;
}

bool IsPartitionDir(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/partition").c_str(), &st) == 0;
}

std::string LookupValue(blkid_probe probe, const char* name) {
  const char* data = nullptr;
  size_t len = 0;
  if (blkid_probe_lookup_value(probe, name, &data, &len) != 0 || data == nullptr) return {};
  // libblkid counts the terminating NUL in len.
  return std::string(data, len > 0 && data[len - 1] == '\0' ? len - 1 : len);
}

}  // namespace

std::string ToLibguestfsName(std::string_view guest_device) {
  std::string name(guest_device);
  if (name.starts_with("/dev/vd")) name[kDevPrefix.size()] = 's';
  return name;
}

std::optional<std::string> ToGuestDeviceName(std::string_view requested) {
  if (!requested.starts_with(kDevPrefix)) return std::nullopt;
  std::string name(requested.substr(kDevPrefix.size()));
  if (name.empty() || name.front() < 'a' || name.front() > 'z' || !IsLowerAlnum(name)) {
    return std::nullopt;
  }
  if (name.starts_with("sd")) name[0] = 'v';
  return name;
}

std::vector<BlockDevice> ListBlockDevices(const std::string& sys_block_dir) {
  std::vector<BlockDevice> devices;
  for (const std::string& disk : ListDirectory(sys_block_dir)) {
    if (disk.starts_with("ram") || disk.starts_with("zram")) continue;
    if (IsStorageDisk(sys_block_dir, disk)) continue;  // ours, not the user's
    const std::string disk_dir = sys_block_dir + "/" + disk;
    if (const uint64_t size = DeviceSize(disk_dir); size > 0) devices.push_back({disk, size});
    for (const std::string& child : ListDirectory(disk_dir)) {
      const std::string part_dir = disk_dir + "/" + child;
      if (!child.starts_with(disk) || !IsPartitionDir(part_dir)) continue;
      if (const uint64_t size = DeviceSize(part_dir); size > 0) devices.push_back({child, size});
    }
  }
  return devices;
}

OpResult<FsProbe> ProbeFilesystem(const std::string& path) {
  blkid_probe probe = blkid_new_probe_from_filename(path.c_str());
  if (probe == nullptr) return ErrnoError(errno != 0 ? errno : EIO, path);
  blkid_probe_enable_superblocks(probe, 1);
  blkid_probe_set_superblocks_flags(
      probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_VERSION);
  // Safe probing refuses ambiguous results (two signatures) instead of guessing one.
  const int rc = blkid_do_safeprobe(probe);
  FsProbe result;
  if (rc == 0) {
    result.fstype = LookupValue(probe, "TYPE");
    result.label = LookupValue(probe, "LABEL");
    result.uuid = LookupValue(probe, "UUID");
    result.version = LookupValue(probe, "VERSION");
  }
  blkid_free_probe(probe);
  if (rc == -2) return OpError{EIO, path + ": several filesystem signatures; not guessing"};
  if (rc < 0) return OpError{EIO, path + ": blkid could not probe the device"};
  return result;
}

std::vector<FilesystemData> ListFilesystems(const std::string& sys_block_dir,
                                            const std::string& dev_dir) {
  std::vector<FilesystemData> filesystems;
  if (sys_block_dir.empty()) return filesystems;
  for (const BlockDevice& device : ListBlockDevices(sys_block_dir)) {
    OpResult<FsProbe> probe = ProbeFilesystem(dev_dir + "/" + device.name);
    if (!probe.ok()) {
      LogWarning("%s", probe.error().message.c_str());
      continue;
    }
    if (probe->fstype.empty()) continue;
    filesystems.push_back(
        {ToLibguestfsName("/dev/" + device.name), std::move(probe).value(), device.size});
  }
  return filesystems;
}

}  // namespace diskferry::daemon
