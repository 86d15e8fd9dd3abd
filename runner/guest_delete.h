// The `delete` step of an inject job, in the guest: one path, or every match of a glob.
// Used by RunInjectSteps (inject_steps.h), which documents the semantics; kept apart so the
// prefix rule can be tested without a VM. Same threading as GuestFs.
#ifndef DISKFERRY_RUNNER_GUEST_DELETE_H_
#define DISKFERRY_RUNNER_GUEST_DELETE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "appliance/guest_fs.h"
#include "protocol/glob.h"
#include "protocol/status.h"
#include "runner/guest_walk.h"

namespace diskferry {

// The guest operations a delete needs; DeleteOpsOf binds them to a GuestFs (tests give
// fakes).
struct GuestDeleteOps {
  std::function<Result<FileStat>(const std::string& path)> lstat;
  GuestReadDir read_dir;
  std::function<Status(const std::string& path)> unlink;
  std::function<Status(const std::string& path)> rmdir;
};
GuestDeleteOps DeleteOpsOf(GuestFs& fs);

// Deletes `path`, which must exist. A directory without `recursive` is
// kFailedPrecondition "PATH: is a directory; set recursive: true". A directory is removed
// like `rm -r` through WalkGuestTree (guest_walk.h: no host recursion, paths of at most
// kMaxGuestPathBytes), never following a symlink; the first failure stops it.
Status DeleteGuestPath(const GuestDeleteOps& ops, const std::string& path, bool recursive);
Status DeleteGuestPath(GuestFs& fs, const std::string& path, bool recursive);

// Deletes every match of `glob` and returns how many there were. Errors as
// DeleteGuestPath, reported before anything is deleted; at most kMaxHeldRecords matches
// (more: kProtocolError "protocol error: the appliance misbehaved: ...").
Result<uint64_t> DeleteGuestGlob(const GuestDeleteOps& ops, const Glob& glob, bool recursive,
                                 HeldLimits held = {});
Result<uint64_t> DeleteGuestGlob(GuestFs& fs, const Glob& glob, bool recursive);

// The directory a walk for `pattern` starts from: its leading components without
// wildcards or escapes, never including the last ("/etc/*.conf" -> "/etc",
// "/var/**/x" -> "/var", "/a/b" -> "/a", "/*" -> "/").
std::string GlobWalkRoot(const std::string& pattern);

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_GUEST_DELETE_H_
