// PlanManifest: ManifestSpec -> RunPlan, what each job would do, in words, without doing
// it: `diskferry plan FILE` and `run --dry-run` print FormatPlan(plan). Each job keeps its
// JobSpec, so the plan is also what a runner executes.
//
// A line whose effect depends on what is inside the image or on host files that do not
// exist yet (a `delete` glob, an upload from a missing directory, an incremental baseline
// not written yet) says so with `not_previewable`. Only `probe` is consulted; nothing is
// opened, booted or written.
//
// Pure apart from the probe; thread-safe if the probe is.
#ifndef DISKFERRY_JOBS_PLAN_H_
#define DISKFERRY_JOBS_PLAN_H_

#include <string>
#include <vector>

#include "jobs/host_files.h"
#include "jobs/manifest_spec.h"

namespace diskferry {

struct PlanLine {
  std::string text;             // "step 2: mkdir -p /srv/www (mode 0755)"
  std::string not_previewable;  // why the effect cannot be shown now; "" when it can
};

struct JobPlan {
  JobSpec job;
  std::vector<PlanLine> lines;
};

struct RunPlan {
  std::string file;
  RunSpec run;
  CaseSpec case_spec;
  std::vector<JobPlan> jobs;  // in manifest order
};

RunPlan PlanManifest(const ManifestSpec& spec, const HostFileProbe& probe = StatHostFile);

// "step 3 (upload site -> /srv/www)": how a runner names a failing step.
std::string DescribeStep(const StepSpec& step);

// The plan as text:
//   plan for FILE: N jobs, appliances: M, retries: R, keep going after a failure
//   case: id ID, examiner NAME, evidence_id ID, notes TEXT   (the fields given; no line
//                                                             without `case:`)
//   job NAME (KIND)
//     LINE
//     LINE (cannot be previewed: WHY)
// "appliances: auto (from cores and memory)" when run.max_parallel is unset; ", each
// extract on one appliance" follows the retries when run.split is false; "stop at the
// first failure" replaces "keep going after a failure" with run.fail_fast.
std::string FormatPlan(const RunPlan& plan);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_PLAN_H_
