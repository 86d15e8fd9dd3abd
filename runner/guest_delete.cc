#include "runner/guest_delete.h"

#include <vector>

#include "host/file_mode.h"

namespace diskferry {
namespace {

struct Match {
  std::string path;
  bool directory = false;
};

Status IsADirectory(const std::string& path) {
  return Status(Code::kFailedPrecondition, path + ": is a directory; set recursive: true");
}

// Pre-order: a directory comes before what lies below it, so the reverse is deepest first.
// Matched directories are descended too ("/tmp/**" matches /tmp/a and /tmp/a/b).
Status CollectMatches(const GuestDeleteOps& ops, const Glob& glob, const std::string& root,
                      HeldLimits held, std::vector<Match>* out) {
  HeldBudget budget("glob matches to delete", held);
  auto visit = [&](const std::string& path, const DirEntryInfo& entry) -> Result<bool> {
    const bool directory = IsDirectoryMode(entry.stat.mode);
    if (glob.Matches(path)) {
      if (Status st = budget.Take(path.size()); !st.ok()) return st;
      out->push_back({path, directory});
    }
    return directory && glob.CouldMatchBelow(path);
  };
  return WalkGuestTree(root, ops.read_dir, visit);
}

// rm -r without host recursion: files as they come, each directory once it is empty.
Status RemoveTree(const GuestDeleteOps& ops, const std::string& dir) {
  if (dir.find_first_not_of('/') == std::string::npos) {
    return Status(Code::kInvalidArgument, "refusing to remove the filesystem root");
  }
  auto visit = [&](const std::string& path, const DirEntryInfo& entry) -> Result<bool> {
    if (IsDirectoryMode(entry.stat.mode)) return true;
    if (Status st = ops.unlink(path); !st.ok()) return st;
    return false;
  };
  return WalkGuestTree(dir, ops.read_dir, visit, ops.rmdir);
}

Status RemoveEntry(const GuestDeleteOps& ops, const std::string& path, bool directory) {
  return directory ? RemoveTree(ops, path) : ops.unlink(path);
}

bool HasWildcard(std::string_view component) {
  return component.find_first_of("*?[\\") != std::string_view::npos;
}

}  // namespace

std::string GlobWalkRoot(const std::string& pattern) {
  std::string root;
  size_t start = 1;  // after the leading '/'
  for (;;) {
    const size_t end = pattern.find('/', start);
    if (end == std::string::npos) break;  // the last component is never part of the root
    const std::string_view component(pattern.data() + start, end - start);
    if (HasWildcard(component)) break;
    root += "/";
    root += component;
    start = end + 1;
  }
  return root.empty() ? "/" : root;
}

GuestDeleteOps DeleteOpsOf(GuestFs& fs) {
  return {[&fs](const std::string& p) { return fs.Lstat(p); },
          [&fs](const std::string& p) { return fs.ReadDirAll(p); },
          [&fs](const std::string& p) { return fs.Unlink(p); },
          [&fs](const std::string& p) { return fs.Rmdir(p); }};
}

Status DeleteGuestPath(const GuestDeleteOps& ops, const std::string& path, bool recursive) {
  Result<FileStat> stat = ops.lstat(path);
  if (!stat.ok()) return stat.status();
  if (!IsDirectoryMode(stat->mode)) return ops.unlink(path);
  if (!recursive) return IsADirectory(path);
  return RemoveTree(ops, path);
}

Status DeleteGuestPath(GuestFs& fs, const std::string& path, bool recursive) {
  return DeleteGuestPath(DeleteOpsOf(fs), path, recursive);
}

Result<uint64_t> DeleteGuestGlob(const GuestDeleteOps& ops, const Glob& glob, bool recursive,
                                 HeldLimits held) {
  const std::string root = GlobWalkRoot(glob.pattern());
  Result<FileStat> stat = ops.lstat(root);
  if (!stat.ok() && GuestErrno(stat.status()) == "ENOENT") return uint64_t{0};
  if (!stat.ok()) return stat.status();
  if (!IsDirectoryMode(stat->mode)) return uint64_t{0};  // a symlink included: never followed
  std::vector<Match> matches;
  if (Status st = CollectMatches(ops, glob, root, held, &matches); !st.ok()) return st;
  for (const Match& m : matches) {
    if (m.directory && !recursive) return IsADirectory(m.path);
  }
  for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
    if (Status st = RemoveEntry(ops, it->path, it->directory); !st.ok()) return st;
  }
  return static_cast<uint64_t>(matches.size());
}

Result<uint64_t> DeleteGuestGlob(GuestFs& fs, const Glob& glob, bool recursive) {
  return DeleteGuestGlob(DeleteOpsOf(fs), glob, recursive);
}

}  // namespace diskferry
