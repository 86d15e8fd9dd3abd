// Options shared by every command that boots an appliance.
#include "cli/commands.h"

namespace diskferry {

void AddApplianceOptions(CLI::App* cmd, ApplianceOptions* options) {
  cmd->add_option("--kernel", options->kernel,
                  "kernel to boot (default: newest in /boot, cloud preferred)");
  cmd->add_option("--appliance", options->appliance_dir,
                  "boot this exported appliance directory instead of building one "
                  "(default: $DISKFERRY_APPLIANCE)");
  cmd->add_option("--cache-dir", options->cache_dir,
                  "appliance cache (default: $XDG_CACHE_HOME/diskferry)");
  cmd->add_option("--accel", options->accel, "auto, kvm, whpx or tcg")->capture_default_str();
  cmd->add_option("--memory", options->memory_mib, "guest memory in MiB")->capture_default_str();
  cmd->add_option("--cpus", options->cpus, "guest vCPUs")->capture_default_str();
  cmd->add_option("--timeout", options->timeout_s, "seconds to wait for the appliance to boot")
      ->capture_default_str();
}

void AddDiskOptions(CLI::App* cmd, DiskOptions* options, bool with_filesystem) {
  if (with_filesystem) {
    cmd->add_option("--fs", options->filesystem, "filesystem: /dev/sdXN, LABEL=name or UUID=id");
  }
  cmd->add_option("--format", options->format,
                  "image format: " + KnownImageFormats() + "; never guessed (default raw)");
  cmd->add_option("--backing", options->backing,
                  "a backing file the image's header names, which is opened only when named "
                  "here; repeat for a chain, nearest first");
}

void ApplyDiskOptions(const DiskOptions& options, ImageSessionConfig* config) {
  config->format = options.format;
  config->filesystem = options.filesystem;
  config->backing.clear();
  for (const std::string& path : options.backing) config->backing.push_back({path, ""});
}

Result<ImageSessionConfig> SessionConfigFrom(const ApplianceOptions& options) {
  ImageSessionConfig config;
  config.build.kernel = options.kernel;
  config.build.cache_dir = options.cache_dir;
  config.build.appliance_dir = options.appliance_dir;
  auto accel = ParseAccelRequest(options.accel);
  if (!accel) return Status(Code::kInvalidArgument, "--accel must be auto, kvm, whpx or tcg");
  config.launch.accel = *accel;
  config.launch.memory_mib = options.memory_mib;
  config.launch.vcpus = options.cpus;
  config.launch.launch_timeout = std::chrono::seconds(options.timeout_s);
  return config;
}

}  // namespace diskferry
