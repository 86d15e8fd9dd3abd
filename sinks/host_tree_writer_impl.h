// Private to the writer's files: the writer's state, shared by the record handlers
// (host_tree_writer.cc), the stream bookkeeping and Finish (host_tree_writer_streams.cc),
// and the host's half, which makes the entries: host_tree_writer_posix.cc on Linux,
// qemu-win/host_tree_writer_win.cc on Windows. On both, descriptors are BeneathDir's (POSIX
// descriptors, or CRT descriptors over HANDLEs) and errors are errno values.
#ifndef DISKFERRY_SINKS_HOST_TREE_WRITER_IMPL_H_
#define DISKFERRY_SINKS_HOST_TREE_WRITER_IMPL_H_

#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "protocol/printable_text.h"  // QuotedText: peer paths in messages
#include "sinks/beneath_dir.h"
#include "sinks/held_budget.h"  // Misbehaved
#include "sinks/host_metadata.h"
#include "sinks/host_tree_writer.h"
#include "sinks/unique_fd.h"

namespace diskferry {

// The problem to report when BeneathDir::OpenParent failed with `err`.
std::string ParentProblem(int err);

// Per host. Why this host cannot hold a name of `path` (a safe relative path), or nullopt.
std::optional<std::string> HostNameProblem(std::string_view path);
// Per host. Writes all of `data` at `offset` of the open file `fd`: 0 or an errno.
int WriteAt(int fd, std::span<const uint8_t> data, uint64_t offset);

struct HostTreeWriter::Impl {
  // kOpen --Finish--> kFinished. Protocol errors are returned, not remembered: the
  // LaneUnpacker in front of the writer is what stops a transfer for good.
  enum class State { kOpen, kFinished };

  // What an existing entry at a record's path turned out to be once dealt with.
  enum class Room { kFree, kDirectoryKept, kSkipped };

  using PendingDir = PendingDirectory;

  struct StreamFile {
    std::string path;
    RecordMeta meta;
    XattrList xattrs;
    UniqueFd fd;  // closed while evicted (see kMaxOpenStreams)
    // Identity of the file we created, checked when reopening: st_dev and st_ino, or on
    // Windows the volume serial number and the file index.
    uint64_t dev = 0;
    uint64_t ino = 0;
    bool failed = false;                     // not created or not writable: its data is dropped
    std::list<uint64_t>::iterator open_pos;  // in open_order while fd is open
  };

  // Stream files whose descriptors stay open at once. A peer may announce any number of
  // stream files before sending their data; descriptors past this are closed and reopened
  // on demand, so one transfer cannot exhaust the process's descriptors.
  static constexpr size_t kMaxOpenStreams = 64;
  // Stream files announced and not ended, at most (as TarSink::kMaxPendingStreams): each
  // is a file of its announced size in DEST and an entry here until its end.
  static constexpr size_t kMaxPendingStreams = 256;

  // host_tree_writer.cc
  Status OnRecord(const Record& r);
  Status CheckRecord(const Record& r, XattrList* xattrs);
  Status Settle(std::string_view path, const std::string& what, int err);

  // host_tree_writer_streams.cc
  Status CheckNewStream(const Record& r) const;
  StreamFile& AddStream(const Record& r, XattrList xattrs);
  Status BeginStream(const Record& r, BeneathDir::Parent& parent, XattrList xattrs);
  Status StreamData(uint64_t id, uint64_t offset, std::span<const uint8_t> data);
  Status StreamEnd(uint64_t id);
  Status Finish();
  Result<StreamFile*> FindStream(uint64_t id, const char* what);
  void KeepOpen(uint64_t id, StreamFile* file, UniqueFd fd);
  void CloseStream(StreamFile* file);
  Status FailStream(StreamFile* file, const std::string& what, int err);

  // Per host: host_tree_writer_posix.cc or qemu-win/host_tree_writer_win.cc.
  Impl(BeneathDir dest_dir, const HostWriterOptions& opts);
  int MakeRoom(int dir, const std::string& name, bool want_dir, Room* room);
  Status WriteFile(const Record& r, BeneathDir::Parent& parent, const XattrList& xattrs);
  Status MakeDirectory(const Record& r, BeneathDir::Parent& parent, XattrList xattrs);
  Status MakeSymlink(const Record& r, BeneathDir::Parent& parent, const XattrList& xattrs);
  Status MakeHardlink(const Record& r, BeneathDir::Parent& parent);
  Status MakeSpecial(const Record& r, BeneathDir::Parent& parent, const XattrList& xattrs);
  // Creates the stream file `parent.name` sized to its announced size, keeping it open.
  Status CreateStream(const BeneathDir::Parent& parent, uint64_t id, StreamFile* file);
  // Opens an evicted stream file again, safely, and only if it is still the file we made.
  // On failure the file is marked failed and the result says whether to stop the transfer.
  Status Reopen(uint64_t id, StreamFile* file);
  // The metadata of a regular file that is complete (open as `fd`) and of a directory.
  void ApplyToFile(int fd, const EntryMetadata& entry);
  Status ApplyToDirectory(const PendingDir& dir);
  size_t RemoveUnfinished();

  BeneathDir dest;
  HostWriterOptions options;
  MetadataPolicy policy;
  HostWriterStats stats;
  WriteReport report;
  State state = State::kOpen;
  std::vector<PendingDir> dirs;
  // Paths of the directory records of this transfer: a repeat is refused, not pending twice.
  std::unordered_set<std::string> dir_paths;
  std::unordered_map<uint64_t, StreamFile> streams;
  std::unordered_set<uint64_t> ended_streams;
  // dir_paths (with dirs) and ended_streams; adopted directories are the host's and not
  // counted. Declared after `options`, whose limits it takes.
  HeldBudget held{"directories and ended stream files remembered", options.held};
  // Ids of the stream files whose descriptors are open, least recently used first.
  std::list<uint64_t> open_order;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_TREE_WRITER_IMPL_H_
