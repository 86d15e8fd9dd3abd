#include "pipeline/guest_delete.h"

#include <vector>

#include "protocol/file_mode.h"

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
Status CollectMatches(GuestFs& fs, const Glob& glob, const std::string& dir,
                      std::vector<Match>* out) {
  Result<std::vector<DirEntryInfo>> entries = fs.ReadDirAll(dir);
  if (!entries.ok()) return entries.status();
  for (const DirEntryInfo& entry : *entries) {
    const std::string path = JoinGuestPath(dir, entry.name);
    const bool directory = IsDirectoryMode(entry.stat.mode);
    if (glob.Matches(path)) out->push_back({path, directory});
    if (directory && glob.CouldMatchBelow(path)) {
      if (Status st = CollectMatches(fs, glob, path, out); !st.ok()) return st;
    }
  }
  return Status::Ok();
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

Status DeleteGuestPath(GuestFs& fs, const std::string& path, bool recursive) {
  Result<FileStat> stat = fs.Lstat(path);
  if (!stat.ok()) return stat.status();
  if (!IsDirectoryMode(stat->mode)) return fs.Unlink(path);
  if (!recursive) return IsADirectory(path);
  return fs.RemoveTree(path);
}

Result<uint64_t> DeleteGuestGlob(GuestFs& fs, const Glob& glob, bool recursive) {
  const std::string root = GlobWalkRoot(glob.pattern());
  Result<FileStat> stat = fs.Lstat(root);
  if (!stat.ok() && GuestErrno(stat.status()) == "ENOENT") return uint64_t{0};
  if (!stat.ok()) return stat.status();
  if (!IsDirectoryMode(stat->mode)) return uint64_t{0};  // a symlink included: never followed
  std::vector<Match> matches;
  if (Status st = CollectMatches(fs, glob, root, &matches); !st.ok()) return st;
  for (const Match& m : matches) {
    if (m.directory && !recursive) return IsADirectory(m.path);
  }
  for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
    Status st = it->directory ? fs.RemoveTree(it->path) : fs.Unlink(it->path);
    if (!st.ok()) return st;
  }
  return static_cast<uint64_t>(matches.size());
}

}  // namespace diskferry
