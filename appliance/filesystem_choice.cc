#include "appliance/filesystem_choice.h"

#include "protocol/printable_text.h"

namespace diskferry {
namespace {

// virtio-blk names (/dev/vda1) and libguestfs names (/dev/sda1) mean the same drive.
std::string CanonicalDevice(std::string_view dev) {
  std::string d(dev);
  if (d.rfind("/dev/vd", 0) == 0 || d.rfind("/dev/hd", 0) == 0) d[5] = 's';
  return d;
}

bool Matches(const FilesystemInfo& fs, std::string_view wanted) {
  if (wanted.rfind("LABEL=", 0) == 0) return fs.label == wanted.substr(6);
  if (wanted.rfind("UUID=", 0) == 0) return fs.uuid == wanted.substr(5);
  return CanonicalDevice(fs.device) == CanonicalDevice(wanted);
}

}  // namespace

bool IsMountableType(std::string_view fstype) {
  static constexpr std::string_view kNotMountable[] = {
      "swap", "LVM2_member", "linux_raid_member", "crypto_LUKS", "BitLocker", "zfs_member", ""};
  for (auto t : kNotMountable) {
    if (fstype == t) return false;
  }
  return true;
}

std::string DescribeFilesystems(const std::vector<FilesystemInfo>& filesystems) {
  if (filesystems.empty()) return "none";
  std::string out;
  for (const auto& fs : filesystems) {
    if (!out.empty()) out += ", ";
    out += PrintableText(fs.device) + " (" + PrintableText(fs.fstype);
    if (!fs.label.empty()) out += ", label " + PrintableText(fs.label);
    out += ")";
  }
  return out;
}

Result<FilesystemInfo> ChooseFilesystem(const std::vector<FilesystemInfo>& filesystems,
                                        std::string_view wanted) {
  const std::string candidates = "; candidates: " + DescribeFilesystems(filesystems);
  if (!wanted.empty()) {
    for (const auto& fs : filesystems) {
      if (Matches(fs, wanted)) {
        if (!IsMountableType(fs.fstype)) {
          return Status(Code::kInvalidArgument,
                        PrintableText(fs.device) + " holds " + PrintableText(fs.fstype) +
                            ", which cannot be mounted");
        }
        return fs;
      }
    }
    return Status(Code::kNotFound, "no filesystem matches " + std::string(wanted) + candidates);
  }
  std::vector<const FilesystemInfo*> mountable;
  for (const auto& fs : filesystems) {
    if (IsMountableType(fs.fstype)) mountable.push_back(&fs);
  }
  if (mountable.empty()) return Status(Code::kNotFound, "no filesystem found" + candidates);
  if (mountable.size() > 1) {
    return Status(Code::kInvalidArgument,
                  "several filesystems found; choose one with --fs" + candidates);
  }
  return *mountable.front();
}

}  // namespace diskferry
