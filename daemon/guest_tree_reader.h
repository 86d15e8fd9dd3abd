// GuestTreeReader: the TreeSource of an extraction. Walks start paths in the mounted
// filesystem depth first, parents before children, names in byte order, and describes each
// entry for the LanePacker.
//
// Entry paths are relative to the parent of each start path: "/etc" gives "etc",
// "etc/hostname", ...; "/" is the exception and gives its children ("bin", "etc", ...).
// The walk is fd-based: each directory is opened with O_NOFOLLOW from its parent's fd and
// every entry is looked at with *at(..., AT_SYMLINK_NOFOLLOW), so nothing it reads is
// outside the sysroot (start paths themselves resolve with RESOLVE_IN_ROOT).
// - A regular file comes with an fd open for reading (owned by the entry). A non-directory
//   with nlink > 1 seen before (same st_dev and st_ino) is a kHardlink entry whose target
//   is the path it was first seen at (any file type, not only regular files).
// - Symlinks carry their target (never followed, a start path included); devices, fifos
//   and sockets are kSpecial with rdev.
// - With `xattrs`, every entry but a hard link carries its extended attributes.
// - An entry that cannot be read (stat, open, readlink, xattrs, a directory that cannot be
//   listed) is a kError entry with its errno and "path: strerror"; the walk goes on. A path
//   longer than kMaxRecordPath is reported as an error on its parent directory.
// - With a selection (protocol/glob.h), matched against each entry's guest path (the start
//   path's parent joined with the entry path: "/etc" + "etc/ssh" is "/etc/ssh"), an entry
//   is decided from its name before anything is looked at: a selected entry is described
//   as above; an unselected one that the selection descends (some include could match
//   below it) is looked at with fstatat and, only when it is a directory, sent as a
//   directory entry and listed (the receiver drops it, or keeps it as a parent of what is
//   selected below); anything else is skipped unseen (no stat, no open, no prefetch, not
//   in the hard-link map, so a selected hard link whose other paths were not selected
//   comes as a file). A selected directory that the selection does not descend is sent
//   but not listed.
// - With a WalkRange (protocol/walk_order.h), only the entries e with after < e <= until
//   are described, plus, before them, the directories on the way to `after` (each
//   ancestor-or-self of `after` that is a directory: a normal directory entry, outside the
//   range, so the receiver can create the range's parents). Everything else <= after is
//   skipped unseen (no stat, no open, no prefetch, not in the hard-link map), so a hard
//   link whose first path is before the range comes as a file. The first entry > until
//   ends the walk; a directory equal to `until` is sent but not listed (its children come
//   after it). A failure on the way to `after` is a kError entry (what lies beneath is
//   unreachable), except on `after` itself, which belongs to the previous range.
//
// Used from the serving thread only (thread-compatible). Holds one fd per directory level
// being walked.
#ifndef DISKFERRY_DAEMON_GUEST_TREE_READER_H_
#define DISKFERRY_DAEMON_GUEST_TREE_READER_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/op_result.h"
#include "daemon/scoped_fd.h"
#include "protocol/glob.h"
#include "protocol/tree_io.h"
#include "protocol/walk_order.h"

namespace diskferry::daemon {

// Checks an extraction start path: absolute (ValidateRequestPath) and naming an entry (a
// last component of "." or ".." is EINVAL). Returns it without trailing slashes.
OpResult<std::string> CheckStartPath(std::string path);

// Compiles the host's include and exclude patterns (PathSelector::Create, with its limits);
// EINVAL naming the bad pattern or list. No include selects everything.
OpResult<PathSelector> CheckSelection(const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude);

// What a selective walk does with an entry, from its guest path alone (the start path's
// parent joined with the entry path).
enum class WalkVisit {
  kSkip,         // neither selected nor on the way to a selected path: never looked at
  kSelected,     // described and sent
  kDescendOnly,  // looked at; walked (and sent, for the receiver's parents) only if a directory
};
WalkVisit VisitOf(const PathSelector& select, std::string_view guest_path);

class GuestTreeReader : public TreeSource {
 public:
  // Checks every start path (absolute, and naming an entry: a last component of "." or
  // ".." is EINVAL; trailing slashes are dropped). At least one path is needed (EINVAL).
  // A bounded `range` needs exactly one start path, and its non-empty bounds must be
  // relative entry paths (ValidateRelativePath); EINVAL otherwise. Nothing is opened
  // until Next().
  static OpResult<std::unique_ptr<GuestTreeReader>> Create(std::string sysroot,
                                                           std::vector<std::string> paths,
                                                           bool xattrs, WalkRange range = {},
                                                           PathSelector select = {});

  // The next entry, or nullopt after the last. Fails (ending the transfer) only when the
  // sysroot itself cannot be opened.
  Result<std::optional<SourceEntry>> Next() override;

 private:
  // A directory being walked: its fd, its entry path and its guest path (shown in messages
  // and matched by the selection).
  // With a range, names[first_in, limit) are the entries inside it; names[first_in - 1]
  // may be on the way to `after` (then `next` starts there); names[limit, end) are past
  // `until`.
  struct Frame {
    ScopedFd dir;
    std::string rel;
    std::string shown;
    std::vector<std::string> names;  // sorted; only those the selection may visit
    std::vector<bool> selected;      // per name: kSelected (else kOnTheWay)
    size_t next = 0;
    size_t prefetched = 0;  // names[0, prefetched) have had their data read ahead
    size_t first_in = 0;
    size_t limit = 0;
  };

  // Starts asynchronous reads of the next small files of `frame`, so that the block layer
  // merges them into few large requests instead of one round trip per file.
  static void Prefetch(Frame* frame);

  GuestTreeReader(std::string sysroot, std::vector<std::string> starts, bool xattrs,
                  WalkRange range, PathSelector select);

  Result<std::optional<SourceEntry>> NextStart();
  // Stops the walk: every later entry is past `until`.
  void EndWalk();
  // Sets first_in, limit and next of a new frame from the range.
  void PlaceInRange(Frame* frame) const;
  SourceEntry Describe(int dir_fd, const std::string& name, const std::string& rel,
                       const std::string& shown);
  // An ancestor-or-self of `after`: a directory entry, or nullopt when it is not a
  // directory (or is `after` itself and cannot be read).
  std::optional<SourceEntry> DescribeOnTheWay(int dir_fd, const std::string& name,
                                              const std::string& rel, const std::string& shown);
  // An unselected entry the selection descends: a directory entry, or nullopt when it is
  // not a directory or cannot be looked at (the receiver would drop that error anyway).
  std::optional<SourceEntry> DescribeUnselected(int dir_fd, const std::string& name,
                                                const std::string& rel, const std::string& shown);
  SourceEntry DescribeStat(int dir_fd, const std::string& name, const std::string& rel,
                           const std::string& shown, const struct stat& st,
                           std::optional<int64_t> crtime);
  SourceEntry DescribeDirectory(int dir_fd, const std::string& name, SourceEntry entry,
                                const std::string& shown);
  SourceEntry DescribeFile(int dir_fd, const std::string& name, SourceEntry entry,
                           const std::string& shown);
  OpResult<Frame> OpenFrame(ScopedFd dir, std::string rel, std::string shown);

  const std::string sysroot_;
  const std::vector<std::string> starts_;
  const bool xattrs_;
  const WalkRange range_;
  const PathSelector select_;
  size_t next_start_ = 0;
  std::vector<Frame> frames_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_paths_;  // inodes with nlink > 1
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_GUEST_TREE_READER_H_
