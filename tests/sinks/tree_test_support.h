// Helpers for the sinks and runner tests: scratch directories, records built by hand, tree
// snapshots for comparison, and a hand-made packer that drives a TreeSource through the
// socket lane into a LaneUnpacker (independent of protocol/lane_packer.cc).
#ifndef DISKFERRY_TESTS_SINKS_TREE_TEST_SUPPORT_H_
#define DISKFERRY_TESTS_SINKS_TREE_TEST_SUPPORT_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/lane_records.h"
#include "protocol/lane_unpacker.h"
#include "protocol/status.h"
#include "protocol/tree_io.h"

namespace diskferry::testing {

// A fresh directory under the test temp dir, removed (without following symlinks) at the end.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view rel) const { return path_ + "/" + std::string(rel); }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, std::string_view content, mode_t mode = 0644);
std::string ReadFile(const std::string& path);
bool Exists(const std::string& path);  // lstat succeeds
// Names in a directory, sorted; empty if it cannot be read.
std::vector<std::string> ListDir(const std::string& path);
void SetTimes(const std::string& path, int64_t atime_ns, int64_t mtime_ns);  // not following
std::span<const uint8_t> Bytes(std::string_view s);

// Records built by hand: the views point at the arguments, which must outlive the Record.
Record FileRecord(std::string_view path, std::string_view data, uint32_t mode = 0100644);
Record DirRecord(std::string_view path, uint32_t mode = 040755);
Record SymlinkRecord(std::string_view path, std::string_view target);
Record HardlinkRecord(std::string_view path, std::string_view target);
Record SpecialRecord(std::string_view path, uint32_t mode, uint64_t rdev = 0);
Record StreamRecord(std::string_view path, uint64_t file_id, uint64_t size);
Record ErrorRecord(std::string_view path, int err, std::string_view message);

// What a tree looks like, for comparing a source with what was written.
struct EntryInfo {
  mode_t mode = 0;  // type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;
  int64_t atime_ns = 0;
  int64_t mtime_ns = 0;
  std::string content;     // file bytes or symlink target
  std::string link_group;  // first path (in walk order) of the same inode
  std::vector<std::pair<std::string, std::string>> xattrs;  // sorted, user.* only
  dev_t rdev = 0;
};
using TreeSnapshot = std::map<std::string, EntryInfo>;
// Every entry under `root` (root itself excluded), by relative path. lstat comes before any
// read of the entry, so the times are those before this walk touched it.
TreeSnapshot Snapshot(const std::string& root);

// Applies every entry of `source` to `unpacker` the way LanePacker would over the socket
// lane: records batched into buffers of `batch_size` bytes; files larger than
// `stream_threshold` as kStreamFile records (the batch holding one is applied first) with
// their data in chunks of `chunk_size`, holes skipped, and an empty eof buffer at the end.
// Then unpacker->Finish().
Status PackByHand(TreeSource* source, LaneUnpacker* unpacker, uint64_t stream_threshold,
                  size_t batch_size, size_t chunk_size);

// Runs `body` in a child process as uid/gid 65534 (when we are root; else as ourselves)
// and returns its exit status, or -1 if it did not exit normally. `body` must not use
// gtest assertions: it reports through its return value.
int RunUnprivileged(const std::function<int()>& body);

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_SINKS_TREE_TEST_SUPPORT_H_
