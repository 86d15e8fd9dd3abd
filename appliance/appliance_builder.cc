#include "appliance/appliance_builder.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "appliance/appliance_cache.h"
#include "appliance/builder_io.h"
#include "appliance/initramfs_layout.h"
#include "appliance/initramfs_writer.h"
#include "protocol/storage_disk.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;

// A build takes well under a second; a holder this slow is stuck, and since publishing
// is atomic we may simply build alongside it.
constexpr auto kLockTimeout = std::chrono::seconds(60);
// The entry in use plus three before it: two daemons under test side by side, each with
// the cloud kernel and the generic one a session may boot (kernel_choice.h).
constexpr size_t kEntriesKept = 4;

constexpr const char* kIndexFiles[] = {"modules.dep", "modules.builtin", "modules.softdep",
                                       "modules.alias"};

Status CheckInputFile(const std::string& path, const char* role) {
  if (path.empty()) return Status(Code::kInvalidArgument, std::string("no ") + role + " given");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status(Code::kInvalidArgument, std::string(role) + " " + path + ": not a file");
  }
  return Status::Ok();
}

// Keys and manifests name files by absolute path, whatever the working directory.
std::string Absolute(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

Result<ModuleIndex> LoadModuleIndex(const HostKernel& kernel) {
  Result<std::string> dep = ReadFileToString(kernel.modules_dir + "/modules.dep");
  if (!dep.ok()) return dep.status();
  ModuleIndexFiles files{std::move(*dep), "", "", ""};
  std::string* optional[] = {&files.builtin, &files.softdep, &files.alias};
  for (size_t i = 0; i < 3; ++i) {
    Result<std::string> text = ReadOptionalFile(kernel.modules_dir + "/" + kIndexFiles[i + 1]);
    if (!text.ok()) return text.status();
    *optional[i] = std::move(*text);
  }
  Result<ModuleIndex> index = ModuleIndex::Parse(files);
  if (!index.ok()) return index.status().WithContext(kernel.modules_dir);
  return index;
}

Result<ModulePlan> LoadModulePlan(const HostKernel& kernel, const ModuleIndex& index,
                                  const StorageToolsPlan& tools) {
  std::string config_text;
  if (!kernel.config_path.empty()) {
    Result<std::string> text = ReadOptionalFile(kernel.config_path);
    if (!text.ok()) return text.status();
    config_text = std::move(*text);
  }
  ModulePlan plan = PlanModules(index, ParseKernelConfig(config_text));
  if (!tools.Has("ntfs-3g")) plan.Withhold("ntfs");
  if (!plan.boot_missing.empty()) {
    std::string names;
    for (const std::string& n : plan.boot_missing) names += (names.empty() ? "" : ", ") + n;
    return Status(Code::kFailedPrecondition,
                  "kernel " + kernel.release + " has no " + names + " (neither built in nor in " +
                      kernel.modules_dir +
                      "); the appliance could not reach its disks or "
                      "console, or read its launch secret. Use a Debian kernel (linux-image-cloud-amd64)");
  }
  return plan;
}

// Input order is fixed (kernel, daemon, busybox, config, indexes, modules in path
// order, storage tools and their libraries in guest path order), so the same files
// always give the same key.
std::vector<std::string> KeyInputs(const AppliancePlan& plan) {
  std::vector<std::string> inputs = {plan.kernel.path, plan.daemon, plan.busybox};
  if (!plan.kernel.config_path.empty()) inputs.push_back(plan.kernel.config_path);
  std::error_code ec;
  for (const char* name : kIndexFiles) {
    std::string path = plan.kernel.modules_dir + "/" + name;
    if (fs::exists(path, ec)) inputs.push_back(path);
  }
  for (const std::string& path : plan.modules.AllPaths()) {
    inputs.push_back(plan.kernel.modules_dir + "/" + path);
  }
  for (std::string& source : plan.tools.Sources()) inputs.push_back(std::move(source));
  return inputs;
}

// A hard link costs nothing when the cache shares /boot's filesystem (and
// fs.protected_hardlinks allows it); a copy keeps the entry bootable after the package
// manager replaces or removes the kernel.
Status CopyKernel(const std::string& from, const std::string& to) {
  if (link(from.c_str(), to.c_str()) == 0) return Status::Ok();
  Result<std::string> bytes = ReadFileToString(from);
  if (!bytes.ok()) return bytes.status();
  return WriteNewFile(to, *bytes, 0644);
}

Status FillEntry(const AppliancePlan& plan, const std::string& staging) {
  std::string kernel = staging + "/" + std::string(ApplianceCache::kKernelFile);
  std::string initrd = staging + "/" + std::string(ApplianceCache::kInitrdFile);
  if (Status s = CopyKernel(plan.kernel.path, kernel); !s.ok()) return s;
  InitramfsSpec spec =
      LayoutInitramfs(plan.kernel, plan.index, plan.modules, plan.daemon, plan.busybox);
  if (Status s = WriteInitramfs(spec, initrd); !s.ok()) return s;
  Result<FileStamp> kernel_stamp = StampFile(kernel);
  Result<FileStamp> initrd_stamp = StampFile(initrd);
  if (!kernel_stamp.ok()) return kernel_stamp.status();
  if (!initrd_stamp.ok()) return initrd_stamp.status();
  ApplianceManifest manifest{plan.kernel.path,  plan.kernel.release, plan.modules.FilesystemNames(),
                             kernel_stamp->size, initrd_stamp->size,  plan.tools.present};
  if (!plan.tools.present.empty()) {
    std::string storage = staging + "/" + std::string(ApplianceCache::kStorageFile);
    if (Status s = WriteInitramfs(LayoutStorageArchive(plan.tools), storage, kStorageDiskSectorSize);
        !s.ok()) {
      return s;
    }
    Result<FileStamp> storage_stamp = StampFile(storage);
    if (!storage_stamp.ok()) return storage_stamp.status();
    manifest.storage_size = storage_stamp->size;
  }
  // The manifest is written last: Lookup trusts an entry only when it parses.
  return WriteNewFile(staging + "/" + std::string(ApplianceCache::kManifestFile),
                      RenderManifest(manifest), 0644);
}

Result<ApplianceImage> BuildEntry(const AppliancePlan& plan, const ApplianceCache& cache,
                                  bool replace) {
  Result<std::string> staging = cache.CreateStaging();
  if (!staging.ok()) return staging.status();
  if (Status s = FillEntry(plan, *staging); !s.ok()) {
    std::error_code ec;
    fs::remove_all(*staging, ec);
    return s;
  }
  Result<ApplianceImage> image = cache.Publish(*staging, plan.cache_key, replace);
  if (image.ok()) {
    image->reused = false;
    cache.Prune(plan.cache_key, kEntriesKept);
  }
  return image;
}

}  // namespace

