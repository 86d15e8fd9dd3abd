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

#include <cstddef>
#include <cstdint>
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
// a YAML syntax error (reported at yaml-cpp's mark), an empty file, several documents, a
// limit below passed, or a top level that is not a mapping; the reason is in *diagnostics too.
// Limits on one manifest, checked before it is walked. The walk copies an aliased node at
// every use (*name), so each use counts as a copy of what it names; past a limit the
// manifest fails as a syntax error does, at the mark of the value or alias that passed it.
inline constexpr size_t kMaxYamlAliases = 1000;       // uses of aliases
inline constexpr uint64_t kMaxYamlNodes = 100000;     // values, lists and mappings
inline constexpr uint64_t kMaxYamlBytes = 16u << 20;  // bytes of all values (16 MiB)

Result<ManifestConfig> ParseManifest(const std::string& path, std::string_view text,
                                     Diagnostics* diagnostics);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_MANIFEST_PARSER_H_
