#include "runner/job_survey.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "appliance/image_inspect.h"
#include "runner/appliance_pool.h"
#include "runner/partition.h"
#include "runner/run_tasks.h"
#include "runner/session_config.h"

namespace diskferry {
namespace {

// As long as a job's own survey may take (runner/walk_job.cc): a metadata walk of a
// large filesystem under TCG.
constexpr auto kSurveyTimeout = std::chrono::seconds(120);

const MachineSpec* SourceOf(const JobSpec& job) {
  if (const auto* e = std::get_if<ExtractSpec>(&job.task)) return &e->source;
  if (const auto* l = std::get_if<ListSpec>(&job.task)) return &l->source;
  if (const auto* v = std::get_if<VerifySpec>(&job.task)) return &v->source;
  return nullptr;
}

void Survey(const JobSpec& job, const SurveyOptions& options, AppliancePool& pool, JobSurvey* out) {
  out->started = std::chrono::system_clock::now();
  std::vector<ProbedFormat> probed;
  Result<ImageSessionConfig> config =
      SessionConfigOf(*SourceOf(job), false, ProbeImageFormat, &probed);
  if (config.ok()) {
    config->build.kernel = options.kernel;
    Result<Lease> lease = pool.Acquire(*config);
    if (lease.ok()) {
      auto survey = lease->session().appliance().control().Survey(
          "/", 1u << 30, kEntryWeight, kSurveyTimeout, SelectOfWalk(job).patterns());
      if (survey.ok()) {
        out->files = survey->files;
        out->bytes = survey->bytes;
      } else {
        out->status = survey.status();
        lease->MarkBroken();
      }
    } else {
      out->status = lease.status();
    }
  } else {
    out->status = config.status();
  }
  out->ended = std::chrono::system_clock::now();
}

}  // namespace

std::vector<JobSurvey> SurveyJobs(const ManifestSpec& spec, const SurveyOptions& options) {
  std::vector<const JobSpec*> jobs;
  std::vector<JobSurvey> out;
  for (const JobSpec& job : spec.jobs) {
    if (SourceOf(job) == nullptr) continue;
    jobs.push_back(&job);
    out.push_back({job.name, std::string(JobKindName(job.kind())), Status::Ok()});
  }
  const int appliances = options.appliances > 0 ? options.appliances : DefaultPoolSize();
  PoolOptions pool_options;
  pool_options.size = appliances;
  AppliancePool pool(std::move(pool_options));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      if (options.cancel != nullptr && options.cancel->load()) {
        out[i].status = Status(Code::kCancelled, "interrupted");
        continue;
      }
      Survey(*jobs[i], options, pool, &out[i]);
    }
  };
  std::vector<std::thread> workers;
  const size_t threads = std::min<size_t>(static_cast<size_t>(appliances), jobs.size());
  for (size_t t = 0; t < threads; ++t) workers.emplace_back(work);
  for (std::thread& w : workers) w.join();
  return out;
}

Status WriteSurveyReport(const std::string& path, const std::vector<JobSurvey>& surveys) {
  Result<RunReport> report = RunReport::Open(path);
  if (!report.ok()) return report.status();
  RunSummary run;
  run.status = "complete";
  run.tool_version = DISKFERRY_VERSION;
  run.started = std::chrono::system_clock::now();
  for (const JobSurvey& s : surveys) {
    JobSummary summary;
    summary.job = s.job;
    summary.kind = s.kind;
    summary.status = s.status.ok() ? JobStatus::kOk : JobStatus::kFailed;
    summary.message = s.status.ok() ? "surveyed, not run" : s.status.ToString();
    summary.files = s.files;
    summary.bytes = s.bytes;
    summary.started = s.started;
    summary.ended = s.ended;
    if (Status st = report->AddJobSummary(summary); !st.ok()) return st;
    run.jobs.push_back({s.job, summary.status});
    run.started = std::min(run.started, s.started);
  }
  run.ended = std::chrono::system_clock::now();
  if (Status st = report->AddRunSummary(run); !st.ok()) return st;
  return report->Close();
}

}  // namespace diskferry
