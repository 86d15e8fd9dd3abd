// Run events: how the job runner reports a run while a manifest's jobs run in parallel. The
// runner calls RunEvents; the CLI supplies one of three outputs (cli/run_events_display.h:
// a live terminal display, `--json` events, quiet output), and the formats are documented
// there.
//
// Threading: every method of RunEvents and JobMeter may be called from any thread at once.
// One lock per RunEvents orders the output, so lines never interleave; JobMeter's counters
// are atomics, so the per-file hot path takes no lock. While a terminal RunEvents is live,
// nothing else may write to the terminal: print through Log().
#ifndef DISKFERRY_RUNNER_RUN_EVENTS_H_
#define DISKFERRY_RUNNER_RUN_EVENTS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sinks/evidence.h"
#include "sinks/job_status.h"
#include "sinks/run_report.h"

namespace diskferry {

using SteadyTime = std::chrono::steady_clock::time_point;

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
// from JobFinished; the run's exit code is the CLI's to map from `jobs` and `interrupted`
// (cli/exit_codes.h).
struct RunSummaryEvent {
  // Every job's status in manifest order, those the interrupted run finished (--resume)
  // included: they have no JobFinished.
  std::vector<JobStatus> jobs{};
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
  // A job that never started (skipped) may finish without JobStarted: 0 files, 0 seconds.
  virtual void JobFinished(const std::string& job, JobStatus status,
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

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_RUN_EVENTS_H_
