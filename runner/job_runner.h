// Runs a validated manifest: its jobs fan out over a pool of appliances (appliance_pool.h)
// on oneTBB workers, with a JSON Lines run report, a journal for retries and resume
// (job_journal.h) and live events (run_events.h). docs/architecture.md, "The runner".
//
//   extract: source (read-only) --select--> order --> hash --> dir (HostTreeWriter) or tar
//   list:    source --select--> order --> hash --> report, then stdout
//   verify:  source --select--> order --> hash --> compared with a previous run's records
//   inject:  new qcow2 overlay over target (or in place) --> steps in order
//
// Extract (to a directory), list and verify jobs over a large tree are split into walk
// ranges, one appliance each, balanced by bytes (partition.h). A part whose appliance dies
// or hangs is retried on a fresh one after the last file it finished, up to run.retries
// times. A failing job never cancels the others unless run.fail_fast is set (then no new
// job starts). Nothing thrown escapes a job: it is recorded as that job's failure.
//
// Threading: RunManifest blocks its caller; it uses a task arena of its own. `cancel` may be
// set from any thread (a signal thread): running parts stop, their appliances are killed,
// the journal keeps what was finished and the outcome says `interrupted`.
#ifndef DISKFERRY_RUNNER_JOB_RUNNER_H_
#define DISKFERRY_RUNNER_JOB_RUNNER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jobs/manifest_spec.h"
#include "protocol/status.h"
#include "runner/appliance_pool.h"
#include "runner/run_events.h"
#include "sinks/evidence.h"
#include "sinks/host_safety.h"
#include "sinks/job_status.h"

namespace diskferry {

// Where a run's appliances come from, and how long its transfers wait for progress: what
// tests replace to run a manifest against daemons without a VM (tests/runner/
// hostile_run_test.cc). Neither the CLI nor a manifest sets these.
struct RunSeams {
  SessionFactory open;  // null: OpenPooledImageSession, a QEMU appliance each
  std::chrono::milliseconds progress_deadline{0};  // 0: TransferOptions' default
};

struct RunOptions {
  std::string report_path;   // the run's JSON Lines manifest; REPORT.journal beside it
  std::string kernel;        // --kernel for the appliances
  std::string command_line;  // as run, for the DFXML listings' <command_line>
  int appliances = 0;        // -j; 0: run.max_parallel, else from cores and memory
  bool resume = false;       // continue the interrupted run whose report is report_path
  std::chrono::milliseconds hang_timeout = std::chrono::seconds(60);
  uint64_t min_part_weight = 0;  // 0: measured (host_costs.h), else partition.h's kMinPartWeight
  // Where this host's measured launch and read costs are kept (host_costs.h): read to cut
  // jobs into parts, updated at the end of a run that measured something. Empty: none.
  std::string host_costs_path;
  RunEvents* events = nullptr;  // required
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const std::string&)> out = [](const std::string&) {};  // list/verify lines
  // A shard's run (jobs/shards.h): the spec holds only this shard's jobs, and the report
  // starts with this record (the runner fills in manifest_sha256 and vars_sha256).
  std::optional<ShardRecord> shard;
  RunSeams seams;  // tests only
};

struct JobOutcome {
  std::string name;
  std::string kind;
  JobStatus status = JobStatus::kOk;
  std::string message;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t skipped = 0;
  uint64_t errors = 0;
  Withheld withheld;  // what the safe defaults kept off the host (host_safety.h)
};

// How the run ended: what the CLI maps to its exit code (cli/exit_codes.h).
struct RunOutcome {
  std::vector<JobOutcome> jobs;  // every job of the spec, in its order
  bool interrupted = false;      // stopped early (`cancel`): some job ended kInterrupted
  int appliances = 0;
};

// The manifest's `case:` as reports and output writers take it.
CaseInfo CaseInfoOf(const CaseSpec& spec);

// Errors only for the run as a whole: the report or journal cannot be written, or
// `resume` finds no journal for this manifest.
Result<RunOutcome> RunManifest(const ManifestSpec& spec, const RunOptions& options);

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_JOB_RUNNER_H_
