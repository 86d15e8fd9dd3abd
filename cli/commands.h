// The subcommands of `diskferry`. Each Register* adds one CLI11 subcommand whose callback
// runs the command and stores its exit code in *exit_code. Single-threaded.
#ifndef DISKFERRY_CLI_COMMANDS_H_
#define DISKFERRY_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "appliance/image_session.h"

namespace diskferry {

// Options every command that boots an appliance shares.
struct ApplianceOptions {
  std::string kernel;
  std::string cache_dir;
  std::string appliance_dir;  // --appliance: an exported appliance to boot
  std::string accel = "auto";
  unsigned memory_mib = 512;
  unsigned cpus = 1;
  unsigned timeout_s = 60;
};

void AddApplianceOptions(CLI::App* cmd, ApplianceOptions* options);

// How to open the disk a command works on.
struct DiskOptions {
  std::string format;                // --format; "" raw, after a signature check
  std::vector<std::string> backing;  // --backing, nearest first
  std::string filesystem;            // --fs
};

// --format and --backing, and --fs when `with_filesystem`.
void AddDiskOptions(CLI::App* cmd, DiskOptions* options, bool with_filesystem);
// Puts `options` into `config` (format, backing files with their formats left to the
// layer above, filesystem).
void ApplyDiskOptions(const DiskOptions& options, ImageSessionConfig* config);

// The session config the appliance options describe (no image yet).
// kInvalidArgument for a bad --accel.
Result<ImageSessionConfig> SessionConfigFrom(const ApplianceOptions& options);

void RegisterApplianceCommands(CLI::App* app, int* exit_code);
void RegisterLsCommand(CLI::App* app, int* exit_code);
void RegisterCopyCommands(CLI::App* app, int* exit_code);
void RegisterJobCommands(CLI::App* app, int* exit_code);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_COMMANDS_H_
