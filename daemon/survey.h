// Survey: a metadata-only walk of one start path, for the host to choose where to cut a
// large extraction into ranges (protocol/walk_order.h, docs/protocol.md "Survey").
//
// The walk is GuestTreeReader's: the same start-path rules, entry paths ("/etc" gives
// "etc", "etc/hostname", ...; "/" gives its children), order (depth first, parents first,
// names by bytes) and confinement (the start resolved with RESOLVE_IN_ROOT, directories
// opened O_NOFOLLOW from their parent's fd, entries looked at with
// fstatat(AT_SYMLINK_NOFOLLOW)). It only looks: no regular file is opened, nothing is
// read ahead, no xattrs are read.
//
// Counting: each entry weighs `entry_weight`, plus st_size for a regular file that is not
// a repeat of a hard link seen earlier in the walk. `files` counts regular files (repeats
// included), `directories` the directories that could be listed, `others` everything else
// that could be looked at; `bytes` sums regular file sizes, each inode once. An entry that
// cannot be looked at (or a directory that cannot be listed, or a path longer than
// kMaxRecordPath) counts in `errors` and weighs `entry_weight`; the walk goes on. Sums
// saturate at UINT64_MAX, so they never decrease.
//
// Selection: the include and exclude patterns decide each entry as an extraction's walk
// does (GuestTreeReader, VisitOf): only selected entries are counted and weighed; a
// directory on the way to selected paths is listed but counts for nothing; the rest is
// never looked at. Bad patterns are EINVAL (CheckSelection).
//
// Checkpoints: at the entry where the weight accumulated since the previous checkpoint
// reaches the checkpoint weight (0: none), with the totals through that entry inclusive.
// Never at a path longer than kMaxRecordPath (reported on its parent). Past
// kMaxSurveyCheckpoints checkpoints, or kMaxSurveyCheckpointPathBytes of their paths,
// every other one is dropped (the 2nd, 4th, ... are kept) and the checkpoint weight
// doubles, so the reply stays a few MiB at most.
//
// Stateless; thread-compatible (each call walks on its own).
#ifndef DISKFERRY_DAEMON_SURVEY_H_
#define DISKFERRY_DAEMON_SURVEY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/op_result.h"
#include "protocol/survey.h"

namespace diskferry::daemon {

struct SurveyParams {
  std::string path;  // absolute in the sysroot, as an extraction's start path
  uint64_t checkpoint_weight = 0;
  uint64_t entry_weight = 0;
  std::vector<std::string> include;  // as ExtractParams
  std::vector<std::string> exclude;
};

// EINVAL for a path an extraction would refuse; for the start "/", the errno of opening
// or listing the sysroot. A missing or unreadable start path is one error, not a failure.
OpResult<SurveyResult> Survey(const std::string& sysroot, const SurveyParams& params);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_SURVEY_H_
