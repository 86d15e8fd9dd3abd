// `diskferry appliance build`, `export` and `check`.
#include <cstdio>
#include <string>

#include "appliance/appliance_dir.h"
#include "appliance/image_session.h"
#include "appliance/kernel_choice.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "protocol/printable_text.h"
#include "runner/partition.h"
#include "sinks/host_costs.h"

namespace diskferry {
namespace {

struct CheckOptions {
  ApplianceOptions appliance;
  std::string image;
  DiskOptions disk;
  bool show_command = false;
};

// Filesystem names may come from the guest (Hello): escaped like every guest string.
std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : " ") + PrintableText(s);
  return out;
}

const char* Shown(const std::string& guest_text, std::string* keep) {
  *keep = PrintableText(guest_text);
  return keep->c_str();
}

ApplianceBuildConfig BuildConfigFrom(const ApplianceOptions& options, bool force) {
  ApplianceBuildConfig build;
  build.kernel = options.kernel;
  build.cache_dir = options.cache_dir;
  build.force_rebuild = force;
  build.appliance_dir = options.appliance_dir;
  return build;
}

int RunBuild(const ApplianceOptions& options, bool force) {
  auto image = PrepareAppliance(BuildConfigFrom(options, force));
  if (!image.ok()) return ReportFailure(image.status());
  std::printf("appliance: %s (%s)\n", image->initrd.c_str(), image->reused ? "reused" : "built");
  std::printf("kernel: %s (%s)\n", image->kernel.c_str(), image->kernel_release.c_str());
  std::printf("filesystems: %s\n", Join(image->filesystems).c_str());
  std::printf("storage tools: %s\n",
              image->storage_tools.empty() ? "none" : Join(image->storage_tools).c_str());
  return kExitOk;
}

// Builds (or reuses) the appliance and copies it into `dir`, for a host that cannot
// build one: a Windows machine boots it with --appliance DIR (docs/windows.md).
int RunExport(const ApplianceOptions& options, const std::string& dir) {
  auto image = PrepareAppliance(BuildConfigFrom(options, /*force=*/false));
  if (!image.ok()) return ReportFailure(image.status());
  if (Status s = ExportApplianceDir(*image, dir); !s.ok()) return ReportFailure(s);
  std::printf("exported: %s (kernel %s, filesystems: %s)\n", dir.c_str(),
              image->kernel_release.c_str(), Join(image->filesystems).c_str());
  return kExitOk;
}


// One line per filesystem type: the kernels that serve it, the booted one first.
void PrintServingKernels(const HelloInfo& hello, const ApplianceImage& image,
                         const ApplianceBuildConfig& build) {
  const std::vector<KernelFilesystems> installed = InstalledKernels(build.roots, build.tools);
  for (const FilesystemServers& row :
       ServingTable(image.kernel_release, hello.filesystems, installed)) {
    std::string releases;
    for (const std::string& r : row.releases) {
      releases += (releases.empty() ? "" : ", ") + r;
      if (r == image.kernel_release) releases += " (booted)";
    }
    std::printf("filesystem %s: %s\n", PrintableText(row.fstype).c_str(), releases.c_str());
  }
}

// What `run` measured on this host and how it cuts jobs into parts from it (host_costs.h).
void PrintHostCosts(const ApplianceBuildConfig& build) {
  const std::string cache = build.cache_dir.empty() ? DefaultCacheDir() : build.cache_dir;
  const HostCosts costs = LoadHostCosts(cache + "/" + kHostCostsFile);
  const uint64_t split = SplitWeightFor(costs, kMinPartWeight) >> 20;
  if (!costs.measured()) {
    std::printf("measured costs: none yet (a run measures them); parts of at least %llu MiB\n",
                static_cast<unsigned long long>(split));
    return;
  }
  std::printf("measured costs: launch %.2f s, reads %.0f MiB/s of weight; parts of at least %llu MiB\n",
              costs.launch_seconds, costs.weight_per_second / (1 << 20),
              static_cast<unsigned long long>(split));
}

