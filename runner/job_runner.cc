#include "runner/job_runner.h"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "host/host_path.h"
#include "protocol/check.h"
#include "protocol/printable_text.h"
#include "runner/partition.h"
#include "runner/run_tasks.h"
#include "runner/session_config.h"
#include "sinks/digests.h"
#include "sinks/host_file.h"
#include "sinks/host_system.h"

namespace diskferry {
namespace {

using WallClock = std::chrono::system_clock;

struct Task {
  size_t job = 0;
  size_t part = 0;
  bool start = false;  // start the job (its first part runs in the same task)
};

// What the task graph's workers take next: every item put here is matched by one message
// to the graph, and each message's worker takes whatever is best then. Waiting parts come
// first (their job is running already); then the job not started yet whose appliance is
// idle in the pool (no launch, and the guest's page cache is warm), else the first in
// manifest order.
class WorkQueue {
 public:
  void AddJob(size_t job) {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(job);
  }
  void AddPart(size_t job, size_t part) {
    std::lock_guard<std::mutex> lock(mu_);
    parts_.push_back(Task{job, part, false});
  }

  Task Take(const std::vector<std::unique_ptr<JobRun>>& runs, const AppliancePool& pool) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!parts_.empty()) {
      Task t = parts_.front();
      parts_.pop_front();
      return t;
    }
    DF_CHECK(!jobs_.empty());
    auto pick = jobs_.begin();
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
      const JobRun& r = *runs[*it];
      if (r.job.kind() != JobKind::kInject && r.config_error.ok() &&
          pool.HasIdle(SessionKeyOf(r.config))) {
        pick = it;
        break;
      }
    }
    const size_t job = *pick;
    jobs_.erase(pick);
    return Task{job, 0, true};
  }

 private:
  std::mutex mu_;
  std::deque<Task> parts_;
  std::deque<size_t> jobs_;
};

