// Run events: what `diskferry run` shows while a manifest's jobs run in parallel. The job
// runner reports through RunEvents; the CLI picks one of three outputs:
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
//    "failed":N,"differences":N,"skipped":N,"cancelled":N,"interrupted":N[,OTHER:N...]},
//    "files":N,"bytes":N,"seconds":X,["report":PATH|"report_b64":B64]}
// ("jobs" counts the JobFinished calls by status: the known words always, others as seen.)
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
// counted (JSON mode sends every one as an event). Jobs that end "failed" are printed as
// errors, "warnings", "differences" and "cancelled" as warnings (terminal mode prints every
// job's end), so the runner need not log a job's outcome itself. JobMounted prints, as
// info, one line per filesystem whose journal was replayed (ReplayedJournalLine).
//
// Threading: every method of RunEvents and JobMeter may be called from any thread at once.
// One lock per RunEvents orders the output, so lines never interleave; JobMeter's counters
// are atomics, so the per-file hot path takes no lock. While a terminal RunEvents is live,
// nothing else may write to the terminal: print through Log().
#ifndef DISKFERRY_PIPELINE_RUN_EVENTS_H_
#define DISKFERRY_PIPELINE_RUN_EVENTS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/evidence.h"
#include "pipeline/rate_window.h"
#include "pipeline/run_report.h"

namespace diskferry {

// What a JobMeter has counted, read at one moment (each field atomically, not all at once).
struct JobCounts {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t files_total = 0;  // 0: not known
  uint64_t bytes_total = 0;  // 0: not known
  int parts_running = 0;
  int parts_total = 0;  // 0: the job is not split
  bool operator==(const JobCounts&) const = default;
};

// The counters of one running job. Created by RunEvents::JobStarted and owned by the
// RunEvents, at a stable address until it is destroyed. Any thread, no lock, no allocation.
class JobMeter {
 public:
  JobMeter(std::string job, std::string kind, SteadyTime started);
  JobMeter(const JobMeter&) = delete;
  JobMeter& operator=(const JobMeter&) = delete;

  // Known after planning; 0 for what is not known.
  void SetTotals(uint64_t files, uint64_t bytes);
  // One more file done, plus `bytes` not already counted by AddBytes (a streamed file that
  // reported all its data through AddBytes finishes with AddFile(0)).
  void AddFile(uint64_t bytes) { AddFiles(1, bytes); }
  void AddFiles(uint64_t files, uint64_t bytes);
  // Data of a big file in progress.
  void AddBytes(uint64_t bytes);
  // Parts of a split job: how many are running, out of how many.
  void SetParts(int running, int total);

  JobCounts Read() const;
  const std::string& job() const { return job_; }
  const std::string& kind() const { return kind_; }
  SteadyTime started() const { return started_; }

 private:
  const std::string job_;
  const std::string kind_;
  const SteadyTime started_;
  std::atomic<uint64_t> files_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> files_total_{0};
  std::atomic<uint64_t> bytes_total_{0};
  std::atomic<int> parts_running_{0};
  std::atomic<int> parts_total_{0};
};

enum class LogLevel { kInfo, kWarning, kError };

// What happened to an appliance of the pool. (Members have initializers so that designated
// initializers may leave any out.)
struct ApplianceNotice {
  std::string what{};  // "launched", "reused", "launch_failed", "hung", "killed", "closed"
  int slot = 0;        // its place in the pool
  int64_t pid = 0;     // QEMU's; 0 when there is none
  std::string image{};
  std::string message{};      // why, for failures
  double launch_seconds = 0;  // for "launched"
  std::string launch{};       // for "launched": "templated", "cold" or "" (unknown)
  std::string launch_note{};  // for "launched": why it booted cold when a template was wanted
};

// An image of an `evidence: true` job hashed (evidence.h).
struct EvidenceNotice {
  std::string job{};
  std::string stage{};  // "before" or "after"
  ImageDigests digests{};
  std::optional<bool> match{};  // "after": whether it equals "before"
};

// The run's end as the runner sees it. How many jobs ended how, RunEvents counts itself
// from JobFinished.
struct RunSummaryEvent {
  int exit_code = 0;
  bool interrupted = false;  // stopped early (Ctrl-C); finished work is kept
  uint64_t files = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  std::string report_path{};  // omitted when empty
};

class RunEvents {
 public:
  // Per job, printed file errors (terminal and quiet modes); the rest are only counted.
  static constexpr uint64_t kMaxFileErrorLines = 20;

  // Stops the display or ticker thread if RunFinished was not called (the live block is
  // left as last drawn). Meters handed out die here.
  virtual ~RunEvents() = default;

  virtual void RunStarted(size_t jobs, int appliances) = 0;
  // A new meter each call; the job shows as running until JobFinished names it.
  virtual JobMeter* JobStarted(const std::string& job, const std::string& kind) = 0;
  // `status`: "ok", "warnings", "failed", "differences", "skipped", "cancelled",
  // "interrupted" (other words are shown and counted as given). A job that never started
  // (skipped) may finish without JobStarted: 0 files, 0 seconds.
  virtual void JobFinished(const std::string& job, const std::string& status,
                           const std::string& message) = 0;
  // What the job's first appliance mounted (the root first); once per job, after
  // JobStarted. The strings are the guest's, raw.
  virtual void JobMounted(const std::string& job,
                          const std::vector<JobFilesystem>& filesystems) = 0;
  // `path` is raw bytes.
  virtual void FileError(const std::string& job, const std::string& path,
                         const std::string& message) = 0;
  virtual void Appliance(const ApplianceNotice& event) = 0;
  // Terminal mode prints it as info (EvidenceLine); quiet mode does not print it (a
  // mismatch fails the job, which says so).
  virtual void Evidence(const EvidenceNotice& notice) = 0;
  // `text` may hold several lines.
  virtual void Log(LogLevel level, const std::string& text) = 0;
  // One line of what a job prints as its result (a listing, a difference), raw bytes
  // without '\n': written as is to `out` in quiet mode, printable above the live block on a
  // terminal, as an "output" event in JSON mode.
  virtual void Output(const std::string& line) = 0;
  // Stops the display or ticker thread, then prints the summary. Later calls still print
  // (logs, finished jobs) but nothing is live any more.
  virtual void RunFinished(const RunSummaryEvent& summary) = 0;
};

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

#endif  // DISKFERRY_PIPELINE_RUN_EVENTS_H_
