// The job runner's tasks (job_runner.h), shared by job_runner.cc, walk_job*.cc and
// inject_job.cc. Not for use outside runner/.
//
// A job is started by one task; a walking job (extract, list, verify) then has one task per
// part, the first running on the starting task's appliance. The task that ends the last
// part finishes the job (FinishJob). Every task runs on a oneTBB worker and holds at most
// one appliance lease at a time, so the node's concurrency (the pool size) can never wait
// on itself.
#ifndef DISKFERRY_RUNNER_RUN_TASKS_H_
#define DISKFERRY_RUNNER_RUN_TASKS_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "appliance/image_session.h"
#include "jobs/manifest_spec.h"
#include "protocol/walk_order.h"
#include "runner/appliance_pool.h"
#include "runner/job_journal.h"
#include "runner/job_runner.h"
#include "runner/run_events.h"
#include "sinks/evidence.h"
#include "sinks/file_record.h"
#include "sinks/host_costs.h"
#include "sinks/host_tree_writer.h"
#include "sinks/run_report.h"

namespace diskferry {

// What every task of a run shares. Read-only but for the atomics.
struct RunShared {
  const ManifestSpec& spec;
  const RunOptions& options;
  RunReport& report;
  const RunJournal& journal;
  AppliancePool& pool;
  RunEvents& events;
  int appliances = 1;
  int retries = 2;
  bool split = true;
  uint64_t split_weight = 0;             // the least weight of a part (host_costs.h)
  HostCostMeter* costs = nullptr;        // this run's samples
  std::atomic<bool> no_new_jobs{false};  // fail_fast tripped
  // Puts part `part` of job `job` on the task graph.
  std::function<void(size_t job, size_t part)> schedule{};

  bool cancelled() const { return options.cancel != nullptr && options.cancel->load(); }
};

// One job's state, shared by its parts. Fields under `mu` may be touched by several parts.
struct JobRun {
  explicit JobRun(const JobSpec& j) : job(j) {}

  const JobSpec& job;
  size_t index = 0;
  JobMeter* meter = nullptr;
  TimePoint started;
  std::string kind;
  // The interrupted run had started this job: its outputs may be partly written. An input
  // to how the job runs (what it keeps, where it continues), not how it ends: a resumed job
  // ends with any status.
  bool resumed = false;
  ImageSessionConfig config;  // a walking job's disk session, set before it starts
  Status config_error;        // why there is none (the format could not be probed)
  std::vector<std::string> hash_names;
  std::vector<WalkRange> parts;  // set before the parts run, then read-only
  std::atomic<size_t> parts_left{0};
  // Incremental extract: the previous run's records by path, read-only once parts run.
  std::map<std::string, FileRecord> previous;
  // Incremental extract: no baseline existed, so this run is a full one.
  bool full_run = false;
  // Incremental extract: this run's records, written by FinishWalkJob, which FinishJob
  // renames over the baseline when the job succeeded and deletes otherwise.
  std::string baseline_staged;
  // `evidence: true`: the "before" pass over every disk and backing file, started with the
  // job (StartEvidence); FinishEvidence waits for it and hashes them again.
  std::unique_ptr<EvidencePass> evidence_pass;
  // What the "before" pass found, set by FinishEvidence (for writers of the job's output
  // that name the images, such as DFXML's <source>).
  std::vector<ImageDigests> evidence_before;

