// Exit codes of the diskferry command (documented in README.md and --help).
#ifndef DISKFERRY_CLI_EXIT_CODES_H_
#define DISKFERRY_CLI_EXIT_CODES_H_

#include "protocol/status.h"

namespace diskferry {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;         // an error the user can act on
inline constexpr int kExitUsage = 64;        // EX_USAGE: bad arguments
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: QEMU or the appliance
inline constexpr int kExitInternal = 70;     // EX_SOFTWARE: a bug or a hostile guest
inline constexpr int kExitInterrupted = 130;

int ExitCodeFor(const Status& status);

// --verbose: messages are printed whole (an appliance launch failure's QEMU output,
// console tail and command line), not only their first line (MessageSummary). Set once
// by main() before any command runs.
void SetVerbose(bool verbose);
bool Verbose();

// The command line as run, arguments joined by spaces (DFXML's <command_line>). Set once
// by main() before any command runs.
void SetCommandLine(int argc, char** argv);
const std::string& CommandLine();

// Prints "diskferry: MESSAGE" on stderr: the message's first line, or all of it with
// --verbose (then a hint to use --verbose is not printed).
void PrintError(const Status& status);
// PrintError, then ExitCodeFor: what a command returns when it gives up.
int ReportFailure(const Status& status);

// "disk.img:/etc/x: No such file or directory" for a guest error about a path, and
// "disk.img: message" otherwise.
Status InImage(const Status& status, const std::string& image);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_EXIT_CODES_H_
