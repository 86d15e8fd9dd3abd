// ParseManifest: YAML text -> ManifestConfig (what the user wrote, with marks).
//
// Structure only: unknown keys (with did-you-mean), duplicate keys, and values of the wrong
// shape (a list where a value belongs) are reported here. Everything about values (types,
// required fields, variables, globs, names) is the validator's (validator.h), so that one
// run reports every problem of a manifest together.
//
// Pure; thread-safe (no shared state).
#ifndef DISKFERRY_JOBS_MANIFEST_PARSER_H_
#define DISKFERRY_JOBS_MANIFEST_PARSER_H_

#include <string>
#include <string_view>

#include "jobs/diagnostics.h"
#include "jobs/manifest_config.h"
#include "protocol/status.h"

namespace diskferry {

// `path` only names the file in marks and messages; `text` is its content. Appends every
// problem found to *diagnostics. Returns the config whenever the text is one YAML document
// holding a mapping, even if problems were found (the caller, normally ValidateManifest,
// must treat any diagnostic as fatal). Fails with kInvalidArgument when nothing can be read:
// a YAML syntax error (reported at yaml-cpp's mark), an empty file, several documents, or a
// top level that is not a mapping; the reason is in *diagnostics too.
Result<ManifestConfig> ParseManifest(const std::string& path, std::string_view text,
                                     Diagnostics* diagnostics);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_MANIFEST_PARSER_H_