bool HostBuildsAppliances() { return true; }

std::vector<KernelFilesystems> InstalledKernels(const KernelSearchRoots& roots,
                                               const StorageToolsConfig& tools_config) {
  const StorageToolsPlan tools = PlanStorageTools(tools_config);
  std::vector<KernelFilesystems> installed;
  for (HostKernel& kernel : ListHostKernels(roots)) {
    Result<ModuleIndex> index = LoadModuleIndex(kernel);
    if (!index.ok()) continue;
    Result<ModulePlan> modules = LoadModulePlan(kernel, *index, tools);
    if (!modules.ok()) continue;
    installed.push_back({std::move(kernel), modules->FilesystemNames()});
  }
  return installed;
}

Result<AppliancePlan> PlanAppliance(const ApplianceBuildConfig& config) {
  if (Status s = CheckInputFile(config.daemon, "daemon"); !s.ok()) return s;
  if (Status s = CheckInputFile(config.busybox, "busybox"); !s.ok()) return s;
  Result<HostKernel> kernel = config.kernel.empty()
                                  ? FindHostKernel(config.roots)
                                  : UseKernel(Absolute(config.kernel), config.roots);
  if (!kernel.ok()) return kernel.status();
  Result<ModuleIndex> index = LoadModuleIndex(*kernel);
  if (!index.ok()) return index.status();
  StorageToolsPlan tools = PlanStorageTools(config.tools);
  Result<ModulePlan> modules = LoadModulePlan(*kernel, *index, tools);
  if (!modules.ok()) return modules.status();
  AppliancePlan plan;
  plan.kernel = std::move(*kernel);
  plan.index = std::move(*index);
  plan.modules = std::move(*modules);
  plan.tools = std::move(tools);
  plan.daemon = Absolute(config.daemon);
  plan.busybox = Absolute(config.busybox);
  plan.cache_dir = config.cache_dir.empty() ? DefaultCacheDir() : config.cache_dir;
  plan.inputs = KeyInputs(plan);
  Result<std::string> key = ComputeCacheKey(plan.inputs);
  if (!key.ok()) return key.status();
  plan.cache_key = std::move(*key);
  return plan;
}

Result<ApplianceImage> BuildAppliance(const ApplianceBuildConfig& config) {
  Result<AppliancePlan> plan = PlanAppliance(config);
  if (!plan.ok()) return plan.status();
  ApplianceCache cache(plan->cache_dir);
  if (!config.force_rebuild) {
    if (std::optional<ApplianceImage> image = cache.Lookup(plan->cache_key)) return *image;
  }
  if (Status s = cache.Init(); !s.ok()) return s;
  // Waiting lets a concurrent builder finish so we reuse its entry. If the lock cannot
  // be had we build anyway: Publish resolves the race.
  Result<CacheLock> lock = cache.Lock(kLockTimeout);
  if (!config.force_rebuild) {
    if (std::optional<ApplianceImage> image = cache.Lookup(plan->cache_key)) return *image;
  }
  return BuildEntry(*plan, cache, config.force_rebuild);
}

}  // namespace diskferry
