// ValidateManifest: ManifestConfig -> ManifestSpec, or every problem as FILE:LINE:COL.
//
// Checks, all reported together: the version; variable declarations and --var overrides
// (types, unknown variables, cycles); unknown variables in any string; run settings
// (max_parallel 1..256, retries 0..10, fail_fast and split booleans); per job: kind, name
// (unique, [A-Za-z0-9][A-Za-z0-9._-]*), required keys, value types and enums (with
// did-you-mean), globs, hash names, tar extensions, exactly one of dir/tar, inject output
// or in_place, each step's fields, guest paths, modes and owners. The only host checks
// are cheap ones: each source or target disk must exist and be a file or block device
// (through ValidateOptions::probe), and each key file must be a regular file that can be
// opened for reading (probe and open_check; it is closed unread). Nothing else is read or
// written.
//
// Defaults are merged before checking: each key of `defaults:` applies to the jobs whose
// kind has it and that do not set it; mappings (select, output, incremental) merge one
// level deep, lists are replaced whole. A problem in a default is reported at the default.
//
// Pure apart from the probe; thread-safe if the probe and clock are.
#ifndef DISKFERRY_JOBS_VALIDATOR_H_
#define DISKFERRY_JOBS_VALIDATOR_H_

#include <string>
#include <string_view>
#include <vector>

#include "jobs/diagnostics.h"
#include "jobs/host_files.h"
#include "jobs/manifest_config.h"
#include "jobs/manifest_spec.h"
#include "jobs/vars.h"
#include "protocol/status.h"

namespace diskferry {

struct ValidateOptions {
  std::vector<VarOverride> overrides;  // --var NAME=VALUE, in command-line order
  Clock clock = SystemLocalTime;       // read once: ${date} and ${time}
  // Relative host paths are resolved against this; empty means the manifest's directory.
  std::string base_dir;
  // Relative --var values of `path` variables are resolved against this, the directory
  // they were typed in; empty means the current directory.
  std::string override_dir;
  HostFileProbe probe = StatHostFile;
  // Whether a key file (`keys:`) can be opened for reading; its content is never read.
  HostFileOpenCheck open_check = OpenHostFileForReading;
};

// Appends problems to *diagnostics. Returns the spec only if *diagnostics is empty at the
// end, so problems the parser recorded count too; otherwise kInvalidArgument
// ("FILE: N problems").
Result<ManifestSpec> ValidateManifest(const ManifestConfig& config, const ValidateOptions& options,
                                      Diagnostics* diagnostics);

// ParseManifest then ValidateManifest: what `diskferry validate`, `plan` and `run` do.
Result<ManifestSpec> LoadManifest(const std::string& path, std::string_view text,
                                  const ValidateOptions& options, Diagnostics* diagnostics);

// LoadManifest on the content of the file at `path`. A file that cannot be read fails
// with kNotFound or kIoError and adds nothing to *diagnostics.
Result<ManifestSpec> LoadManifestFile(const std::string& path, const ValidateOptions& options,
                                      Diagnostics* diagnostics);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_VALIDATOR_H_
