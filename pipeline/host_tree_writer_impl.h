// Private to host_tree_writer*.cc: the writer's state, shared by the record handlers
// (host_tree_writer.cc) and the stream-file and Finish code (host_tree_writer_streams.cc).
#ifndef DISKFERRY_PIPELINE_HOST_TREE_WRITER_IMPL_H_
#define DISKFERRY_PIPELINE_HOST_TREE_WRITER_IMPL_H_

#include <sys/types.h>

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pipeline/beneath_dir.h"
#include "pipeline/host_metadata.h"
#include "pipeline/host_tree_writer.h"
#include "pipeline/unique_fd.h"

namespace diskferry {

// A peer-supplied path for a message: quoted, cut at 200 bytes, NUL and newline shown as '?'.
std::string QuotedPath(std::string_view path);
// The problem to report when BeneathDir::OpenParent failed with `err`.
std::string ParentProblem(int err);

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
    UniqueFd fd;    // closed while evicted (see kMaxOpenStreams)
    dev_t dev = 0;  // identity of the file we created, checked when reopening
    ino_t ino = 0;
    bool failed = false;                     // not created or not writable: its data is dropped
    std::list<uint64_t>::iterator open_pos;  // in open_order while fd is open
  };

  // Stream files whose descriptors stay open at once. A peer may announce any number of
  // stream files before sending their data; descriptors past this are closed and reopened
  // on demand, so one transfer cannot exhaust the process's descriptors.
  static constexpr size_t kMaxOpenStreams = 64;

  Impl(BeneathDir dest_dir, const HostWriterOptions& opts);

  // host_tree_writer.cc
  Status OnRecord(const Record& r);
  Status CheckRecord(const Record& r, XattrList* xattrs);
  Status Settle(std::string_view path, const std::string& what, int err);
  int MakeRoom(int dir, const std::string& name, bool want_dir, Room* room);
  Status WriteFile(const Record& r, BeneathDir::Parent& parent, const XattrList& xattrs);
  Status MakeDirectory(const Record& r, BeneathDir::Parent& parent, XattrList xattrs);
  Status MakeSymlink(const Record& r, BeneathDir::Parent& parent, const XattrList& xattrs);
  Status MakeHardlink(const Record& r, BeneathDir::Parent& parent);
  Status MakeSpecial(const Record& r, BeneathDir::Parent& parent, const XattrList& xattrs);

  // host_tree_writer_streams.cc
  Status CheckNewStream(const Record& r) const;
  Status BeginStream(const Record& r, BeneathDir::Parent* parent, int parent_err, XattrList xattrs);
  Status CreateStream(const BeneathDir::Parent& parent, uint64_t id, StreamFile* file);
  Status StreamData(uint64_t id, uint64_t offset, std::span<const uint8_t> data);
  Status StreamEnd(uint64_t id);
  Status Finish();
  size_t RemoveUnfinished();
  Result<StreamFile*> FindStream(uint64_t id, const char* what);
  void KeepOpen(uint64_t id, StreamFile* file, UniqueFd fd);
  void CloseStream(StreamFile* file);
  Status Reopen(uint64_t id, StreamFile* file);
  Status FailStream(StreamFile* file, const std::string& what, int err);

  BeneathDir dest;
  HostWriterOptions options;
  MetadataPolicy policy;
  HostWriterStats stats;
  WriteReport report;
  State state = State::kOpen;
  std::vector<PendingDir> dirs;
  std::unordered_map<uint64_t, StreamFile> streams;
  std::unordered_set<uint64_t> ended_streams;
  // Ids of the stream files whose descriptors are open, least recently used first.
  std::list<uint64_t> open_order;
};

}  // namespace diskferry

#endif  // DISKFERRY_PIPELINE_HOST_TREE_WRITER_IMPL_H_
