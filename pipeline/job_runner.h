// Runs a validated manifest: every job in order (parallel scheduling is issue 5), each in
// its own appliance, with a JSON Lines run report.
//
//   extract: source (read-only) --select--> hashes --> dir (HostTreeWriter) or tar (TarSink)
//   list:    source --select--> hashes --> report and stdout
//   verify:  source --select--> hashes --> compared with a previous run's file records
//   inject:  new qcow2 overlay over target (or in place) --> steps in order
//
// A failing job never cancels the others unless run.fail_fast is set. Nothing thrown
// escapes a job: it is recorded as that job's failure. Single-threaded.
#ifndef DISKFERRY_PIPELINE_JOB_RUNNER_H_
#define DISKFERRY_PIPELINE_JOB_RUNNER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "jobs/manifest_spec.h"
#include "protocol/status.h"

namespace diskferry {

struct RunOptions {
  std::string report_path;      // the run's JSON Lines manifest
  std::string kernel;           // --kernel for the appliances
  std::function<void(const std::string&)> log = [](const std::string&) {};
  std::function<void(const std::string&)> out = [](const std::string&) {};  // list output
};

// Job status words, as in the report: "ok", "warnings", "failed", "differences", "skipped".
struct JobOutcome {
  std::string name;
  std::string kind;
  std::string status;
  std::string message;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t skipped = 0;
  uint64_t errors = 0;
};

struct RunOutcome {
  std::vector<JobOutcome> jobs;
  // 0 all ok; 1 warnings; 2 a job failed; 3 verify found differences (the worst wins:
  // 2 over 3 over 1).
  int exit_code = 0;
};

// Errors only for the run as a whole (the report cannot be written).
Result<RunOutcome> RunManifest(const ManifestSpec& spec, const RunOptions& options);

}  // namespace diskferry

#endif  // DISKFERRY_PIPELINE_JOB_RUNNER_H_
