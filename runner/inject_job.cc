// Inject jobs: the steps run on a new qcow2 overlay over the target (or on the target
// itself with in_place). An appliance that dies midway is replaced and, on an overlay, the
// job starts over on a fresh overlay: steps are not all idempotent (move, delete), so
// half-applied ones are thrown away with the overlay rather than repeated on top of it.
#include "appliance/overlay.h"
#include "runner/inject_steps.h"
#include "runner/run_tasks.h"
#include "sinks/host_file.h"

namespace diskferry {
namespace {

// One attempt: a fresh overlay (unless in place), an appliance, the steps, a clean
// shutdown so that QEMU has flushed the image. *broken: the appliance failed.
Status InjectOnce(RunShared& run, JobRun& job, const InjectSpec& spec, bool again, bool* broken) {
  auto config = SessionConfigFor(spec.target, true, run, job);
  if (!config.ok()) return config.status();
  if (!spec.in_place) {
    // The validator allows one target disk with an overlay: the others would be written.
    if (!config->extra_disks.empty()) {
      return Status(Code::kInvalidArgument, "output: an overlay covers one target disk only");
    }
    // Ours: made by an earlier attempt, or by the interrupted run being resumed.
    if (again) (void)RemoveHostFile(spec.output->path);
    if (Status st = MakeOutputParents(*spec.output); !st.ok()) return st;
    auto base = ResolveDisk(SessionDisks(*config).front());
    if (!base.ok()) return base.status();
    auto overlay = CreateOverlay(*base, spec.output->path);
    if (!overlay.ok()) return overlay.status();
    config->image = overlay->image.path;
    config->format = overlay->image.format;
    config->backing = overlay->backing;
  }
  auto lease = run.pool.Acquire(*config);
  if (!lease.ok()) {
    *broken = !run.cancelled() && WorthAnotherLaunch(lease.status());
    return lease.status();
  }
  NoteMounted(run, job, lease->session());
  Status st = RunInjectSteps(lease->session().appliance(), spec,
                             [&](const StepSpec&, const std::string& what) {
                               run.events.Log(LogLevel::kInfo, job.job.name + ": " + what);
                             });
  *broken = !st.ok() && ApplianceBroken(*lease);
  if (*broken) {
    lease->MarkBroken();
    return st;
  }
  Status closed = lease->Close();  // QEMU flushes the overlay as it powers off
  return st.ok() ? closed : st;
}

}  // namespace

Status RunInjectJob(RunShared& run, JobRun& job) {
  const auto& spec = std::get<InjectSpec>(job.job.task);
  if (job.resumed && spec.in_place) {
    run.events.Log(LogLevel::kWarning,
                   job.job.name +
                       ": interrupted while changing the image in place; its steps "
                       "run again from the first");
  }
  for (int attempt = 0;; ++attempt) {
    if (run.cancelled()) return Status(Code::kCancelled, "interrupted");
    bool broken = false;
    Status st = InjectOnce(run, job, spec, attempt > 0 || job.resumed, &broken);
    if (st.ok()) return st;
    if (run.cancelled()) return Status(Code::kCancelled, "interrupted");
    if (!broken || spec.in_place || attempt >= run.retries) return st;
    run.events.Log(
        LogLevel::kWarning,
        RetryingLine(run, job.job.name + ": appliance failed", st, attempt) + " on a new overlay");
  }
}

}  // namespace diskferry
