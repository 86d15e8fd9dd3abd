// RunInjectSteps: executes the `steps:` of an inject job (jobs/manifest_spec.h) against an
// appliance whose target filesystem is mounted read-write. Steps run in order; the first
// failure stops the run, and later steps do not run.
//
// Semantics per step:
//   upload   host `from` (file or directory) becomes guest `to`; a directory's contents
//            land under `to`, created if missing. `mode` applies to uploaded regular files,
//            `owner` to every uploaded entry; otherwise owners come from the host files.
//            Travels as a tree transfer (InjectTree); per-file problems in the guest or on
//            the host fail the step, listing them.
//   write    the file's content becomes `content`, with exactly `mode`.
//   mkdir    with `parents`, like mkdir -p.
//   chmod, chown (never follows a final symlink), symlink, move (rename(2)).
//   delete   without a glob: the entry must exist; a directory needs `recursive` (then
//            rm -r, never following symlinks). With a glob: every match below the glob's
//            fixed leading directory (symlinks are not followed, the root never matches);
//            nothing is deleted unless every matched directory may be (`recursive`),
//            matches are removed deepest first, and no match at all is not an error.
//
// Errors: the Status of the failing step, with its code, prefixed by the step:
//   "step 3 (chmod /etc/app.conf): ENOENT: /etc/app.conf: No such file or directory"
// Nothing is synced here: closing the session (ImageSession::Close) syncs and unmounts.
//
// `progress` (may be empty) is called on the caller's thread before each step with the
// step and its description ("chmod /etc/app.conf"), and after a glob delete with the
// outcome ("deleted 3 entries matching /var/log/*.log").
//
// Threading: uses the appliance's control channel; one call per appliance at a time.
#ifndef DISKFERRY_RUNNER_INJECT_STEPS_H_
#define DISKFERRY_RUNNER_INJECT_STEPS_H_

#include <functional>
#include <string>

#include "appliance/appliance.h"
#include "jobs/manifest_spec.h"
#include "protocol/status.h"

namespace diskferry {

using StepProgress = std::function<void(const StepSpec&, const std::string& what)>;

Status RunInjectSteps(Appliance& appliance, const InjectSpec& spec, StepProgress progress);

// What a step does, for progress and errors: "chmod /etc/app.conf".

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_INJECT_STEPS_H_
