// The subcommands of `diskferry`. Each Register* adds one CLI11 subcommand whose callback
// runs the command and stores its exit code in *exit_code. Single-threaded.
#ifndef DISKFERRY_CLI_COMMANDS_H_
#define DISKFERRY_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "appliance/image_session.h"
#include "cli/disk_options.h"

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

// --format, --backing, --add, --key-file, --no-replay, and --fs and --os when
// `with_filesystem` (DiskOptions: cli/disk_options.h).
void AddDiskOptions(CLI::App* cmd, DiskOptions* options, bool with_filesystem);
// Puts `options` into `config` without the checks of ConfigureDisks (disk_options.h),
// which commands should call instead.
void ApplyDiskOptions(const DiskOptions& options, ImageSessionConfig* config);

// After ImageSession::Open, on stderr: the session's warnings, one line per filesystem
// whose journal was replayed into a throw-away overlay, and for --os the OS name with
// its mounts and one line per fstab entry skipped. Guest text is escaped.
void ReportSession(const ImageSession& session, const std::string& image);

// The session config the appliance options describe (no image yet).
// kInvalidArgument for a bad --accel.
Result<ImageSessionConfig> SessionConfigFrom(const ApplianceOptions& options);

void RegisterApplianceCommands(CLI::App* app, int* exit_code);
void RegisterLsCommand(CLI::App* app, int* exit_code);
void RegisterCopyCommands(CLI::App* app, int* exit_code);
void RegisterJobCommands(CLI::App* app, int* exit_code);
// `image verify`: an E01's stored hashes against its medium (appliance/ewf.h).
void RegisterImageCommands(CLI::App* app, int* exit_code);
// `report merge`: a sharded run's reports into one (runner/report_merge.h).
void RegisterReportCommands(CLI::App* app, int* exit_code);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_COMMANDS_H_
