// OrderingSink: a TreeSink decorator that hands out an extraction's file records in walk
// order, each once, so that "every record up to path P has been handed out" is a resume
// point (runner/job_journal.h) a retried or resumed part restarts after.
//
//   ... --> OrderingSink --> HashingSink --> HostTreeWriter / TarSink / nothing
//                 ^-- Complete(record) from HashingSink's callback
//
// Records complete out of order: a stream file completes at its OnStreamEnd, after records
// that followed it. OrderingSink remembers every entry it passed on, in order, and releases
// a completed entry's records to `on_release` only when every earlier entry has completed
// too. Memory: the entries between the oldest unfinished stream file and the newest record,
// bounded by what the lanes hold in flight (docs/protocol.md), not by the tree. A peer that
// sends more (a stream file that never ends, then record after record) is stopped at
// `held` (held_budget.h), and a record repeating the path of an entry still waiting is
// refused: both kProtocolError "protocol error: the appliance misbehaved: ...".
//
// Entries outside `range` (the ancestor directories a ranged walk sends first so that the
// writer can create parents) are passed on to the inner sink but their records are never
// released: the part owning them reports them.
//
// The inner sink is not owned. Used by one thread at a time (the TreeSink contract);
// `on_release` and Complete() run on that thread.
#ifndef DISKFERRY_SINKS_ORDERING_SINK_H_
#define DISKFERRY_SINKS_ORDERING_SINK_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "protocol/status.h"
#include "protocol/tree_io.h"
#include "protocol/walk_order.h"
#include "sinks/file_record.h"
#include "sinks/held_budget.h"

namespace diskferry {

class OrderingSink : public TreeSink {
 public:
  // `streamed`: the bytes of this entry that already went by through OnStreamData (for
  // progress meters that count them as they come).
  using ReleaseCallback = std::function<void(const FileRecord& record, uint64_t streamed)>;

  // `held`: the entries (and their path bytes) waiting to be released, at most; a record
  // past them, or one repeating the path of an entry still waiting, is GuestMisbehaved().
  OrderingSink(WalkRange range, ReleaseCallback on_release, HeldLimits held = {});

  // The sink records are passed on to; set before the first record.
  void set_inner(TreeSink* inner) { inner_ = inner; }
  // Told the size of every stream data call, as it passes (a progress meter).
  void set_on_stream_data(std::function<void(uint64_t bytes)> fn) {
    on_stream_data_ = std::move(fn);
  }

  // HashingSink's record callback: the entry being passed on (or ending) is complete.
  void Complete(const FileRecord& record);
  // An entry the caller decided about without passing it on (an unchanged file of an
  // incremental job): complete already, released in its place in the order.
  void AddCompleted(FileRecord record);

  Status OnRecord(const Record& record) override;
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override;
  Status OnStreamEnd(uint64_t file_id) override;
  // Finishes the inner sink, then releases the rest. kProtocolError if an entry never
  // completed (a stream file without its end).
  Status Finish() override;

  // The last entry released, "" before any.
  const std::string& last_released() const { return last_released_; }
  // Entries passed on whose records are not released yet.
  size_t pending() const { return pending_.size(); }

 private:
  struct Entry {
    std::string path;
    bool in_range = true;
    bool done = false;
    uint64_t streamed = 0;
    std::vector<FileRecord> records;  // usually one; see HashingSink on late stream errors
    bool held = false;                // a guest record: counted in held_ and pending_paths_
  };

  void Push(Entry entry);
  // Pushes the entry of a guest record, within held_ and unless its path is pending.
  Status Hold(std::string_view path);
  Entry* Completing(const FileRecord& record);
  void Release();

  const WalkRange range_;
  ReleaseCallback on_release_;
  std::function<void(uint64_t)> on_stream_data_;
  TreeSink* inner_ = nullptr;
  std::deque<Entry> pending_;
  uint64_t first_seq_ = 0;                          // sequence number of pending_.front()
  std::unordered_map<uint64_t, uint64_t> streams_;  // file_id -> sequence number
  int64_t completing_ = -1;  // sequence number of the entry inside a call to inner_
  std::string last_released_;
  HeldBudget held_;
  std::unordered_set<std::string> pending_paths_;  // paths of pending_
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_ORDERING_SINK_H_
