// `evidence: true`: a walking job's images hashed before (in parallel with the job) and
// after it (evidence.h; jobs/README.md, "Evidence and case metadata").
#include "runner/run_tasks.h"

namespace diskferry {
namespace {

const MachineSpec* EvidenceSourceOf(const JobSpec& job) {
  if (const auto* e = std::get_if<ExtractSpec>(&job.task)) return &e->source;
  if (const auto* l = std::get_if<ListSpec>(&job.task)) return &l->source;
  if (const auto* v = std::get_if<VerifySpec>(&job.task)) return &v->source;
  return nullptr;
}

std::vector<std::string> EvidencePathsOf(const MachineSpec& machine) {
  std::vector<EvidenceDisk> disks;
  for (const DiskSpec& d : machine.disks) {
    EvidenceDisk disk{d.image.path, {}};
    for (const HostPath& b : d.backing) disk.backing.push_back(b.path);
    disks.push_back(std::move(disk));
  }
  return EvidencePaths(disks);
}

}  // namespace

void StartEvidence(RunShared& run, JobRun& job) {
  const MachineSpec* source = EvidenceSourceOf(job.job);
  if (source == nullptr || !source->evidence) return;
  RunEvents* events = &run.events;
  const std::string name = job.job.name;
  job.evidence_pass = std::make_unique<EvidencePass>(
      EvidencePathsOf(*source), run.options.cancel, [events, name](const ImageDigests& d) {
        events->Evidence(EvidenceNotice{name, "before", d, std::nullopt});
      });
}

Status FinishEvidence(RunShared& run, JobRun& job) {
  if (!job.evidence_pass) return Status::Ok();
  Result<std::vector<ImageDigests>> before = job.evidence_pass->Wait();
  job.evidence_pass.reset();
  if (!before.ok()) {
    if (before.status().code() == Code::kCancelled) return before.status();
    return Status(Code::kFailedPrecondition,
                  "evidence: before the job: " + before.status().message());
  }
  job.evidence_before = *before;
  Status first;
  for (const ImageDigests& b : *before) {
    ImageEvidence e{b, std::nullopt, ""};
    Result<ImageDigests> after = DigestImage(b.path, run.options.cancel);
    if (after.ok()) {
      e.after = std::move(*after);
      run.events.Evidence(EvidenceNotice{job.job.name, "after", *e.after, e.match()});
    } else if (after.status().code() == Code::kCancelled) {
      return after.status();
    } else {
      e.error = "evidence: after the job: " + after.status().message();
    }
    if (Status st = run.report.AddEvidence(job.job.name, e); !st.ok()) {
      run.events.Log(LogLevel::kError, "report: " + st.ToString());
    }
    if (first.ok() && !e.match()) first = Status(Code::kFailedPrecondition, EvidenceProblem(e));
  }
  return first;
}

}  // namespace diskferry
