#include "daemon/storage_stack.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <utility>

#include "daemon/log.h"
#include "daemon/os_devices.h"
#include "daemon/os_tree.h"
#include "daemon/sys_files.h"
#include "protocol/wipe.h"

namespace diskferry::daemon {
namespace {

constexpr std::string_view kDevPrefix = "/dev/";
constexpr std::string_view kMapperPrefix = "/dev/mapper/";
constexpr std::string_view kLvmUuidPrefix = "LVM-";
constexpr std::string_view kCryptUuidPrefix = "CRYPT-";
// "LVM-" + VG uuid + LV uuid (32 characters each, no dashes). Anything after that is a
// layer LVM stacks under a volume ("-real", "-cow", "-tpool", "-pool", ...), never
// listed.
constexpr size_t kLvmUuidLength = 4 + 32 + 32;
// /dev subdirectories that are not volume groups.
constexpr std::string_view kDevSubdirs[] = {"mapper", "md", "disk", "block", "char"};
// Hidden LVs that hold another LV's parts: thin pool data and metadata, RAID and mirror
// images and metadata, the pool metadata spare, cache and VDO parts.
constexpr std::string_view kInternalLvMarks[] = {
    "_tdata", "_tmeta", "_rimage_", "_rmeta_", "_mimage_", "_mlog", "_pmspare",
    "_vorigin", "_cdata", "_cmeta", "_corig", "_cpool", "_vdata", "_wcorig", "_cvol"};

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '+' || c == '-';
}

// LVM's own rule for VG and LV names, also safe in a --config string and a path.
bool IsSafeName(std::string_view name) {
  return !name.empty() && name.size() <= 127 && name.front() != '-' && name != "." &&
         name != ".." && std::all_of(name.begin(), name.end(), IsNameByte);
}

bool IsUuidByte(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-';
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    if (std::string line = Trim(text.substr(start, end - start)); !line.empty()) {
      lines.push_back(std::move(line));
    }
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> SplitFields(std::string_view line, char separator) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t end = line.find(separator, start);
    fields.push_back(Trim(line.substr(start, end - start)));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

std::string Seconds(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

struct DmInfo {
  std::string name;
  std::string uuid;
};

std::optional<DmInfo> ReadDmInfo(const std::string& sysfs_dir) {
  std::optional<std::string> name = ReadFirstLine(sysfs_dir + "/dm/name");
  if (!name || name->empty()) return std::nullopt;
  return DmInfo{std::move(*name), ReadFirstLine(sysfs_dir + "/dm/uuid").value_or("")};
}

// The dm-N device whose device-mapper name is `dm_name`.
std::optional<std::string> FindDmByName(const std::string& sys_block_dir,
                                        std::string_view dm_name) {
  if (sys_block_dir.empty()) return std::nullopt;
  for (const std::string& entry : ListDirectory(sys_block_dir)) {
    if (!entry.starts_with("dm-")) continue;
    const std::optional<DmInfo> info = ReadDmInfo(sys_block_dir + "/" + entry);
    if (info && info->name == dm_name) return entry;
  }
  return std::nullopt;
}

// The device-mapper name a request means by /dev/mapper/NAME or /dev/VG/LV.
std::optional<std::string> RequestedDmName(std::string_view requested) {
  if (requested.starts_with(kMapperPrefix)) {
    std::string_view name = requested.substr(kMapperPrefix.size());
    if (!name.empty() && name.find('/') == std::string_view::npos) return std::string(name);
    return std::nullopt;
  }
  if (!requested.starts_with(kDevPrefix)) return std::nullopt;
  const std::string_view rest = requested.substr(kDevPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view vg = rest.substr(0, slash);
  const std::string_view lv = rest.substr(slash + 1);
  if (std::find(std::begin(kDevSubdirs), std::end(kDevSubdirs), vg) != std::end(kDevSubdirs) ||
      !IsSafeName(vg) || !IsSafeName(lv)) {
    return std::nullopt;
  }
  return LvmDmName(vg, lv);
}

bool IsInternalLvName(std::string_view lv) {
  return std::any_of(std::begin(kInternalLvMarks), std::end(kInternalLvMarks),
                     [&](std::string_view mark) { return lv.find(mark) != lv.npos; });
}

// "raid1" -> "RAID1"; other levels ("linear", "multipath") as the kernel says.
std::string RaidLevelName(std::string_view level) {
  std::string name(level);
  if (name.starts_with("raid")) {
    for (size_t i = 0; i < 4; ++i) name[i] = static_cast<char>(name[i] - 'a' + 'A');
  }
  return name;
}

std::string MdNote(const std::string& sysfs_dir) {
  const std::optional<std::string> level = ReadFirstLine(sysfs_dir + "/md/level");
  if (!level || level->empty()) return {};
  std::string note = RaidLevelName(*level);
  const std::optional<std::string> disks_text = ReadFirstLine(sysfs_dir + "/md/raid_disks");
  const std::optional<uint64_t> disks =
      disks_text ? ParseSysfsNumber(*disks_text) : std::nullopt;
  if (!disks) return note;
  const std::optional<std::string> degraded_text = ReadFirstLine(sysfs_dir + "/md/degraded");
  const uint64_t degraded =
      degraded_text ? ParseSysfsNumber(*degraded_text).value_or(0) : 0;
  const uint64_t present = degraded <= *disks ? *disks - degraded : 0;
  note += degraded > 0 ? ", degraded: " : ", ";
  note += std::to_string(present) + " of " + std::to_string(*disks) + " disks";
  return note;
}

// The holders of a device (what is stacked on it), by kernel name.
std::vector<std::string> Holders(const std::string& sys_block_dir, const std::string& name) {
  const std::string dir = SysfsDirOf(sys_block_dir, name);
  if (dir.empty()) return {};
  return ListDirectory(dir + "/holders");
}

std::string ReadOnlyLvmConfig(const std::vector<std::string>& vgs) {
  // metadata_read_only: no lvm command run here may write the metadata (a repair, an
  // update of an old format). read_only_volume_list: every LV of these VGs is activated
  // read-only, so device-mapper opens the disks read-only (a read-write table on a
  // read-only disk fails with EACCES).
  std::string config = "global{metadata_read_only=1}";
  if (!vgs.empty()) {
    config += " activation{read_only_volume_list=[";
    for (size_t i = 0; i < vgs.size(); ++i) config += (i ? ",\"" : "\"") + vgs[i] + "\"";
    config += "]}";
  }
  return config;
}

void AddConfig(std::vector<std::string>* argv, const std::string& config) {
  if (config.empty()) return;
  argv->push_back("--config");
  argv->push_back(config);
}

}  // namespace

std::optional<std::pair<std::string, std::string>> SplitLvmDmName(std::string_view dm_name) {
  std::string vg;
  for (size_t i = 0; i < dm_name.size(); ++i) {
    if (dm_name[i] != '-') {
      vg.push_back(dm_name[i]);
      continue;
    }
    if (i + 1 < dm_name.size() && dm_name[i + 1] == '-') {
      vg.push_back('-');
      ++i;
      continue;
    }
    std::string lv;
    for (size_t j = i + 1; j < dm_name.size(); ++j) {
      lv.push_back(dm_name[j]);
      if (dm_name[j] == '-' && j + 1 < dm_name.size() && dm_name[j + 1] == '-') ++j;
    }
    if (vg.empty() || lv.empty()) return std::nullopt;
    return std::make_pair(std::move(vg), std::move(lv));
  }
  return std::nullopt;
}

std::string LvmDmName(std::string_view vg, std::string_view lv) {
  std::string name;
  for (const char c : vg) name += c == '-' ? "--" : std::string(1, c);
  name += '-';
  for (const char c : lv) name += c == '-' ? "--" : std::string(1, c);
  return name;
}

OpResult<std::string> ResolveBlockDevice(const std::string& sys_block_dir,
                                         const std::string& dev_dir, std::string_view requested,
                                         bool block_only) {
  std::string path;
  const std::optional<std::string> dm_name = RequestedDmName(requested);
  const std::optional<std::string> dm =
      dm_name ? FindDmByName(sys_block_dir, *dm_name) : std::nullopt;
  if (dm) {
    path = dev_dir + "/" + *dm;
  } else {
    OpResult<std::string> guest = GuestDevicePath(dev_dir, requested);
    if (!guest.ok()) return guest.error();
    path = std::move(guest).value();
  }
  char real[PATH_MAX];
  char real_dev[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return ErrnoError(errno, requested);
  if (::realpath(dev_dir.c_str(), real_dev) == nullptr) return ErrnoError(errno, dev_dir);
  const std::string resolved = real;
  if (!resolved.starts_with(std::string(real_dev) + "/")) {
    return OpError{EINVAL, std::string(requested) + ": leads outside /dev"};
  }
  struct stat st {};
  if (::stat(resolved.c_str(), &st) != 0) return ErrnoError(errno, requested);
  if (block_only && !S_ISBLK(st.st_mode)) {
    return OpError{ENOTBLK, std::string(requested) + ": not a block device"};
  }
  return resolved;
}

StorageModuleTable ReadStorageModuleTable() {
  OpResult<std::string> text = ReadSmallFile(kStorageModulesFile);
  if (!text.ok()) {
    LogWarning("%s", text.error().message.c_str());
    return {};
  }
  std::vector<std::string> warnings;
  StorageModuleTable table = ParseStorageModules(text.value(), &warnings);
  for (const std::string& w : warnings) LogWarning("%s", w.c_str());
  return table;
}

StorageStack::StorageStack(StorageSystem system, StorageModuleLoader* modules)
    : system_(std::move(system)), modules_(modules) {}

std::vector<StorageStack::Probed> StorageStack::ProbeAll() const {
  std::vector<Probed> probed;
  if (system_.sys_block_dir.empty()) return probed;
  for (BlockDevice& device : ListBlockDevices(system_.sys_block_dir)) {
    OpResult<FsProbe> probe = system_.probe(system_.dev_dir + "/" + device.name);
    if (!probe.ok()) {
      LogWarning("%s", probe.error().message.c_str());
      continue;
    }
    probed.push_back({std::move(device), std::move(probe).value()});
  }
  return probed;
}

StorageListing StorageStack::List(bool activate, bool read_write) {
  if (activate) Activate(read_write);
  StorageListing listing;
  for (const Probed& probed : ProbeAll()) {
    if (std::optional<ListedDevice> listed = Describe(probed)) {
      listing.filesystems.push_back(std::move(*listed));
    }
  }
  listing.problems = raid_problems_;
  listing.problems.insert(listing.problems.end(), lvm_problems_.begin(), lvm_problems_.end());
  return listing;
}

void StorageStack::Activate(bool read_write) {
  // Each pass runs at most one step and looks again: an md array may hold an LVM PV, and
  // md on LVM exists too. A step runs for member devices it has not seen before only.
  constexpr int kMaxPasses = 4;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    std::set<std::string> raid;
    std::set<std::string> lvm;
    for (const Probed& probed : ProbeAll()) {
      if (probed.probe.fstype == "linux_raid_member") raid.insert(probed.device.name);
      if (probed.probe.fstype == "LVM2_member") lvm.insert(probed.device.name);
    }
    if (!std::includes(raid_members_seen_.begin(), raid_members_seen_.end(), raid.begin(),
                       raid.end())) {
      raid_members_seen_.insert(raid.begin(), raid.end());
      AssembleRaid(read_write);
    } else if (!std::includes(lvm_members_seen_.begin(), lvm_members_seen_.end(), lvm.begin(),
                              lvm.end())) {
      lvm_members_seen_.insert(lvm.begin(), lvm.end());
      ActivateLvm(read_write);
    } else {
      return;
    }
  }
}

void StorageStack::LoadGroup(const std::string& group, std::vector<std::string>* problems) {
  for (const std::string& p : modules_->EnsureLoaded(group)) problems->push_back("module " + p);
}

void StorageStack::AssembleRaid(bool read_write) {
  raid_problems_.clear();
  LoadGroup("raid", &raid_problems_);
  OpResult<std::string> mdadm = system_.tool_path("mdadm");
  if (!mdadm.ok()) {
    raid_problems_.push_back("RAID members found, but " + mdadm.error().message);
    return;
  }
  // --run starts an array that lacks members (degraded); --readonly keeps md from
  // writing superblocks or resyncing.
  std::vector<std::string> argv = {mdadm.value(), "--assemble", "--scan", "--run"};
  if (!read_write) argv.push_back("--readonly");
  OpResult<ToolOutcome> ran = system_.run_tool(argv, {}, kMdadmTimeout);
  if (!ran.ok()) {
    raid_problems_.push_back("mdadm: " + ran.error().message);
  } else if (ran->timed_out) {
    raid_problems_.push_back("mdadm --assemble timed out after " + Seconds(kMdadmTimeout));
  } else if (ran->exit_code != 0) {
    raid_problems_.push_back("mdadm --assemble: " + LastLineOf(ran.value()));
  }
}

void StorageStack::ActivateLvm(bool read_write) {
  lvm_problems_.clear();
  // Which targets a VG needs is known only from its metadata; every group that exists
  // costs a few modules, loaded once.
  LoadGroup("dm", &lvm_problems_);
  for (const char* group : {"thin", "snapshot", "mirror", "raid"}) {
    if (modules_->Has(group)) LoadGroup(group, &lvm_problems_);
  }
  OpResult<std::string> lvm = system_.tool_path("lvm");
  if (!lvm.ok()) {
    lvm_problems_.push_back("LVM physical volumes found, but " + lvm.error().message);
    return;
  }
  const std::vector<std::string> vgs = CompleteVolumeGroups(lvm.value(), read_write);
  if (!vgs.empty()) {
    std::vector<std::string> argv = {lvm.value(), "vgchange", "--activate", "y", "--sysinit"};
    AddConfig(&argv, read_write ? "" : ReadOnlyLvmConfig(vgs));
    argv.insert(argv.end(), vgs.begin(), vgs.end());
    OpResult<ToolOutcome> ran = system_.run_tool(argv, {}, kLvmTimeout);
    if (!ran.ok()) {
      lvm_problems_.push_back("lvm: " + ran.error().message);
    } else if (ran->timed_out) {
      lvm_problems_.push_back("lvm vgchange timed out after " + Seconds(kLvmTimeout));
    } else if (ran->exit_code != 0) {
      lvm_problems_.push_back("lvm vgchange: " + LastLineOf(ran.value()));
    }
  }
  ReadVisibleLvs(lvm.value(), read_write);
}

std::vector<std::string> StorageStack::CompleteVolumeGroups(const std::string& lvm,
                                                            bool read_write) {
  std::vector<std::string> argv = {lvm,           "pvs", "--noheadings", "--nosuffix",
                                   "--separator", "|",   "-o",
                                   "pv_name,vg_name,pv_count,vg_missing_pv_count"};
  AddConfig(&argv, read_write ? "" : ReadOnlyLvmConfig({}));
  OpResult<ToolOutcome> ran = system_.run_tool(argv, {}, kLvmTimeout);
  if (!ran.ok() || ran->timed_out || ran->exit_code != 0) {
    lvm_problems_.push_back(
        "lvm pvs: " + (!ran.ok() ? ran.error().message
                                 : ran->timed_out ? "timed out after " + Seconds(kLvmTimeout)
                                                  : LastLineOf(ran.value())));
    return {};
  }
  pv_vg_.clear();
  // VG -> {PVs in its metadata, PVs missing}
  std::map<std::string, std::pair<uint64_t, uint64_t>> counts;
  for (const std::string& line : SplitLines(ran->out)) {
    const std::vector<std::string> f = SplitFields(line, '|');
    if (f.size() != 4 || f[1].empty()) continue;  // a PV in no VG
    if (!IsSafeName(f[1])) {
      lvm_problems_.push_back("a volume group with an unusable name is left inactive");
      continue;
    }
    if (const std::string kernel = KernelNameOfPath(f[0]); !kernel.empty()) {
      pv_vg_[kernel] = f[1];
    }
    counts[f[1]] = {ParseSysfsNumber(f[2]).value_or(0), ParseSysfsNumber(f[3]).value_or(0)};
  }
  std::vector<std::string> complete;
  for (const auto& [vg, count] : counts) {
    const auto [total, missing] = count;
    if (missing == 0) {
      complete.push_back(vg);
      continue;
    }
    lvm_problems_.push_back("VG " + vg + " is incomplete: " + std::to_string(missing) + " of " +
                            std::to_string(total) + " physical volume" +
                            (total == 1 ? "" : "s") +
                            " missing; attach every disk of the machine");
  }
  return complete;
}

void StorageStack::ReadVisibleLvs(const std::string& lvm, bool read_write) {
  std::vector<std::string> argv = {lvm,   "lvs", "--noheadings", "--separator", "|",
                                   "-o", "vg_name,lv_name,lv_attr"};
  AddConfig(&argv, read_write ? "" : ReadOnlyLvmConfig({}));
  OpResult<ToolOutcome> ran = system_.run_tool(argv, {}, kLvmTimeout);
  visible_lvs_.clear();
  if (!ran.ok() || ran->timed_out || ran->exit_code != 0) return;  // naming rules serve
  for (const std::string& line : SplitLines(ran->out)) {
    const std::vector<std::string> f = SplitFields(line, '|');
    if (f.size() != 3 || !IsSafeName(f[0]) || !IsSafeName(f[1])) continue;
    std::set<std::string>& lvs = visible_lvs_[f[0]];
    // lv_attr's first letter: t = thin pool, d = VDO pool; they hold volumes, not data.
    if (!f[2].empty() && (f[2][0] == 't' || f[2][0] == 'd')) continue;
    lvs.insert(f[1]);
  }
}

std::string StorageStack::KernelNameOfPath(std::string_view path) const {
  if (path.starts_with(kMapperPrefix)) {
    return FindDmByName(system_.sys_block_dir, path.substr(kMapperPrefix.size())).value_or("");
  }
  if (!path.starts_with(kDevPrefix)) return {};
  const std::string_view rest = path.substr(kDevPrefix.size());
  if (rest.find('/') == std::string_view::npos) return std::string(rest);
  OpResult<std::string> real = ResolveBlockDevice(system_.sys_block_dir, system_.dev_dir, path,
                                                  system_.block_devices_only);
  if (!real.ok()) return {};
  return real->substr(real->rfind('/') + 1);
}

std::optional<ListedDevice> StorageStack::Describe(const Probed& probed) const {
  const std::string& kname = probed.device.name;
  ListedDevice listed;
  listed.kernel_name = kname;
  listed.probe = probed.probe;
  listed.size = probed.device.size;
  listed.device = ToLibguestfsName("/dev/" + kname);
  const std::string sysfs_dir = SysfsDirOf(system_.sys_block_dir, kname);
  if (kname.starts_with("dm-")) {
    const std::optional<DmInfo> dm = ReadDmInfo(sysfs_dir);
    if (!dm) return std::nullopt;  // being set up or torn down
    if (dm->uuid.starts_with(kLvmUuidPrefix)) {
      const auto names = SplitLvmDmName(dm->name);
      if (!names || !IsSafeName(names->first) || !IsSafeName(names->second) ||
          dm->uuid.size() > kLvmUuidLength || IsInternalLvName(names->second)) {
        return std::nullopt;
      }
      if (const auto vg = visible_lvs_.find(names->first);
          vg != visible_lvs_.end() && !vg->second.contains(names->second)) {
        return std::nullopt;
      }
      listed.device = "/dev/" + names->first + "/" + names->second;
      listed.aliases = {"/dev/mapper/" + dm->name, "/dev/" + kname};
    } else if (IsSafeName(dm->name)) {
      listed.device = "/dev/mapper/" + dm->name;
      listed.aliases = {"/dev/" + kname};
    }
  } else if (kname.starts_with("md")) {
    listed.note = MdNote(sysfs_dir);
  }
  if (listed.probe.fstype.empty()) return std::nullopt;
  if (std::string note = MemberNote(probed); !note.empty()) listed.note = std::move(note);
  return listed;
}

std::string StorageStack::MemberNote(const Probed& probed) const {
  const std::string& type = probed.probe.fstype;
  const std::vector<std::string> holders = Holders(system_.sys_block_dir, probed.device.name);
  if (type == "LVM2_member") {
    const auto vg = pv_vg_.find(probed.device.name);
    if (vg == pv_vg_.end()) return "LVM physical volume";
    return "LVM physical volume of VG " + vg->second;
  }
  if (type == "linux_raid_member") {
    for (const std::string& holder : holders) {
      if (holder.starts_with("md")) return "member of RAID array /dev/" + holder;
    }
    return "member of a RAID array that is not assembled";
  }
  if (type == "crypto_LUKS") {
    const std::string luks = "LUKS" + (probed.probe.version.empty() ? "" : probed.probe.version);
    for (const std::string& holder : holders) {
      const std::optional<DmInfo> dm =
          ReadDmInfo(SysfsDirOf(system_.sys_block_dir, holder));
      if (dm && dm->uuid.starts_with(kCryptUuidPrefix) && IsSafeName(dm->name)) {
        return luks + " container, open as /dev/mapper/" + dm->name;
      }
    }
    return luks + " container: give its key with --key-file";
  }
  return {};
}

OpResult<std::string> StorageStack::Unlock(std::string_view device, std::span<const uint8_t> key,
                                           bool read_write) {
  const std::string name(device);
  if (system_.sys_block_dir.empty()) {
    return OpError{EINVAL, name + ": no block devices here (test mode)"};
  }
  OpResult<std::string> path = ResolveBlockDevice(system_.sys_block_dir, system_.dev_dir, device,
                                                  system_.block_devices_only);
  if (!path.ok()) return path.error();
  OpResult<FsProbe> probe = system_.probe(path.value());
  if (!probe.ok()) return probe.error();
  if (probe->fstype != "crypto_LUKS") {
    return OpError{EINVAL, name + ": not a LUKS container (blkid finds " +
                               (probe->fstype.empty() ? "no signature" : probe->fstype) + ")"};
  }
  const std::string& uuid = probe->uuid;
  if (uuid.empty() || uuid.size() > 64 || !std::all_of(uuid.begin(), uuid.end(), IsUuidByte)) {
    return OpError{EINVAL, name + ": the LUKS header has no usable UUID"};
  }
  const std::string mapped = "luks-" + uuid;
  if (FindDmByName(system_.sys_block_dir, mapped)) return "/dev/mapper/" + mapped;
  if (key.empty()) return OpError{EINVAL, name + ": the key is empty"};

  std::vector<std::string> problems;
  LoadGroup("dm", &problems);
  LoadGroup("crypt", &problems);
  for (const std::string& p : problems) LogWarning("%s", p.c_str());
  OpResult<std::string> cryptsetup = system_.tool_path("cryptsetup");
  if (!cryptsetup.ok()) return OpError{ENOENT, name + ": " + cryptsetup.error().message};
  std::vector<std::string> argv = {cryptsetup.value(), "open", "--type", "luks",
                                   "--key-file=-"};
  if (!read_write) argv.push_back("--readonly");
  argv.push_back(path.value());
  argv.push_back(mapped);

  std::string secret(reinterpret_cast<const char*>(key.data()), key.size());
  OpResult<ToolOutcome> ran = system_.run_tool(argv, secret, kCryptsetupTimeout);
  WipeBytes(secret.data(), secret.size());
  if (!ran.ok()) return OpError{ran.error().err, name + ": " + ran.error().message};
  if (ran->timed_out) {
    return OpError{ETIMEDOUT, name + ": cryptsetup open timed out after " +
                                  Seconds(kCryptsetupTimeout)};
  }
  // cryptsetup(8), RETURN CODES: 2 no permission (bad passphrase), 3 out of memory.
  switch (ran->exit_code) {
    case 0:
      return "/dev/mapper/" + mapped;
    case 2:
      return OpError{EKEYREJECTED, name + ": no key slot opens with this key"};
    case 3:
      return OpError{ENOMEM, name + ": not enough memory in the appliance for the key "
                                    "derivation (" + LastLineOf(ran.value()) + ")"};
    default:
      return OpError{EIO, name + ": cryptsetup open failed: " + LastLineOf(ran.value())};
  }
}

}  // namespace diskferry::daemon
