// The ImageSessionConfig that opens what a job names (MachineSpec, jobs/manifest_spec.h):
// every disk in order with its format (probed where the manifest asks) and backing files, the
// filesystem to mount, LUKS key files and journal replay. Used by the job runner (job_runner.cc)
// for every kind of job.
//
// Pure apart from `probe`; thread-safe if `probe` is.
#ifndef DISKFERRY_RUNNER_SESSION_CONFIG_H_
#define DISKFERRY_RUNNER_SESSION_CONFIG_H_

#include <functional>
#include <string>
#include <vector>

#include "appliance/image_session.h"
#include "jobs/manifest_spec.h"
#include "protocol/status.h"

namespace diskferry {

// The format an image's first bytes carry ("" for none, which is raw), as
// appliance/image_inspect.h's ProbeImageFormat says.
using FormatProbe = std::function<Result<std::string>(const std::string& path)>;

// A format the runner probed because the manifest said `probe_format: true`.
struct ProbedFormat {
  std::string image;   // the disk's path
  std::string format;  // what it was taken to be ("raw" when no signature was found)
};

// `machine`'s disks become config.image/format/backing (the first) and extra_disks (the
// rest, in order, each with its backing files); every disk without a format is probed with `probe`
// and appended to *probed. filesystem is the --fs argument (kWholeOs for `filesystem: os`), keys
// the key files' resolved paths, replay as given (ImageSession ignores it for writable sessions).
// The build and launch settings are left for the caller. Errors: the probe's, naming the
// image.
Result<ImageSessionConfig> SessionConfigOf(const MachineSpec& machine, bool writable,
                                           const FormatProbe& probe,
                                           std::vector<ProbedFormat>* probed);

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_SESSION_CONFIG_H_
