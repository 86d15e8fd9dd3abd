#include "appliance/filesystem_choice.h"

#include <cstdio>

#include "protocol/printable_text.h"

namespace diskferry {
namespace {

// virtio-blk names (/dev/vda1) and libguestfs names (/dev/sda1) mean the same drive.
std::string CanonicalDevice(std::string_view dev) {
  std::string d(dev);
  if (d.rfind("/dev/vd", 0) == 0 || d.rfind("/dev/hd", 0) == 0) d[5] = 's';
  return d;
}

}  // namespace

bool NamesFilesystem(const FilesystemInfo& fs, std::string_view wanted) {
  if (wanted.rfind("LABEL=", 0) == 0) return fs.label == wanted.substr(6);
  if (wanted.rfind("UUID=", 0) == 0) return fs.uuid == wanted.substr(5);
  const std::string want = CanonicalDevice(wanted);
  if (CanonicalDevice(fs.device) == want) return true;
  for (const auto& alias : fs.aliases) {
    if (CanonicalDevice(alias) == want) return true;
  }
  return false;
}

bool IsMountableType(std::string_view fstype) {
  static constexpr std::string_view kNotMountable[] = {
      "swap", "LVM2_member", "linux_raid_member", "crypto_LUKS", "BitLocker", "zfs_member", ""};
  for (auto t : kNotMountable) {
    if (fstype == t) return false;
  }
  return true;
}

std::string HumanSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || value >= 100 || value == static_cast<double>(static_cast<uint64_t>(value))) {
    std::snprintf(buf, sizeof buf, "%.0f %s", value, kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  }
  return buf;
}

std::string DescribeFilesystem(const FilesystemInfo& fs, const OsRootHint& os) {
  std::string out = PrintableText(fs.device) + " (" + PrintableText(fs.fstype);
  if (!fs.label.empty()) out += ", label " + PrintableText(fs.label);
  if (fs.size != 0) out += ", " + HumanSize(fs.size);
  if (!fs.note.empty()) out += ", " + PrintableText(fs.note);
  if (!os.os_name.empty() && fs.device == os.device) out += ", " + PrintableText(os.os_name);
  if (!fs.aliases.empty()) {
    out += "; also ";
    for (size_t i = 0; i < fs.aliases.size(); ++i) {
      if (i != 0) out += ", ";
      out += PrintableText(fs.aliases[i]);
    }
  }
  return out + ")";
}

std::string DescribeFilesystems(const std::vector<FilesystemInfo>& filesystems,
                                const OsRootHint& os) {
  if (filesystems.empty()) return "none";
  std::string out;
  for (const auto& fs : filesystems) {
    if (!out.empty()) out += ", ";
    out += DescribeFilesystem(fs, os);
  }
  return out;
}

Result<FilesystemInfo> ChooseFilesystem(const std::vector<FilesystemInfo>& filesystems,
                                        std::string_view wanted, const OsRootHint& os) {
  const std::string candidates = "; candidates: " + DescribeFilesystems(filesystems, os);
  if (!wanted.empty()) {
    for (const auto& fs : filesystems) {
      if (NamesFilesystem(fs, wanted)) {
        if (!IsMountableType(fs.fstype)) {
          std::string why = PrintableText(fs.device) + " holds " + PrintableText(fs.fstype);
          if (!fs.note.empty()) why += " (" + PrintableText(fs.note) + ")";
          return Status(Code::kInvalidArgument,
                        why + ", which cannot be mounted; choose a filesystem" + candidates);
        }
        return fs;
      }
    }
    return Status(Code::kNotFound,
                  "no filesystem matches " + PrintableText(wanted) + candidates);
  }
  std::vector<const FilesystemInfo*> mountable;
  for (const auto& fs : filesystems) {
    if (IsMountableType(fs.fstype)) mountable.push_back(&fs);
  }
  if (mountable.empty()) return Status(Code::kNotFound, "no filesystem found" + candidates);
  if (mountable.size() > 1) {
    return Status(Code::kInvalidArgument,
                  "several filesystems found; choose one with --fs or --os" + candidates);
  }
  return *mountable.front();
}

}  // namespace diskferry
