// Exit codes of the diskferry command: the one table of them, and the functions that map
// what a command came to onto it. Nothing below cli/ returns an exit code: the runner
// returns job statuses and whether it was interrupted (runner/job_runner.h RunOutcome),
// report merge its problems or the merged jobs (runner/report_merge.h MergeOutcome), and
// everything else a Status. README.md ("Exit codes"), docs/diskferry.1 ("EXIT STATUS")
// and main.cc's --help footer list the same table.
// Thread-compatible; SetVerbose and SetCommandLine are called once, by main().
#ifndef DISKFERRY_CLI_EXIT_CODES_H_
#define DISKFERRY_CLI_EXIT_CODES_H_

#include <string>
#include <vector>

#include "protocol/status.h"
#include "sinks/job_status.h"

namespace diskferry {

inline constexpr int kExitOk = 0;
// An error the user can act on; image verify: a mismatch.
inline constexpr int kExitError = 1;
// run, report merge: the worst job finished with warnings, failed, or (verify) found
// differences.
inline constexpr int kExitWarnings = 1;
inline constexpr int kExitJobFailed = 2;
inline constexpr int kExitDifferences = 3;
// EX_USAGE: bad arguments.
inline constexpr int kExitUsage = 64;
// EX_DATAERR: an invalid manifest (validate, plan, run), or shards that do not make a
// whole run (report merge: MergeOutcome::problems).
inline constexpr int kExitInvalidManifest = 65;
inline constexpr int kExitShardsIncomplete = 65;
// EX_UNAVAILABLE: QEMU or the appliance.
inline constexpr int kExitUnavailable = 69;
// EX_SOFTWARE: a bug, or a guest that broke the protocol.
inline constexpr int kExitInternal = 70;
// Ctrl-C, SIGTERM, SIGHUP.
inline constexpr int kExitInterrupted = 130;

// A failure a command gives up on: kInvalidArgument 64, kUnavailable and kTimeout 69,
// kProtocolError and kInternal 70, kCancelled 130, others 1. A run that fails as a whole
// (its report cannot be written, --resume finds no journal) exits so too.
int ExitCodeFor(const Status& status);

// The exit code of a run that finished (`run`), or of the merge of its shards' reports
// (`report merge`, with `interrupted` false), from how its jobs ended: 130 when the run
// was interrupted (or a job was); else the worst job decides, failed (2) over differences
// (3) over warnings (1); 0 when every job ended ok or skipped, or there were none.
int ExitCodeOfRun(const std::vector<JobStatus>& jobs, bool interrupted);

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