// SHA-256 of `bytes` in hex ("" if no digest could be made).
std::string Sha256Hex(const std::string& bytes) {
  const DigestAlgorithm sha256[] = {DigestAlgorithm::kSha256};
  auto digest = MultiDigest::Create(sha256);
  if (!digest.ok()) return "";
  digest->Update({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  auto hex = digest->Final();
  return hex.ok() ? (*hex)["sha256"] : "";
}

// SHA-256 of the manifest file as run, for the run summary and the journal ("" if
// unreadable).
std::string ManifestSha256(const std::string& path) {
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  if (!fs_path.ok()) return "";
  std::ifstream in(*fs_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return Sha256Hex(text.str());
}

// sha256 of the vars' values as "NAME=VALUE\n" lines in name order: a shard's identity.
// Without the built-ins ${date} and ${time} unless --var `overridden` them: each task reads
// the clock when it starts, and shards started a second apart are still one run
// (docs/scale-out.md says how to pin a date).
std::string VarsSha256(const std::map<std::string, std::string>& vars,
                       const std::vector<std::string>& overridden) {
  std::string text;
  for (const auto& [name, value] : vars) {
    const bool clock = name == "date" || name == "time";
    if (!clock || std::find(overridden.begin(), overridden.end(), name) != overridden.end()) {
      text += name + "=" + value + "\n";
    }
  }
  return Sha256Hex(text);
}

// An incremental job's staged baseline replaces the old one when the job succeeded (ok or
// warnings); otherwise it is dropped and the old one stays.
void SettleBaseline(RunShared& run, JobRun& job) {
  if (job.baseline_staged.empty()) return;
  const auto* extract = std::get_if<ExtractSpec>(&job.job.task);
  const bool good =
      job.outcome.status == JobStatus::kOk || job.outcome.status == JobStatus::kWarnings;
  // `since` may name a whole run report, as it could before diskferry kept baselines:
  // never overwrite one.
  bool is_report = false;
  if (good && extract != nullptr && extract->since && !job.full_run) {
    Result<std::vector<JobStatusRecord>> jobs = ReadJobStatuses(extract->since->path);
    is_report = !jobs.ok() || !jobs->empty();
  }
  if (is_report) {
    (void)RemoveHostFile(job.baseline_staged);
    run.events.Log(LogLevel::kWarning,
                   job.job.name + ": incremental: " + extract->since->text +
                       " is a run report, so it is not replaced by this run's baseline; "
                       "point since: at a file of its own");
  } else if (good && extract != nullptr && extract->since) {
    if (const int err = RenameHostFile(job.baseline_staged, extract->since->path); err != 0) {
      job.outcome.status = JobStatus::kFailed;
      job.outcome.message =
          ErrnoStatus(err, "incremental: baseline " + extract->since->text).ToString();
    }
  } else {
    (void)RemoveHostFile(job.baseline_staged);
  }
  if (job.full_run && job.outcome.status != JobStatus::kFailed) {
    job.outcome.message +=
        std::string(job.outcome.message.empty() ? "" : "; ") + "full run: no baseline yet";
  }
}

// The job's end: its status, its report lines, its journal entries, its event.
void FinishJob(RunShared& run, JobRun& job) {
  Status failure;
  bool interrupted = false;
  {
    std::lock_guard<std::mutex> lock(job.mu);
    failure = job.failure;
    interrupted = job.outcome.status == JobStatus::kInterrupted;
  }
  // The job has read its images: hash them again (after the "before" pass has ended).
  const Status evidence = interrupted ? Status::Ok() : FinishEvidence(run, job);
  if (interrupted || evidence.code() == Code::kCancelled) {
    job.outcome.status = JobStatus::kInterrupted;
    run.events.JobFinished(job.job.name, JobStatus::kInterrupted, "");
    return;  // the journal keeps its parts for --resume
  }
  if (job.outcome.status != JobStatus::kSkipped && job.job.kind() != JobKind::kInject &&
      !job.parts.empty()) {
    if (Status st = FinishWalkJob(run, job); !st.ok() && failure.ok()) failure = st;
  }
  // A changed image comes first: whatever else failed may follow from it.
  if (!evidence.ok()) {
    failure = failure.ok()
                  ? evidence
                  : Status(evidence.code(), evidence.message() + "\n" + failure.ToString());
  }
  if (!failure.ok()) {
    job.outcome.status = JobStatus::kFailed;
    job.outcome.message = failure.ToString();
  } else if (job.outcome.status == JobStatus::kOk && job.outcome.errors > 0) {
    job.outcome.status = JobStatus::kWarnings;
  }
  SettleBaseline(run, job);
  const JobOutcome& o = job.outcome;
  JobSummary summary{o.name,
                     o.kind,
                     o.status,
                     o.message,
                     o.files,
                     o.bytes,
                     o.skipped,
                     o.errors,
                     o.withheld,
                     job.started,
                     WallClock::now(),
                     {},
                     CaseInfoOf(run.spec.case_spec)};
  {
    std::lock_guard<std::mutex> lock(job.mu);
    summary.filesystems = job.filesystems;
  }
  if (Status st = run.report.AddJobSummary(summary); !st.ok()) {
    run.events.Log(LogLevel::kError, "report: " + st.ToString());
  }
  if (o.withheld.any()) {
    run.events.Log(LogLevel::kWarning, o.name + ": not copied, as the safe defaults ask: " +
                                           DescribeWithheld(o.withheld) +
                                           " (preserve: [devices, setuid, all_xattrs] keeps them)");
  }
  run.journal.RemoveJob(job.job.name, job.parts.size());
  run.events.JobFinished(o.name, o.status, o.message);
  if (o.status == JobStatus::kFailed && run.spec.run.fail_fast) run.no_new_jobs = true;
}

void StartJob(RunShared& run, JobRun& job) {
  job.started = WallClock::now();
  job.meter = run.events.JobStarted(job.job.name, job.kind);
  if (run.cancelled() || run.no_new_jobs) {
    job.parts_left = 1;
    if (run.cancelled()) return EndPart(run, job, Status(Code::kCancelled, "interrupted"));
    job.outcome.status = JobStatus::kSkipped;
    job.outcome.message = "not started: an earlier job failed (fail_fast)";
    return EndPart(run, job, Status::Ok());
  }
  if (job.job.kind() == JobKind::kInject) {
    job.parts_left = 1;
    // The plan marks the job as started, so a resume knows the overlay is its own.
    Status st = run.journal.SavePlan(job.job.name, {WalkRange{}});
    return EndPart(run, job, st.ok() ? RunInjectJob(run, job) : st);
  }
  StartWalkJob(run, job);
}

// Tier 3: nothing thrown inside a task escapes it.
void RunTask(RunShared& run, std::vector<std::unique_ptr<JobRun>>& jobs, WorkQueue& queue) {
  const Task t = queue.Take(jobs, run.pool);
  JobRun& job = *jobs[t.job];
  try {
    if (t.start) {
      StartJob(run, job);
    } else {
      RunWalkPart(run, job, t.part, std::nullopt);
    }
  } catch (const std::exception& e) {
    EndPart(run, job, Status(Code::kInternal, e.what()));
  }
}

// Every 100 ms: kills the appliances once the caller sets `cancel` (so that tasks blocked
// in guest calls return at once), and samples the memory for the run summary.
class RunWatch {
 public:
  RunWatch(const std::atomic<bool>* cancel, AppliancePool& pool) {
    thread_ = std::thread([this, cancel, &pool] {
      std::unique_lock<std::mutex> lock(mu_);
      bool cancelled = false;
      while (!done_) {
        if (!cancelled && cancel != nullptr && cancel->load()) {
          pool.Cancel();
          cancelled = true;
        }
        peak_ = std::max(peak_.load(), AnonymousMemoryKib());
        cv_.wait_for(lock, std::chrono::milliseconds(100));
      }
    });
  }
  uint64_t peak_rss_anon_kib() const { return peak_; }
  ~RunWatch() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<uint64_t> peak_{0};
  std::thread thread_;
};

bool IsFailure(PoolEventKind kind) {
  return kind == PoolEventKind::kLaunchFailed || kind == PoolEventKind::kHung ||
         kind == PoolEventKind::kKilled;
}

ApplianceNotice ToNotice(const PoolEvent& e) {
  ApplianceNotice n;
  n.what = std::string(PoolEventKindName(e.kind));
  n.slot = e.slot;
  n.pid = e.pid;
  n.image = e.image;
  n.message = e.message;
  n.launch_seconds = std::chrono::duration<double>(e.launch_time).count();
  n.launch = e.launch;
  n.launch_note = e.launch_note;
  return n;
}

}  // namespace

CaseInfo CaseInfoOf(const CaseSpec& spec) {
  return CaseInfo{spec.id, spec.examiner, spec.evidence_id, spec.notes};
}

Result<ImageSessionConfig> SessionConfigFor(const MachineSpec& machine, bool writable,
                                            RunShared& run, JobRun& job) {
  std::vector<ProbedFormat> probed;
  auto config = SessionConfigOf(machine, writable, ProbeImageFormat, &probed);
  for (const ProbedFormat& p : probed) {
    run.events.Log(LogLevel::kInfo,
                   job.job.name + ": " + p.image + ": format probed as " + p.format);
  }
  if (!config.ok()) return config.status();
  config->build.kernel = run.options.kernel;
  return config;
}

Status MakeOutputParents(const HostPath& output) {
  Result<std::filesystem::path> path = HostFsPath(output.path);
  if (!path.ok()) return path.status();
  if (!path->has_parent_path()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(path->parent_path(), ec);
  if (ec) return ErrnoStatus(ec.value(), output.text + ": its directory");
  return Status::Ok();
}

bool WorthAnotherLaunch(const Status& st) {
  switch (st.code()) {
    case Code::kTimeout:
    case Code::kIoError:
    case Code::kUnavailable:
      return true;
    default:
      return false;
  }
}

std::string RetryingLine(const RunShared& run, const std::string& what, const Status& st,
                         int attempt) {
  return what + ": " + std::string(MessageSummary(st.message())) + "; retrying (" +
         std::to_string(attempt + 1) + " of " + std::to_string(run.retries) + ")";
}

Result<Lease> AcquireWithRetries(const ImageSessionConfig& config, RunShared& run, JobRun& job) {
  for (int attempt = 0;; ++attempt) {
    auto lease = run.pool.Acquire(config);
    if (lease.ok() || run.cancelled() || attempt >= run.retries ||
        !WorthAnotherLaunch(lease.status())) {
      return lease;
    }
    run.events.Log(LogLevel::kWarning, RetryingLine(run, job.job.name, lease.status(), attempt));
  }
}

void NoteMounted(RunShared& run, JobRun& job, ImageSession& session) {
  std::vector<JobFilesystem> filesystems;
  for (const MountedFilesystem& m : session.mounted()) {
    filesystems.push_back({m.device, m.fstype, m.mount_point, m.replayed});
  }
  {
    std::lock_guard<std::mutex> lock(job.mu);
    if (job.mounted_noted) return;
    job.mounted_noted = true;
    job.filesystems = filesystems;
  }
  run.events.JobMounted(job.job.name, filesystems);
  // What the session found but could not use (a LUKS container left closed, an incomplete
  // VG, a degraded array, fstab entries of an OS tree it skipped): once per job.
  for (const std::string& warning : session.warnings()) {
    run.events.Log(LogLevel::kWarning, job.job.name + ": " + PrintableText(warning));
  }
  if (session.os_tree() != nullptr) {
    for (const OsSkippedEntry& e : session.os_tree()->skipped) {
      run.events.Log(LogLevel::kInfo, job.job.name + ": fstab line " + std::to_string(e.line) +
                                          ": " + PrintableText(e.spec) + " on " +
                                          PrintableText(e.mount_point) +
                                          " skipped: " + PrintableText(e.reason));
    }
  }
}

bool ApplianceBroken(Lease& lease) {
  if (lease.broken()) return true;
  Appliance& a = lease.session().appliance();
  return a.state() != ApplianceState::kReady || a.control().state() != ControlClient::State::kOpen;
}

void EndPart(RunShared& run, JobRun& job, const Status& st) {
  {
    std::lock_guard<std::mutex> lock(job.mu);
    if (st.code() == Code::kCancelled) {
      job.outcome.status = JobStatus::kInterrupted;
    } else if (!st.ok() && job.failure.ok()) {
      job.failure = st;
    }
  }
  if (job.parts_left.fetch_sub(1) == 1) FinishJob(run, job);
}

namespace {

// What a run writes beside its jobs' outputs: the report (appended to on a resume, with a
// shard's record first), the journal, and on a resume the statuses of the jobs the
// interrupted run finished (job -> status).
struct RunFiles {
  std::string manifest_sha256;
  RunJournal journal;
  RunReport report;
  std::map<std::string, JobStatus> finished;
};

Result<RunFiles> OpenRunFiles(const ManifestSpec& spec, const RunOptions& options) {
  std::string manifest_sha256 = ManifestSha256(spec.file);
  if (!options.resume) {  // --report in a directory not made yet, like every other output
    if (Status st = MakeOutputParents(HostPath{options.report_path, options.report_path});
        !st.ok()) {
      return st.WithContext("report");
    }
  }
  auto journal = options.resume ? RunJournal::Resume(options.report_path, manifest_sha256)
                                : RunJournal::Create(options.report_path, manifest_sha256);
  if (!journal.ok()) return journal.status();
  std::map<std::string, JobStatus> finished;
  if (options.resume) {
    auto statuses = ReadJobStatuses(options.report_path);
    if (!statuses.ok()) return statuses.status();
    for (const JobStatusRecord& s : *statuses) finished[s.job] = s.status;
  }
  auto report = RunReport::Open(options.report_path,
                                options.resume ? ReportMode::kAppend : ReportMode::kTruncate);
  if (!report.ok()) return report.status().WithContext(options.report_path);
  if (options.shard) {
    ShardRecord shard = *options.shard;
    shard.manifest_sha256 = manifest_sha256;
    shard.vars_sha256 = VarsSha256(spec.vars, shard.var_names);
    if (Status st = report->AddShard(shard); !st.ok()) return st;
  }
  return RunFiles{std::move(manifest_sha256), std::move(*journal), std::move(*report),
                  std::move(finished)};
}

// -j, else run.max_parallel, else what the host fits.
int PoolSizeOf(const ManifestSpec& spec, const RunOptions& options) {
  return options.appliances > 0  ? options.appliances
         : spec.run.max_parallel ? *spec.run.max_parallel
                                 : DefaultPoolSize();
}

// The pool's options: its appliances' launches feed `costs`, and their failures go to the
// report and, like every pool event, to the run's events.
PoolOptions PoolOptionsFor(const RunOptions& options, int appliances, RunEvents& events,
                           HostCostMeter& costs, RunReport& report) {
  PoolOptions pool_options;
  pool_options.size = appliances;
  pool_options.hang_timeout = options.hang_timeout;
  if (options.seams.open) pool_options.open = options.seams.open;
  pool_options.on_event = [&events, &costs, &report](const PoolEvent& e) {
    if (e.kind == PoolEventKind::kLaunched && !e.built_template) costs.AddLaunch(e.launch_time);
    const ApplianceNotice notice = ToNotice(e);
    if (IsFailure(e.kind)) {
      // A report that cannot be written fails the run at its end (AddRunSummary).
      (void)report.AddApplianceFailure({notice.what, notice.slot, notice.pid, notice.image,
                                        notice.message, std::chrono::system_clock::now()});
    }
    events.Appliance(notice);
  };
  return pool_options;
}

// The run's limits from the manifest, and the least weight of a part: --min-part, else
// from this host's measured costs.
void SetRunLimits(RunShared& run, int appliances, HostCostMeter* costs) {
  run.appliances = appliances;
  run.retries = run.spec.run.retries;
  run.split = run.spec.run.split;
  const HostCosts measured = run.options.host_costs_path.empty()
                                 ? HostCosts{}
                                 : LoadHostCosts(run.options.host_costs_path);
  run.split_weight = run.options.min_part_weight ? run.options.min_part_weight
                                                 : SplitWeightFor(measured, kMinPartWeight);
  run.costs = costs;
}

std::vector<std::unique_ptr<JobRun>> MakeJobRuns(const ManifestSpec& spec) {
  std::vector<std::unique_ptr<JobRun>> jobs;
  for (const JobSpec& j : spec.jobs) {
    auto job = std::make_unique<JobRun>(j);
    job->index = jobs.size();
    job->kind = std::string(JobKindName(j.kind()));
    job->outcome = JobOutcome{j.name, job->kind, JobStatus::kOk, "", 0, 0, 0, 0, {}};
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// The most tasks that can ever run at once: a job that can be split may use every
// appliance, any other job one. The arena gets no more threads than that.
size_t WorkersFor(const RunShared& run, const std::vector<std::unique_ptr<JobRun>>& jobs) {
  size_t most_tasks = 0;
  for (const auto& job : jobs) {
    const bool walks = !std::holds_alternative<InjectSpec>(job->job.task);
    most_tasks +=
        run.split && walks && !WritesTarOutput(*job) ? static_cast<size_t>(run.appliances) : 1;
  }
  return std::max<size_t>(1, std::min<size_t>(run.appliances, most_tasks));
}

// Queues every job the interrupted run did not finish (those it did take its status);
// returns how many were queued.
size_t QueueJobs(RunShared& run, std::vector<std::unique_ptr<JobRun>>& jobs,
                 const std::map<std::string, JobStatus>& finished, WorkQueue& queue) {
  size_t queued = 0;
  for (auto& job : jobs) {
    auto done = finished.find(job->job.name);
    if (done != finished.end()) {
      job->outcome.status = done->second;
      job->outcome.message = "finished by the interrupted run";
      continue;
    }
    // Resumed: the interrupted run had started it (its plan is in the journal).
    if (run.options.resume) {
      auto plan = run.journal.LoadPlan(job->job.name);
      job->resumed = plan.ok() && plan->has_value();
    }
    ++queued;
    if (job->job.kind() != JobKind::kInject) PrepareWalkConfig(run, *job);
    queue.AddJob(job->index);
  }
  return queued;
}

// Runs the jobs on a task graph of `workers` tasks and waits for the last; returns the
// peak anonymous memory seen meanwhile (KiB).
uint64_t RunJobs(RunShared& run, std::vector<std::unique_ptr<JobRun>>& jobs,
                 const std::map<std::string, JobStatus>& finished, size_t workers) {
  RunWatch watch(run.options.cancel, run.pool);
  // Every task blocks on its appliance, so the arena needs a thread per appliance that
  // can be busy (plus this one, which waits) whatever the number of cores.
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, workers + 1);
  tbb::task_arena arena(static_cast<int>(workers) + 1);
  arena.execute([&] {
    tbb::flow::graph graph;
    WorkQueue queue;
    tbb::flow::function_node<tbb::flow::continue_msg> tasks(
        graph, workers, [&](const tbb::flow::continue_msg&) { RunTask(run, jobs, queue); });
    run.schedule = [&](size_t job, size_t part) {
      queue.AddPart(job, part);
      tasks.try_put(tbb::flow::continue_msg());
    };
    const size_t to_start = QueueJobs(run, jobs, finished, queue);
    for (size_t n = 0; n < to_start; ++n) tasks.try_put(tbb::flow::continue_msg());
    graph.wait_for_all();
  });
  return watch.peak_rss_anon_kib();
}

// The run's end: its outcome (the CLI maps it to an exit code), the run record, the journal removed
// and the host's costs saved when nothing was interrupted, and the RunFinished event.
Result<RunOutcome> FinishRun(RunShared& run, RunFiles& files,
                             const std::vector<std::unique_ptr<JobRun>>& jobs, RunSummary& summary,
                             const HostCostMeter& costs) {
  RunOutcome outcome;
  outcome.appliances = run.appliances;
  for (const auto& job : jobs) {
    summary.jobs.push_back({job->outcome.name, job->outcome.status});
    outcome.interrupted |= job->outcome.status == JobStatus::kInterrupted;
    outcome.jobs.push_back(job->outcome);
  }
  summary.status = outcome.interrupted ? "interrupted" : "complete";
  summary.ended = WallClock::now();
  (void)files.report.AddRunSummary(summary);
  if (Status st = files.report.Close(); !st.ok()) return st;
  const RunOptions& options = run.options;
  if (!outcome.interrupted) {
    if (Status st = files.journal.Remove(); !st.ok()) {
      run.events.Log(LogLevel::kWarning, st.ToString());
    }
    // Merged into the file as it is now, not as it was at the start: runs may overlap.
    if (!options.host_costs_path.empty() && costs.measured()) {
      (void)SaveHostCosts(options.host_costs_path,
                          costs.Merge(LoadHostCosts(options.host_costs_path)));  // best effort
    }
  }
  RunSummaryEvent end;
  end.interrupted = outcome.interrupted;
  for (const JobOutcome& j : outcome.jobs) {
    end.jobs.push_back(j.status);
    end.files += j.files;
    end.bytes += j.bytes;
  }
  end.seconds = std::chrono::duration<double>(summary.ended - summary.started).count();
  end.report_path = options.report_path;
  run.events.RunFinished(end);
  return outcome;
}

}  // namespace

Result<RunOutcome> RunManifest(const ManifestSpec& spec, const RunOptions& options) {
  DF_CHECK(options.events != nullptr);
  RunEvents& events = *options.events;
  Result<RunFiles> files = OpenRunFiles(spec, options);
  if (!files.ok()) return files.status();
  const int appliances = PoolSizeOf(spec, options);
  HostCostMeter costs;
  AppliancePool pool(PoolOptionsFor(options, appliances, events, costs, files->report));
  RunShared run{spec, options, files->report, files->journal, pool, events};
  SetRunLimits(run, appliances, &costs);
  std::vector<std::unique_ptr<JobRun>> jobs = MakeJobRuns(spec);
  const size_t workers = WorkersFor(run, jobs);
  RunSummary summary{
      "", DISKFERRY_VERSION,         files->manifest_sha256, HostName(), WallClock::now(), {}, {},
      0,  CaseInfoOf(spec.case_spec)};
  if (options.shard) {
    summary.shard_index = options.shard->index;
    summary.shard_count = options.shard->count;
  }
  events.RunStarted(spec.jobs.size(), appliances);
  summary.peak_rss_anon_kib = RunJobs(run, jobs, files->finished, workers);
  return FinishRun(run, *files, jobs, summary, costs);
}

}  // namespace diskferry
