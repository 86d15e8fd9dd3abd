// Surveying a manifest's reading jobs before a sharded run (`diskferry plan --shards N
// --survey FILE`, docs/scale-out.md): an appliance walks each extract, list and verify job's
// selection with the Survey op (metadata only: no file is read) and counts its files and
// bytes, so that shards can be balanced by what each job will read rather than by the size
// of its image. The counts are written as a report of job records, which `--weights` reads
// like any earlier run's report.
//
// Jobs run over an AppliancePool of `appliances` (jobs on the same image reuse an idle
// appliance); inject jobs are not surveyed. Blocks its caller; thread-compatible.
#ifndef DISKFERRY_RUNNER_JOB_SURVEY_H_
#define DISKFERRY_RUNNER_JOB_SURVEY_H_

#include <atomic>
#include <string>
#include <vector>

#include "jobs/manifest_spec.h"
#include "protocol/status.h"
#include "sinks/run_report.h"

namespace diskferry {

struct SurveyOptions {
  std::string kernel;                         // --kernel for the appliances
  int appliances = 0;                         // 0: DefaultPoolSize()
  const std::atomic<bool>* cancel = nullptr;  // stops before the next job when set
};

struct JobSurvey {
  std::string job;
  std::string kind;
  Status status;  // why the job could not be surveyed
  uint64_t files = 0;
  uint64_t bytes = 0;
  TimePoint started;
  TimePoint ended;
};

// One entry per extract, list and verify job, in manifest order.
std::vector<JobSurvey> SurveyJobs(const ManifestSpec& spec, const SurveyOptions& options);

// The surveys as job records ("status":"ok", or "failed" with the message; files and bytes
// as counted), with a run record, at `path`.
Status WriteSurveyReport(const std::string& path, const std::vector<JobSurvey>& surveys);

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_JOB_SURVEY_H_
