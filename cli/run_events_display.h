// The three outputs of run events (runner/run_events.h) that `diskferry run`, copy-out and
// copy-in choose between:
//   MakeTerminalEvents: stdout is a terminal; a live block (one line per running job plus an
//     overall line) redrawn about five times a second, finished jobs and logs printed once
//     above it.
//   MakeJsonEvents: `--json`; JSON Lines on `out` (format below), plain-text logs on `log`.
//   MakeQuietEvents: neither; on stdout only the jobs' own output (Output(): listings,
//     verify differences), warnings and errors on `log`.
//
// JSON Lines format: one object per line, flushed per line, "event" first, then "time"
// (UTC, RFC 3339 with milliseconds: "2024-05-01T12:34:56.789Z"):
//   {"event":"run_started","time":T,"jobs":N,"appliances":N}
//   {"event":"job_started","time":T,"job":J,"kind":K}
//   {"event":"progress","time":T,"job":J,"files":N,"bytes":N,["files_total":N,]
//    ["bytes_total":N,]["parts_running":N,"parts_total":N,]"bytes_per_second":X,
//    ["eta_seconds":X]}
//   {"event":"job_finished","time":T,"job":J,["kind":K,]"status":S,["message":M,]"files":N,
//    "bytes":N,"file_errors":N,"seconds":X}
//   {"event":"job_mounted","time":T,"job":J,"filesystems":[{"device":D,"type":T,
//    "mount_point":M,"replayed":B},...]}
//   {"event":"evidence","time":T,"job":J,"stage":"before"|"after","path":P|"path_b64":B64,
//    "size":N,"hashes":{"sha256":HEX,"md5":HEX}[,"match":B]}
//   {"event":"file_error","time":T,"job":J,"path":P|"path_b64":B64,"message":M}
//   {"event":"appliance","time":T,"what":W,"slot":N,["pid":N,]["image":I|"image_b64":B64,]
//    ["message":M,]
//    ["launch_seconds":X,]["launch":"templated"|"cold",]["launch_note":M]}
//   {"event":"log","time":T,"level":"warning"|"error","message":M}
//   {"event":"output","time":T,"line":L|"line_b64":B64}
//   {"event":"summary","time":T,"exit_code":N,"interrupted":B,"jobs":{"ok":N,"warnings":N,
//    "failed":N,"differences":N,"skipped":N,"cancelled":0,"interrupted":N},
//    "files":N,"bytes":N,"seconds":X,["report":PATH|"report_b64":B64]}
// ("exit_code" is what the command exits with: ExitCodeOfRun, cli/exit_codes.h, of the
// summary's statuses. "jobs" counts the JobFinished calls by status (JobStatusName), every
// status always; "cancelled" is no status and stays 0.)
// "progress" comes from a ticker, at most once per interval (1 s) per running job and only
// when its counters changed; never after that job's "job_finished". "job_mounted" comes once
// per job, when its first appliance has mounted what the job reads or writes: the same
// list as the job's record in the run report (run_report.h). "evidence" comes once per
// image of an `evidence: true` job and stage (evidence.h): "before" as soon as that image
// is hashed (the job may still be running), "after" with "match" once the job has read
// it again. Paths are raw bytes:
// non-UTF-8 ones go base64 under "path_b64", as in the run report (file_record_json.h);
// so do output lines ("line_b64") and images ("image_b64").
// Other text that is not UTF-8 has U+FFFD in place of the bad bytes. Info logs go to `log`
// only; warnings and errors go to `log` and also as "log" events, so a reader of stdout
// alone sees them. Readers must skip events and fields they do not know.
//
// Plain-text lines (every mode's `log`, and the terminal) are "text" for info,
// "warning: text" and "error: text"; control characters and bytes that are not UTF-8 are
// shown as \xNN, so a hostile file name cannot drive the terminal. Per job, the first
// kMaxFileErrorLines file errors are printed as warnings, then one line saying more were
// counted (JSON mode sends every one as an event). Jobs that end failed are printed as
// errors, with warnings, differences or interrupted as warnings (terminal mode prints every
// job's end), so the runner need not log a job's outcome itself. JobMounted prints, as
// info, one line per filesystem whose journal was replayed (ReplayedJournalLine).
//
// Threading: as RunEvents (runner/run_events.h). While a terminal RunEvents is live, nothing
// else may write to the terminal: print through Log().
#ifndef DISKFERRY_CLI_RUN_EVENTS_DISPLAY_H_
#define DISKFERRY_CLI_RUN_EVENTS_DISPLAY_H_

#include <chrono>
#include <cstdio>
#include <memory>

#include "runner/run_events.h"

namespace diskferry {

struct TerminalEventsOptions {
  std::chrono::milliseconds refresh{200};
  int width = 0;  // columns; 0: ask the terminal (host_system.h), 80 if it cannot say
  // Messages whole (an appliance's QEMU output, console and command line, and its failed
  // launches) rather than their first line (MessageSummary).
  bool verbose = false;
};
// `terminal` receives the live block, finished jobs and the summary; `log` receives logs.
// Both are usually the same terminal (stdout and stderr); neither is closed.
std::unique_ptr<RunEvents> MakeTerminalEvents(FILE* terminal, FILE* log,
                                              const TerminalEventsOptions& options = {});

struct JsonEventsOptions {
  std::chrono::milliseconds progress_interval{1000};
};
// `log` null: no plain-text log; every Log() is a "log" event, info included (level
// "info"), as are the replayed-journal lines (`diskferry run --json` with an archive on
// standard output, where events and logs share stderr).
std::unique_ptr<RunEvents> MakeJsonEvents(FILE* out, FILE* log,
                                          const JsonEventsOptions& options = {});

// `out` (stdout) receives Output() lines only. `verbose` as in TerminalEventsOptions.
std::unique_ptr<RunEvents> MakeQuietEvents(FILE* out, FILE* log, bool verbose = false);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_RUN_EVENTS_DISPLAY_H_
