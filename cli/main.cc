// diskferry: the command. Parses arguments, runs one subcommand, maps its result to an
// exit code. See README.md for the commands and exit codes.
#include <CLI/CLI.hpp>
#include <cstdint>

#include "appliance/child_registry.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  // Children (QEMU) must die with us on Ctrl-C or SIGTERM; the handler re-raises, so the
  // shell still sees 130 / 143.
  diskferry::InstallChildCleanupHandlers();
  diskferry::SetCommandLine(argc, argv);

  CLI::App app("diskferry: copy files out of and into Linux disk images, in batches",
               "diskferry");
  app.set_version_flag("--version", std::string("diskferry ") + DISKFERRY_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok; 1 error, or (run) finished with warnings, or (image verify) a\n"
      "mismatch; 2 (run) a job failed;\n"
      "3 (run) verify found differences; 64 usage error; 65 invalid manifest, or\n"
      "(report merge) a shard missing or unfinished; 69 QEMU or appliance unavailable;\n"
      "70 internal or protocol error; 130 interrupted.");
  // Given before or after the subcommand's name ("diskferry run -v m.yaml").
  app.fallthrough();
  app.add_flag_function(
      "-v,--verbose", [](std::int64_t count) { diskferry::SetVerbose(count > 0); },
      "print messages whole: a failed appliance launch's QEMU output, console tail and "
      "command line (the run report always has them)");
  int exit_code = diskferry::kExitOk;
  diskferry::RegisterApplianceCommands(&app, &exit_code);
  diskferry::RegisterLsCommand(&app, &exit_code);
  diskferry::RegisterCopyCommands(&app, &exit_code);
  diskferry::RegisterJobCommands(&app, &exit_code);
  diskferry::RegisterImageCommands(&app, &exit_code);
  diskferry::RegisterReportCommands(&app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : diskferry::kExitUsage;
  }
  return exit_code;
}