  std::mutex mu;
  Status failure;                          // the first part's failure
  uint64_t source_errors = 0;              // per-file problems the guest reported (not in spools)
  uint64_t write_problems = 0;             // entries the host could not write as sent
  std::vector<PendingDirectory> dirs;      // extract to a directory: metadata for the end
  bool mounted_noted = false;              // NoteMounted ran
  std::vector<JobFilesystem> filesystems;  // what the first appliance mounted
  // outcome.status is kOk while the job runs, unless a part was interrupted (EndPart:
  // kInterrupted) or the job will not run (kSkipped); FinishJob settles it and fills the
  // rest.
  JobOutcome outcome;
};

// The ImageSessionConfig of a job's disks (session_config.h), probing formats where the
// manifest asks to and logging what was found.
Result<ImageSessionConfig> SessionConfigFor(const MachineSpec& machine, bool writable,
                                            RunShared& run, JobRun& job);

// Makes the missing parent directories of an output (a dated archive/${date}/x.tar.zst, a
// restored/${job}.qcow2 overlay) as `mkdir -p` would. kIoError naming the output's text.
Status MakeOutputParents(const HostPath& output);

// Whether a failed launch or session open is the appliance's own failure, worth another
// launch: it died, hung or its control channel broke (kTimeout, kIoError, kUnavailable).
// Everything else fails the same way every time and is not retried: a configuration error
// (kInvalidArgument: a wrong format or a refused image; kNotFound: no such filesystem,
// kernel or file; kFailedPrecondition), the daemon refusing (kGuestError: a mount, a LUKS
// key), a guest breaking the protocol (kProtocolError), kCancelled and kInternal.
bool WorthAnotherLaunch(const Status& st);

// "text; retrying (N of M)" for the Nth retry of run.retries, `text` being a failure's
// first line (MessageSummary; the run report keeps the whole message).
std::string RetryingLine(const RunShared& run, const std::string& what, const Status& st,
                         int attempt);

// Acquires a session for `config`, retrying a failed launch up to run.retries times when
// WorthAnotherLaunch.
Result<Lease> AcquireWithRetries(const ImageSessionConfig& config, RunShared& run, JobRun& job);

// Records what `session` mounted as the job's filesystems (for its report record) and
// emits JobMounted, the first time only: every appliance of a job opens the same disks the
// same way.
void NoteMounted(RunShared& run, JobRun& job, ImageSession& session);

// Whether the leased appliance failed (died, hung, or its control channel broke), as
// opposed to the work failing on the host side.
bool ApplianceBroken(Lease& lease);

// Records a part's end (`st`: ok, a failure, or kCancelled) and finishes the job after the
// last part.
void EndPart(RunShared& run, JobRun& job, const Status& st);

// walk_job.cc: extract, list and verify.
// Sets job.config (or job.config_error) before the job is scheduled, so that the scheduler
// can prefer jobs whose appliance is idle in the pool.
void PrepareWalkConfig(RunShared& run, JobRun& job);
const PathSelector& SelectOfWalk(const JobSpec& job);
bool WritesTarOutput(const JobRun& job);
// An extract to `tar: "-"`: its attempts cannot start over, since part of the archive may
// already have gone to standard output.
bool WritesStdoutTar(const JobRun& job);
// What `preserve:` asks of the safe defaults (host_safety.h).
HostSafety SafetyFor(const PreserveSpec& preserve);
// Options of the writers of a split job's parts: directory metadata waits for the end.
HostWriterOptions WriterOptionsFor(const ExtractOutputSpec& out);
void StartWalkJob(RunShared& run, JobRun& job);
void RunWalkPart(RunShared& run, JobRun& job, size_t part, std::optional<Lease> lease);
// walk_job_finish.cc: the spools into the report, sums, list and verify output, deletions,
// directory metadata; sets job.outcome's numbers. Errors fail the job.
Status FinishWalkJob(RunShared& run, JobRun& job);

// job_evidence.cc: `evidence: true` (evidence.h).
// Starts hashing the job's disks and backing files on a thread of its own; an "evidence"
// event for each as it is done. Nothing when the job does not ask for evidence.
void StartEvidence(RunShared& run, JobRun& job);
// Waits for the "before" pass, hashes every file again, emits the "after" events and writes
// the "evidence" records. The first image that changed or could not be read, as the job's
// failure (kFailedPrecondition, one line); Ok when all match or the job has no evidence.
Status FinishEvidence(RunShared& run, JobRun& job);

// inject_job.cc
Status RunInjectJob(RunShared& run, JobRun& job);

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_RUN_TASKS_H_
