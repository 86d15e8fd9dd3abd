#include "daemon/os_mount_plan.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>
#include <set>
#include <utility>

namespace diskferry::daemon {
namespace {

constexpr std::string_view kDevPrefix = "/dev/";

// Filesystems served by another machine (or by the hypervisor: 9p, virtiofs); none of them
// is on the image's disks.
const std::set<std::string_view> kNetworkTypes = {
    "nfs",       "nfs4",           "cifs",   "smb3",      "smbfs",     "sshfs",       "fuse.sshfs",
    "glusterfs", "fuse.glusterfs", "ceph",   "fuse.ceph", "9p",        "afs",         "ncpfs",
    "davfs",     "lustre",         "beegfs", "coda",      "fuse.s3fs", "fuse.rclone", "virtiofs"};

// Filesystems with no device behind them: the running kernel makes them up.
const std::set<std::string_view> kPseudoTypes = {
    "proc",       "sysfs",   "tmpfs",      "devtmpfs",    "devpts",  "mqueue",   "hugetlbfs",
    "cgroup",     "cgroup2", "securityfs", "debugfs",     "tracefs", "configfs", "pstore",
    "efivarfs",   "bpf",     "fusectl",    "binfmt_misc", "ramfs",   "autofs",   "overlay",
    "rpc_pipefs", "nfsd",    "selinuxfs",  "usbfs",       "none",    "bind",     "rbind"};

enum class Field { kUuid, kLabel, kPartuuid, kPartlabel };

struct Tag {
  Field field;
  std::string value;
};

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

std::string_view StripQuotes(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return v.substr(1, v.size() - 2);
  }
  return v;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// udev writes bytes unsafe in a file name as "\xHH" in /dev/disk/by-label/ and friends.
std::string DecodeUdevEscapes(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && HexDigit(s[i + 2]) >= 0 &&
        HexDigit(s[i + 3]) >= 0) {
      out.push_back(static_cast<char>(HexDigit(s[i + 2]) * 16 + HexDigit(s[i + 3])));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::optional<Tag> TagOf(std::string_view spec) {
  static const std::pair<std::string_view, Field> kTags[] = {{"UUID=", Field::kUuid},
                                                             {"LABEL=", Field::kLabel},
                                                             {"PARTUUID=", Field::kPartuuid},
                                                             {"PARTLABEL=", Field::kPartlabel}};
  static const std::pair<std::string_view, Field> kLinks[] = {
      {"/dev/disk/by-uuid/", Field::kUuid},
      {"/dev/disk/by-label/", Field::kLabel},
      {"/dev/disk/by-partuuid/", Field::kPartuuid},
      {"/dev/disk/by-partlabel/", Field::kPartlabel}};
  for (const auto& [prefix, field] : kTags) {
    if (spec.starts_with(prefix)) {
      return Tag{field, std::string(StripQuotes(spec.substr(prefix.size())))};
    }
  }
  for (const auto& [prefix, field] : kLinks) {
    const std::string_view name = spec.substr(std::min(prefix.size(), spec.size()));
    if (spec.starts_with(prefix) && !name.empty() && name.find('/') == std::string_view::npos) {
      return Tag{field, DecodeUdevEscapes(name)};
    }
  }
  return std::nullopt;
}

bool TagMatches(const Tag& tag, const DeviceFacts& device) {
  switch (tag.field) {
    case Field::kUuid:
      return !device.uuid.empty() && EqualsNoCase(device.uuid, tag.value);
    case Field::kLabel:
      return !device.label.empty() && device.label == tag.value;
    case Field::kPartuuid:
      return !device.partuuid.empty() && EqualsNoCase(device.partuuid, tag.value);
    case Field::kPartlabel:
      return !device.partlabel.empty() && device.partlabel == tag.value;
  }
  return false;
}

// A device-mapper name as LVM makes it, "VG-LV" with '-' inside either doubled, as
// "/dev/VG/LV"; nullopt for a name of another shape ("luks-6b3e-...", "cryptroot").
std::optional<std::string> LvmPathOfDmName(std::string_view name) {
  std::string vg;
  std::string lv;
  bool split = false;
  for (size_t i = 0; i < name.size(); ++i) {
    std::string& part = split ? lv : vg;
    if (name[i] != '-') {
      part.push_back(name[i]);
    } else if (i + 1 < name.size() && name[i + 1] == '-') {
      part.push_back('-');
      ++i;
    } else if (!split) {
      split = true;
    } else {
      return std::nullopt;
    }
  }
  if (vg.empty() || lv.empty()) return std::nullopt;
  return std::string(kDevPrefix) + vg + "/" + lv;
}

// One spelling per device path: repeated slashes folded, /dev/mapper/VG-LV as /dev/VG/LV,
// /dev/md/N as /dev/mdN.
std::string CanonicalDevicePath(std::string_view path) {
  std::string folded;
  for (const char c : path) {
    if (c != '/' || folded.empty() || folded.back() != '/') folded.push_back(c);
  }
  const std::string_view p = folded;
  if (p.starts_with("/dev/mapper/")) {
    if (std::optional<std::string> lvm = LvmPathOfDmName(p.substr(12))) return *lvm;
  }
  if (p.starts_with("/dev/md/") && p.size() > 8 &&
      std::all_of(p.begin() + 8, p.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "/dev/md" + std::string(p.substr(8));
  }
  return folded;
}

// "/dev/hda2", "/dev/vdb1", "/dev/xvda1" -> "/dev/sda2", "/dev/sdb1", "/dev/sda1".
std::optional<std::string> LibguestfsDiskName(std::string_view path) {
  if (!path.starts_with(kDevPrefix)) return std::nullopt;
  std::string_view name = path.substr(kDevPrefix.size());
  if (name.starts_with("xvd")) {
    name.remove_prefix(3);
  } else if (name.starts_with("hd") || name.starts_with("sd") || name.starts_with("vd")) {
    name.remove_prefix(2);
  } else {
    return std::nullopt;
  }
  size_t letters = 0;
  while (letters < name.size() && name[letters] >= 'a' && name[letters] <= 'z') ++letters;
  if (letters == 0 || !std::all_of(name.begin() + letters, name.end(),
                                   [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return "/dev/sd" + std::string(name);
}

bool PathMatches(const std::string& canonical, const DeviceFacts& device) {
  if (CanonicalDevicePath(device.path) == canonical) return true;
  return std::any_of(device.aliases.begin(), device.aliases.end(),
                     [&](const std::string& a) { return CanonicalDevicePath(a) == canonical; });
}

// The one match; several btrfs devices of one filesystem count as its first by path.
OpResult<const DeviceFacts*> PickMatch(std::vector<const DeviceFacts*> matches) {
  if (matches.empty()) return OpError{ENOENT, "no such device"};
  std::sort(matches.begin(), matches.end(),
            [](const DeviceFacts* a, const DeviceFacts* b) { return a->path < b->path; });
  const bool one_btrfs = std::all_of(matches.begin(), matches.end(), [&](const DeviceFacts* d) {
    return d->fstype == "btrfs" && !d->uuid.empty() && d->uuid == matches.front()->uuid;
  });
  if (matches.size() == 1 || one_btrfs) return matches.front();
  std::string names;
  for (const DeviceFacts* d : matches) names += (names.empty() ? "" : ", ") + d->path;
  return OpError{EINVAL, "several devices match: " + names};
}

// ResolveFstabSpec without the spec in front of the message.
OpResult<const DeviceFacts*> ResolveSpec(std::string_view spec,
                                         const std::vector<DeviceFacts>& devices) {
  std::vector<const DeviceFacts*> matches;
  if (const std::optional<Tag> tag = TagOf(spec)) {
    if (tag->value.empty()) return OpError{EINVAL, "empty value"};
    for (const DeviceFacts& d : devices) {
      if (TagMatches(*tag, d)) matches.push_back(&d);
    }
    return PickMatch(std::move(matches));
  }
  const std::string canonical = CanonicalDevicePath(spec);
  if (!canonical.starts_with(kDevPrefix)) {
    return OpError{EINVAL, "not a device path nor a UUID=, LABEL=, PARTUUID= or PARTLABEL= tag"};
  }
  for (const DeviceFacts& d : devices) {
    if (PathMatches(canonical, d)) matches.push_back(&d);
  }
  const std::optional<std::string> guessed = LibguestfsDiskName(canonical);
  if (matches.empty() && guessed) {
    for (const DeviceFacts& d : devices) {
      if (PathMatches(*guessed, d)) matches.push_back(&d);
    }
  }
  return PickMatch(std::move(matches));
}

bool HasOption(const FstabEntry& entry, std::string_view option) {
  return std::find(entry.options.begin(), entry.options.end(), option) != entry.options.end();
}

struct Skip {
  SkipKind kind;
  std::string reason;
};

// Lines skipped whatever the devices are.
std::optional<Skip> SkipByKind(const FstabEntry& entry) {
  const std::string& type = entry.fstype;
  if (type == "swap") return Skip{SkipKind::kSwap, "swap space"};
  if (kNetworkTypes.contains(type)) return Skip{SkipKind::kNetwork, "network filesystem"};
  if (HasOption(entry, "_netdev")) return Skip{SkipKind::kNetwork, "needs the network (_netdev)"};
  if (HasOption(entry, "noauto")) return Skip{SkipKind::kNoauto, "noauto: not mounted at boot"};
  if (HasOption(entry, "bind") || HasOption(entry, "rbind")) {
    return Skip{SkipKind::kPseudo, "bind mount"};
  }
  if (type == "fuse" || type.starts_with("fuse.")) {
    return Skip{SkipKind::kPseudo, "FUSE filesystem (needs its program running)"};
  }
  if (kPseudoTypes.contains(type)) return Skip{SkipKind::kPseudo, "pseudo filesystem"};
  if (HasOption(entry, "loop")) return Skip{SkipKind::kPseudo, "loop device over a file"};
  return std::nullopt;
}

size_t Depth(std::string_view mount_point) {
  return mount_point == "/" ? 0 : std::count(mount_point.begin(), mount_point.end(), '/');
}

// The state of one PlanOsMounts call.
class Planner {
 public:
  Planner(const std::vector<DeviceFacts>& devices, const OsRoot& root,
          const std::vector<std::string>& mountable_types)
      : devices_(devices), root_(root), mountable_types_(mountable_types) {}

  // First pass: each line becomes a candidate, the root's line, or a skipped line.
  void Classify(const FstabEntry& entry);
  // Second pass: candidates by depth; those below an unmounted disk line are skipped.
  OsMountPlan Finish();

 private:
  void SkipLine(const FstabEntry& entry, SkipKind kind, std::string reason);
  void ClassifyRootLine(const FstabEntry& entry, OpResult<const DeviceFacts*> device);
  // The type to mount `device` with, or the reason it cannot be mounted.
  OpResult<std::string> MountableType(const DeviceFacts& device) const;
  // The nearest ancestor mount point of `mount_point` a disk line could not mount.
  const std::pair<const std::string, int>* UnmountedAncestor(const std::string& mount_point) const;
  PlannedMount RootMount() const;

  const std::vector<DeviceFacts>& devices_;
  const OsRoot& root_;
  const std::vector<std::string>& mountable_types_;
  const FstabEntry* root_line_ = nullptr;
  std::vector<std::pair<const FstabEntry*, PlannedMount>> candidates_;
  std::map<std::string, int> used_;       // mount point -> the line that has it
  std::map<std::string, int> unmounted_;  // mount points of disk lines not mounted -> line
  std::vector<std::pair<const FstabEntry*, Skip>> skipped_;
};

void Planner::SkipLine(const FstabEntry& entry, SkipKind kind, std::string reason) {
  skipped_.push_back({&entry, Skip{kind, std::move(reason)}});
}

OpResult<std::string> Planner::MountableType(const DeviceFacts& device) const {
  if (device.fstype.empty()) return OpError{EINVAL, "no filesystem found on " + device.path};
  if (std::find(mountable_types_.begin(), mountable_types_.end(), device.fstype) ==
      mountable_types_.end()) {
    return OpError{
        EINVAL, device.path + " holds " + device.fstype + ", which the appliance does not mount"};
  }
  return device.fstype;
}

void Planner::ClassifyRootLine(const FstabEntry& entry, OpResult<const DeviceFacts*> device) {
  if (root_line_ != nullptr) {
    return SkipLine(entry, SkipKind::kDuplicate,
                    "/ is already the root (line " + std::to_string(root_line_->line) + ")");
  }
  if (device.ok() && device.value()->path == root_.device) {
    root_line_ = &entry;
    return;
  }
  SkipLine(
      entry, SkipKind::kRootElsewhere,
      "the root found is " + root_.device +
          (device.ok() ? ", not " + device.value()->path : " (" + device.error().message + ")"));
}

void Planner::Classify(const FstabEntry& entry) {
  if (std::optional<Skip> skip = SkipByKind(entry)) {
    return SkipLine(entry, skip->kind, std::move(skip->reason));
  }
  const std::optional<std::string> mount_point = NormalizeMountPoint(entry.mount_point);
  if (!mount_point) {
    return SkipLine(entry, SkipKind::kBadMountPoint,
                    "mount point is not an absolute path without \"..\"");
  }
  OpResult<const DeviceFacts*> device = ResolveSpec(entry.spec, devices_);
  if (*mount_point == "/") return ClassifyRootLine(entry, std::move(device));
  if (!device.ok()) {
    unmounted_.emplace(*mount_point, entry.line);
    return SkipLine(entry, SkipKind::kNotFound, device.error().message);
  }
  OpResult<std::string> type = MountableType(*device.value());
  OpResult<std::string> data = type.ok() && type.value() == "btrfs"
                                   ? BtrfsSubvolumeData(entry.options)
                                   : OpResult<std::string>(std::string());
  if (!type.ok() || !data.ok()) {
    unmounted_.emplace(*mount_point, entry.line);
    return type.ok() ? SkipLine(entry, SkipKind::kUnsafeOption, data.error().message)
                     : SkipLine(entry, SkipKind::kNotMountable, type.error().message);
  }
  if (const auto [it, inserted] = used_.emplace(*mount_point, entry.line); !inserted) {
    return SkipLine(entry, SkipKind::kDuplicate,
                    "mount point already used by line " + std::to_string(it->second));
  }
  candidates_.push_back(
      {&entry, PlannedMount{entry.spec, *mount_point, device.value()->path, std::move(type).value(),
                            std::move(data).value(), entry.line}});
}

const std::pair<const std::string, int>* Planner::UnmountedAncestor(
    const std::string& mount_point) const {
  const std::pair<const std::string, int>* nearest = nullptr;
  for (size_t slash = mount_point.find('/', 1); slash != std::string::npos;
       slash = mount_point.find('/', slash + 1)) {
    const std::string ancestor = mount_point.substr(0, slash);
    const auto it = unmounted_.find(ancestor);
    if (it != unmounted_.end() && !used_.contains(ancestor)) nearest = &*it;
  }
  return nearest;
}

PlannedMount Planner::RootMount() const {
  // MountOsTree checked the subvolume before mounting the root with it.
  OpResult<std::string> data = SubvolumeData(root_.subvolume);
  PlannedMount root{root_.device,
                    "/",
                    root_.device,
                    root_.fstype,
                    data.ok() ? std::move(data).value() : std::string(),
                    0};
  if (root_line_ != nullptr) {
    root.spec = root_line_->spec;
    root.line = root_line_->line;
  }
  return root;
}

OsMountPlan Planner::Finish() {
  std::stable_sort(candidates_.begin(), candidates_.end(), [](const auto& a, const auto& b) {
    return Depth(a.second.mount_point) < Depth(b.second.mount_point);
  });
  OsMountPlan plan;
  plan.mounts.push_back(RootMount());
  for (auto& [entry_ptr, mount] : candidates_) {
    const FstabEntry& entry = *entry_ptr;
    if (const auto* ancestor = UnmountedAncestor(mount.mount_point)) {
      unmounted_.emplace(mount.mount_point, mount.line);
      used_.erase(mount.mount_point);
      SkipLine(entry, SkipKind::kParentNotMounted,
               "below " + ancestor->first + " (line " + std::to_string(ancestor->second) +
                   "), which is not mounted");
    } else if (plan.mounts.size() > kMaxOsMounts) {
      SkipLine(entry, SkipKind::kTooMany,
               "more than " + std::to_string(kMaxOsMounts) + " mounts besides the root");
    } else {
      plan.mounts.push_back(std::move(mount));
    }
  }
  std::stable_sort(skipped_.begin(), skipped_.end(),
                   [](const auto& a, const auto& b) { return a.first->line < b.first->line; });
  for (auto& [entry, skip] : skipped_) {
    plan.skipped.push_back(SkippedMount{entry->spec, entry->mount_point, entry->fstype, entry->line,
                                        skip.kind, std::move(skip.reason)});
  }
  return plan;
}

}  // namespace

DeviceFacts FactsFromFilesystem(const FilesystemData& filesystem) {
  DeviceFacts facts;
  facts.path = filesystem.device;
  facts.fstype = filesystem.probe.fstype;
  facts.uuid = filesystem.probe.uuid;
  facts.label = filesystem.probe.label;
  if (const std::optional<std::string> guest = ToGuestDeviceName(filesystem.device)) {
    const std::string guest_path = std::string(kDevPrefix) + *guest;
    if (guest_path != facts.path) facts.aliases.push_back(guest_path);
  }
  return facts;
}

OpResult<const DeviceFacts*> ResolveFstabSpec(std::string_view spec,
                                              const std::vector<DeviceFacts>& devices) {
  OpResult<const DeviceFacts*> device = ResolveSpec(spec, devices);
  if (!device.ok())
    return OpError{device.error().err, std::string(spec) + ": " + device.error().message};
  return device;
}

std::optional<std::string> NormalizeMountPoint(std::string_view mount_point) {
  if (mount_point.empty() || mount_point.front() != '/' || mount_point.size() > PATH_MAX ||
      mount_point.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string normal;
  size_t i = 0;
  while (i < mount_point.size()) {
    const size_t end = std::min(mount_point.find('/', i), mount_point.size());
    const std::string_view part = mount_point.substr(i, end - i);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") {
      normal += '/';
      normal += part;
    }
    i = end + 1;
  }
  return normal.empty() ? "/" : normal;
}

bool IsAtOrBelow(std::string_view path, std::string_view mount_point) {
  if (mount_point == "/") return true;
  return path.starts_with(mount_point) &&
         (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

std::string_view SkipKindName(SkipKind kind) {
  switch (kind) {
    case SkipKind::kSwap:
      return "swap";
    case SkipKind::kNetwork:
      return "network";
    case SkipKind::kNoauto:
      return "noauto";
    case SkipKind::kPseudo:
      return "pseudo";
    case SkipKind::kBadMountPoint:
      return "bad mount point";
    case SkipKind::kRootElsewhere:
      return "root elsewhere";
    case SkipKind::kNotFound:
      return "not found";
    case SkipKind::kNotMountable:
      return "not mountable";
    case SkipKind::kUnsafeOption:
      return "unsafe option";
    case SkipKind::kDuplicate:
      return "duplicate";
    case SkipKind::kParentNotMounted:
      return "parent not mounted";
    case SkipKind::kTooMany:
      return "too many";
    case SkipKind::kMountPointMissing:
      return "mount point missing";
    case SkipKind::kMountFailed:
      return "mount failed";
    case SkipKind::kOverlap:
      return "overlap";
  }
  return "unknown";
}

OsMountPlan PlanOsMounts(const std::vector<FstabEntry>& entries,
                         const std::vector<DeviceFacts>& devices, const OsRoot& root,
                         const std::vector<std::string>& mountable_types) {
  Planner planner(devices, root, mountable_types);
  for (const FstabEntry& entry : entries) planner.Classify(entry);
  return planner.Finish();
}

std::string DescribeMount(const PlannedMount& mount) {
  std::string text = mount.device + " on " + mount.mount_point + " type " + mount.fstype;
  if (!mount.data.empty()) text += " (" + mount.data + ")";
  return text;
}

std::string DescribeSkipped(const SkippedMount& skipped) {
  std::string text = skipped.line > 0 ? "line " + std::to_string(skipped.line) + ": " : "";
  return text + skipped.spec + " on " + skipped.mount_point + ": " + skipped.reason;
}

}  // namespace diskferry::daemon