int RunCheckReport(Appliance& appliance, const ApplianceImage& image,
                   const ApplianceBuildConfig& build, bool show_command) {
  const HelloInfo& hello = appliance.hello();
  std::string a, b, c, d;
  std::printf("kernel: %s (%s)\n", image.kernel.c_str(), Shown(hello.kernel_release, &a));
  std::printf("initrd: %s\n", image.initrd.c_str());
  std::printf("daemon: %s, protocol %u\n", Shown(hello.daemon_version, &a), hello.protocol_version);
  std::printf("accelerator: %s (%s)\n", std::string(AccelName(appliance.accel())).c_str(),
              appliance.accel_reason().c_str());
  if (appliance.templated()) {
    std::printf("launch: templated%s\n",
                appliance.built_template() ? " (template built first)" : "");
  } else {
    std::printf("launch: cold boot%s%s%s\n", appliance.template_note().empty() ? "" : " (",
                appliance.template_note().c_str(), appliance.template_note().empty() ? "" : ")");
  }
  std::printf("launch-to-ready: %.2f s\n", appliance.launch_time().count() / 1000.0);
  PrintHostCosts(build);
  std::printf("guest uptime at hello: %.2f s\n", hello.boot_ms / 1000.0);
  std::printf("shared memory: %llu MiB\n", static_cast<unsigned long long>(hello.shm_size >> 20));
  std::printf("filesystems: %s\n", Join(hello.filesystems).c_str());
  PrintServingKernels(hello, image, build);
  auto found = appliance.control().ListFilesystems();
  if (!found.ok()) return ReportFailure(found.status());
  for (const auto& fs : *found) {
    std::printf("found: %s %s label=%s uuid=%s size=%llu\n", Shown(fs.device, &a),
                Shown(fs.fstype, &b), Shown(fs.label, &c), Shown(fs.uuid, &d),
                static_cast<unsigned long long>(fs.size));
  }
  if (show_command) std::printf("qemu: %s\n", appliance.ShellCommand().c_str());
  Status st = appliance.Shutdown();
  if (!st.ok()) return ReportFailure(st.WithContext("shutting the appliance down"));
  return kExitOk;
}

int RunCheck(const CheckOptions& options) {
  auto config = SessionConfigFrom(options.appliance);
  if (!config.ok()) return ReportFailure(config.status());
  config->image = options.image;
  ApplyDiskOptions(options.disk, &*config);
  config->mount = false;
  if (options.image.empty()) {
    // Boot with no drive: the appliance alone, like libguestfs-test-tool's own disk.
    auto image = PrepareAppliance(config->build);
    if (!image.ok()) return ReportFailure(image.status());
    config->launch.image = *image;
    auto appliance = Appliance::Launch(config->launch);
    if (!appliance.ok()) return ReportFailure(appliance.status());
    return RunCheckReport(**appliance, *image, config->build, options.show_command);
  }
  auto session = ImageSession::Open(*config);
  if (!session.ok()) return ReportFailure(session.status());
  return RunCheckReport((*session)->appliance(), (*session)->image(), config->build,
                        options.show_command);
}

}  // namespace


void RegisterApplianceCommands(CLI::App* app, int* exit_code) {
  auto* appliance = app->add_subcommand("appliance", "build or test the appliance VM");
  appliance->require_subcommand(1);

  static ApplianceOptions build_options;
  static bool force = false;
  auto* build = appliance->add_subcommand("build", "build the appliance, or reuse the cached one");
  AddApplianceOptions(build, &build_options);
  build->add_flag("--force", force, "rebuild even when the cached appliance is fresh");
  build->callback([=] { *exit_code = RunBuild(build_options, force); });

  static ApplianceOptions export_options;
  static std::string export_dir;
  auto* exp = appliance->add_subcommand(
      "export", "copy the appliance (kernel, initrd, manifest) into DIR, for --appliance DIR");
  AddApplianceOptions(exp, &export_options);
  exp->add_option("dir", export_dir, "directory to write (created if missing)")->required();
  exp->callback([=] { *exit_code = RunExport(export_options, export_dir); });

  static CheckOptions check_options;
  auto* check = appliance->add_subcommand(
      "check", "boot one appliance and report kernel, accelerator, launch time and filesystems");
  AddApplianceOptions(check, &check_options.appliance);
  check->add_option("--image", check_options.image, "attach this image read-only");
  AddDiskOptions(check, &check_options.disk, /*with_filesystem=*/false);
  check->add_flag("--show-command", check_options.show_command, "print the QEMU command line");
  check->callback([=] { *exit_code = RunCheck(check_options); });
}

}  // namespace diskferry
