#include "appliance/module_plan.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace diskferry {
namespace {

struct FilesystemSpec {
  std::string_view fstype;
  std::vector<std::string> modules;   // required
  std::vector<std::string> optional;  // shipped when present: tables for mount options
};

// Sorted by fstype. ext2 and ext3 are served by the ext4 driver (CONFIG_EXT4_USE_FOR_EXT2
// on Debian kernels; ext3 has had no driver of its own since Linux 4.3).
const std::vector<FilesystemSpec>& FilesystemSpecs() {
  static const std::vector<FilesystemSpec> kSpecs = {
      {"btrfs", {"btrfs"}, {}},
      {"exfat", {"exfat"}, {"nls_utf8"}},
      {"ext2", {"ext4"}, {}},
      {"ext3", {"ext4"}, {}},
      {"ext4", {"ext4"}, {}},
      // f2fs asks the crypto API for "crc32" at mount; the kernel would modprobe
      // crypto-crc32, which the appliance cannot (mount fails with ENOENT). The generic
      // module serves it on every CPU (crc32-pclmul needs PCLMULQDQ).
      {"f2fs", {"f2fs"}, {"crc32_generic"}},
      {"iso9660", {"isofs"}, {}},
      // NTFS is mounted by ntfs-3g (a storage tool) through FUSE: Debian 12's kernels have
      // no ntfs3, and ntfs-3g is what libguestfs and the distributions use.
      {"ntfs", {"fuse"}, {}},
      {"squashfs", {"squashfs"}, {}},
      {"udf", {"udf"}, {}},
      {"vfat", {"vfat"}, {"nls_cp437", "nls_iso8859_1", "nls_utf8"}},
      {"xfs", {"xfs"}, {}},
  };
  return kSpecs;
}

// Each group's line is whole on its own: modules.dep brings dm-mod before dm-crypt and
// raid456's async_tx helpers before it. xts asks the crypto API for ecb(aes), and
// aes-cbc-essiv:sha256 (old LUKS1 volumes) needs cbc, essiv and sha256; the AF_ALG
// skcipher socket lets cryptsetup decrypt a keyslot without a temporary dm-crypt mapping,
// and sha512 serves essiv:sha512. linear and dm-raid are kept out of the required set:
// md arrays and LVM volumes of the other levels work without them.
struct StorageGroupSpec {
  std::string_view group;
  std::vector<std::string> modules;   // required
  std::vector<std::string> optional;  // shipped when present
};
const std::vector<StorageGroupSpec>& StorageGroupSpecs() {
  static const std::vector<StorageGroupSpec> kSpecs = {
      {"dm", {"dm_mod"}, {}},
      {"crypt",
       {"dm_crypt", "aes_generic", "ecb", "xts", "cbc", "sha256_generic", "essiv"},
       {"sha512_generic", "af_alg", "algif_skcipher"}},
      {"thin", {"dm_thin_pool"}, {}},
      {"snapshot", {"dm_snapshot"}, {}},
      {"mirror", {"dm_mirror"}, {}},
      {"raid", {"md_mod", "raid0", "raid1", "raid10", "raid456"}, {"linear", "dm_raid"}},
  };
  return kSpecs;
}

// NLS tables a mount loads by default, named by the kernel config (fallback: upstream's
// Kconfig default). vfat loads its codepage and iocharset tables at every mount, and a
// missing one fails it: "FAT-fs (vdd): IO charset ascii not found" on Debian, which
// builds FAT with iocharset "ascii".
struct DefaultTable {
  std::string_view fstype;
  std::string_view module_prefix;
  std::string_view symbol;
  std::string_view fallback;
};
constexpr DefaultTable kDefaultTables[] = {
    {"vfat", "nls_cp", "CONFIG_FAT_DEFAULT_CODEPAGE", "437"},
    {"vfat", "nls_", "CONFIG_FAT_DEFAULT_IOCHARSET", "iso8859-1"},
    {"exfat", "nls_", "CONFIG_EXFAT_DEFAULT_IOCHARSET", "utf8"},
};

const FilesystemSpec* FindSpec(std::string_view fstype) {
  for (const FilesystemSpec& spec : FilesystemSpecs()) {
    if (spec.fstype == fstype) return &spec;
  }
  return nullptr;
}

// The Kconfig symbols of the modules we ask for by name. modules.builtin is the primary
// source; the config catches kernels installed without it.
constexpr std::pair<std::string_view, std::string_view> kConfigSymbols[] = {
    {"virtio_pci", "CONFIG_VIRTIO_PCI"},
    {"virtio_blk", "CONFIG_VIRTIO_BLK"},
    {"virtio_scsi", "CONFIG_SCSI_VIRTIO"},
    {"virtio_console", "CONFIG_VIRTIO_CONSOLE"},
    {"btrfs", "CONFIG_BTRFS_FS"},
    {"exfat", "CONFIG_EXFAT_FS"},
    {"ext4", "CONFIG_EXT4_FS"},
    {"f2fs", "CONFIG_F2FS_FS"},
    {"isofs", "CONFIG_ISO9660_FS"},
    {"fuse", "CONFIG_FUSE_FS"},
    {"squashfs", "CONFIG_SQUASHFS"},
    {"udf", "CONFIG_UDF_FS"},
    {"vfat", "CONFIG_VFAT_FS"},
    {"xfs", "CONFIG_XFS_FS"},
    {"dm_mod", "CONFIG_BLK_DEV_DM"},
    {"dm_crypt", "CONFIG_DM_CRYPT"},
    {"dm_thin_pool", "CONFIG_DM_THIN_PROVISIONING"},
    {"dm_snapshot", "CONFIG_DM_SNAPSHOT"},
    {"dm_mirror", "CONFIG_DM_MIRROR"},
    {"dm_raid", "CONFIG_DM_RAID"},
    {"md_mod", "CONFIG_BLK_DEV_MD"},
    {"linear", "CONFIG_MD_LINEAR"},
    {"raid0", "CONFIG_MD_RAID0"},
    {"raid1", "CONFIG_MD_RAID1"},
    {"raid10", "CONFIG_MD_RAID10"},
    {"raid456", "CONFIG_MD_RAID456"},
    {"aes_generic", "CONFIG_CRYPTO_AES"},
    {"ecb", "CONFIG_CRYPTO_ECB"},
    {"xts", "CONFIG_CRYPTO_XTS"},
    {"cbc", "CONFIG_CRYPTO_CBC"},
    {"essiv", "CONFIG_CRYPTO_ESSIV"},
    {"sha256_generic", "CONFIG_CRYPTO_SHA256"},
    {"sha512_generic", "CONFIG_CRYPTO_SHA512"},
    {"af_alg", "CONFIG_CRYPTO_USER_API"},
    {"algif_skcipher", "CONFIG_CRYPTO_USER_API_SKCIPHER"},
};

std::string ConfigSymbol(std::string_view module) {
  for (const auto& [name, symbol] : kConfigSymbols) {
    if (name == module) return std::string(symbol);
  }
  // fs/nls/Kconfig: nls_cp437 is NLS_CODEPAGE_437, nls_iso8859_1 is NLS_ISO8859_1.
  std::string symbol;
  if (module.starts_with("nls_cp")) {
    symbol = "CONFIG_NLS_CODEPAGE_" + std::string(module.substr(6));
  } else if (module.starts_with("nls_")) {
    symbol = "CONFIG_NLS_" + std::string(module.substr(4));
  }
  for (char& c : symbol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return symbol;
}

bool ModuleIsBuiltin(const std::string& module, const ModuleIndex& index,
                     const KernelConfig& config) {
  std::string symbol = ConfigSymbol(module);
  return index.IsBuiltin(module) || (!symbol.empty() && config.builtin.contains(symbol));
}

std::vector<std::string> NotBuiltin(const std::vector<std::string>& modules,
                                    const ModuleIndex& index, const KernelConfig& config) {
  std::vector<std::string> out;
  for (const std::string& m : modules) {
    if (!ModuleIsBuiltin(m, index, config)) out.push_back(m);
  }
  return out;
}

void AddOnce(std::vector<std::string>* list, std::string name) {
  if (std::find(list->begin(), list->end(), name) == list->end()) list->push_back(name);
}

// Required modules, then those optional ones the kernel has as modules.
std::vector<std::string> WithOptional(std::vector<std::string> modules,
                                      const std::vector<std::string>& optional,
                                      const ModuleIndex& index, const KernelConfig& config) {
  for (const std::string& name : optional) {
    if (index.HasModule(name)) AddOnce(&modules, name);
  }
  return NotBuiltin(modules, index, config);
}

std::vector<std::string> ModulesToShip(const FilesystemSpec& spec, const ModuleIndex& index,
                                       const KernelConfig& config) {
  return WithOptional(RequiredModules(spec.fstype, config), spec.optional, index, config);
}

void PlanStorageGroups(const ModuleIndex& index, const KernelConfig& config, ModulePlan* plan) {
  for (const StorageGroupSpec& spec : StorageGroupSpecs()) {
    ModuleClosure closure =
        index.Closure(WithOptional(spec.modules, spec.optional, index, config));
    if (closure.missing.empty()) {
      plan->storage.push_back({std::string(spec.group), std::move(closure.paths)});
    } else {
      plan->storage_not_offered.emplace_back(spec.group);
    }
  }
}

}  // namespace

std::set<std::string> ModulePlan::AllPaths() const {
  std::set<std::string> paths(boot.begin(), boot.end());
  for (const FilesystemModules& fs : filesystems) paths.insert(fs.paths.begin(), fs.paths.end());
  for (const StorageModules& group : storage) paths.insert(group.paths.begin(), group.paths.end());
  return paths;
}

std::vector<std::string> ModulePlan::FilesystemNames() const {
  std::vector<std::string> names;
  for (const FilesystemModules& fs : filesystems) names.push_back(fs.fstype);
  return names;
}

void ModulePlan::Withhold(std::string_view fstype) {
  auto it = std::find_if(filesystems.begin(), filesystems.end(),
                         [&](const FilesystemModules& fs) { return fs.fstype == fstype; });
  if (it == filesystems.end()) return;
  filesystems.erase(it);
  not_offered.insert(std::upper_bound(not_offered.begin(), not_offered.end(), fstype),
                     std::string(fstype));
}

const std::vector<std::string>& BootModuleNames() {
  // qemu_fw_cfg: the launch secret's fw_cfg file in sysfs (protocol/launch_secret.h),
  // which Hello reads; Debian builds it as a module (CONFIG_FW_CFG_SYSFS=m).
  static const std::vector<std::string> kBoot = {"virtio_pci", "virtio_blk", "virtio_scsi",
                                                 "virtio_console", "qemu_fw_cfg"};
  return kBoot;
}

std::vector<std::string> SupportedFilesystems() {
  std::vector<std::string> names;
  for (const FilesystemSpec& spec : FilesystemSpecs()) names.emplace_back(spec.fstype);
  return names;
}

std::vector<std::string> StorageModuleGroups() {
  std::vector<std::string> names;
  for (const StorageGroupSpec& spec : StorageGroupSpecs()) names.emplace_back(spec.group);
  return names;
}

std::string KernelConfig::Value(const std::string& symbol, std::string_view fallback) const {
  auto it = values.find(symbol);
  return it != values.end() ? it->second : std::string(fallback);
}

KernelConfig ParseKernelConfig(std::string_view config_text) {
  KernelConfig config;
  while (!config_text.empty()) {
    size_t end = config_text.find('\n');
    std::string_view line = config_text.substr(0, end);
    config_text = end == std::string_view::npos ? std::string_view() : config_text.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    size_t equals = line.find('=');
    if (!line.starts_with("CONFIG_") || equals == std::string_view::npos) continue;
    std::string_view value = line.substr(equals + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    std::string symbol(line.substr(0, equals));
    if (value == "y") config.builtin.insert(symbol);
    config.values[symbol] = std::string(value);
  }
  return config;
}

std::vector<std::string> RequiredModules(std::string_view fstype, const KernelConfig& config) {
  const FilesystemSpec* spec = FindSpec(fstype);
  if (spec == nullptr) return {};
  std::vector<std::string> modules = spec->modules;
  for (const DefaultTable& table : kDefaultTables) {
    if (table.fstype != fstype) continue;
    std::string charset = config.Value(std::string(table.symbol), table.fallback);
    AddOnce(&modules, NormalizeModuleName(std::string(table.module_prefix) + charset));
  }
  return modules;
}

bool FilesystemIsBuiltin(std::string_view fstype, const ModuleIndex& index,
                         const KernelConfig& config) {
  std::vector<std::string> required = RequiredModules(fstype, config);
  return !required.empty() && NotBuiltin(required, index, config).empty();
}

ModulePlan PlanModules(const ModuleIndex& index, const KernelConfig& config) {
  ModulePlan plan;
  ModuleClosure boot = index.Closure(NotBuiltin(BootModuleNames(), index, config));
  plan.boot = std::move(boot.paths);
  plan.boot_missing = std::move(boot.missing);
  for (const FilesystemSpec& spec : FilesystemSpecs()) {
    ModuleClosure closure = index.Closure(ModulesToShip(spec, index, config));
    if (closure.missing.empty()) {
      plan.filesystems.push_back({std::string(spec.fstype), std::move(closure.paths)});
    } else {
      plan.not_offered.emplace_back(spec.fstype);
    }
  }
  PlanStorageGroups(index, config, &plan);
  return plan;
}

std::string GuestModulePath(std::string_view release, std::string_view path) {
  return "/lib/modules/" + std::string(release) + "/" + DecompressedModulePath(path);
}

std::string RenderModulesBoot(const ModulePlan& plan, std::string_view release) {
  std::string out;
  for (const std::string& path : plan.boot) out += GuestModulePath(release, path) + "\n";
  return out;
}

std::string RenderModulesFs(const ModulePlan& plan, std::string_view release) {
  std::string out;
  for (const FilesystemModules& fs : plan.filesystems) {
    out += fs.fstype;
    for (const std::string& path : fs.paths) out += " " + GuestModulePath(release, path);
    out += "\n";
  }
  return out;
}

std::string RenderModulesStorage(const ModulePlan& plan, std::string_view release) {
  std::string out;
  for (const StorageModules& group : plan.storage) {
    out += group.group;
    for (const std::string& path : group.paths) out += " " + GuestModulePath(release, path);
    out += "\n";
  }
  return out;
}

}  // namespace diskferry
