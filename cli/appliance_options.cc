// Options shared by every command that boots an appliance.
#include <cstdio>

#include "cli/commands.h"
#include "cli/session_notes.h"

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
    // --os with --fs is refused by ConfigureDisks, in one line (CLI11's excludes() adds
    // a second).
    cmd->add_option("--fs", options->filesystem,
                         "filesystem: a device or any of its names (/dev/sda1, /dev/vg0/root, "
                         "/dev/mapper/vg0-root, /dev/md0), LABEL=name or UUID=id");
    cmd->add_flag("--os", options->whole_os,
                  "mount the installed OS as it boots: its root filesystem with the others "
                  "where its /etc/fstab says");
  }
  cmd->add_option("--format", options->formats,
                  "image format: " + KnownImageFormats() +
                      ", or ewf (E01 evidence, read-only); never guessed (default raw); once "
                      "for every disk or once per disk")
      ->allow_extra_args(false);
  cmd->add_option("--backing", options->backing,
                  "a backing file the image's header names, which is opened only when named "
                  "here; repeat for a chain, nearest first")
      ->allow_extra_args(false);
  cmd->add_option("--add", options->add,
                  "another disk of the same machine (/dev/sdb, /dev/sdc, ... in order): a "
                  "volume group or RAID array across disks; repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--key-file", options->key_files,
                  "LUKS key file, PATH for any container or DEVICE=PATH for one "
                  "(/dev/sda2=k.key); repeatable, tried in order")
      ->allow_extra_args(false);
  cmd->add_flag("--no-replay", options->no_replay,
                "read the on-disk state: do not replay journals (crash-consistent images are "
                "otherwise replayed into a throw-away overlay)");
}

void ApplyDiskOptions(const DiskOptions& options, ImageSessionConfig* config) {
  DiskOptions unchecked = options;
  unchecked.key_files.clear();
  if (unchecked.formats.size() > 1 && unchecked.formats.size() != 1 + unchecked.add.size()) {
    unchecked.formats.resize(1);
  }
  unchecked.filesystem = options.whole_os ? "" : options.filesystem;
  (void)ConfigureDisks(unchecked, config);
  for (const std::string& arg : options.key_files) {
    if (auto spec = ParseKeyFileArg(arg); spec.ok()) config->keys.push_back(*spec);
  }
}

void ReportSession(const ImageSession& session, const std::string& image) {
  for (const std::string& line :
       SessionNotes(image, session.warnings(), session.mounted(), session.os_tree())) {
    std::fprintf(stderr, "diskferry: %s\n", line.c_str());
  }
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
  // Appliance templates live beside the appliances they are made of.
  if (!options.cache_dir.empty()) config.launch.template_dir = options.cache_dir + "/templates";
  return config;
}

}  // namespace diskferry
