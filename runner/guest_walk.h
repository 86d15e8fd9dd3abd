// WalkGuestTree: a host-driven walk of a directory tree inside the guest, one ReadDir per
// directory (`ls -R`, the glob matches of an inject `delete` step, removing a tree).
//
// The guest answers every ReadDir, so it decides how deep the walk goes and how many
// entries wait: the walk keeps its own stack (no host recursion), refuses a path longer
// than kMaxGuestPathBytes (the daemon itself refuses longer ones, so an honest guest never
// sends a directory that deep; depth is at most kMaxGuestPathBytes / 2), and holds at
// most `held` entries (held_budget.h) of the directories it is inside. Past either:
// kProtocolError "protocol error: the appliance misbehaved: ...". Entries named "", ".", ".." or
// with a
// '/' are refused the same way.
//
// Pre-order, each directory's entries in the order ReadDir gives them (sorted by name):
// an entry is visited, then (if `visit` says so) everything beneath it, then its next
// sibling. Single-threaded; the callbacks run on the caller's thread.
#ifndef DISKFERRY_RUNNER_GUEST_WALK_H_
#define DISKFERRY_RUNNER_GUEST_WALK_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "appliance/guest_types.h"
#include "protocol/status.h"
#include "sinks/held_budget.h"

namespace diskferry {

// Longest guest path the host walks into (Linux PATH_MAX, and kMaxRecordPath).
inline constexpr size_t kMaxGuestPathBytes = 4096;

using GuestReadDir = std::function<Result<std::vector<DirEntryInfo>>(const std::string& dir)>;
// Called for each entry with its absolute path; returns whether to walk beneath it (only
// asked to for directories: IsDirectoryMode(entry.stat.mode)). An error ends the walk.
using GuestVisit = std::function<Result<bool>(const std::string& path, const DirEntryInfo& entry)>;

// Called when every entry beneath a directory walked into (`root` included) was visited.
using GuestLeave = std::function<Status(const std::string& dir)>;

// Walks beneath `root` (an absolute guest directory, not visited itself). Errors: those of
// the callbacks, as they are, or the refusals above.
Status WalkGuestTree(const std::string& root, const GuestReadDir& read_dir, const GuestVisit& visit,
                     const GuestLeave& leave = nullptr, HeldLimits held = {});

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_GUEST_WALK_H_
