// SelectingSink: a TreeSink decorator that passes on only the records a predicate selects,
// so a job's include/exclude rules apply to whatever the inner sink writes (a directory, a
// tar archive, a hashing report). The guest applies the same rules in its walk
// (TransferOptions::select), so from an honest guest only the directories walked on the way
// to selected paths are dropped here; this sink is the guard against any other guest.
//
// The predicate sees each record's path (relative, no leading '/', raw bytes) and metadata,
// kError records included (a read error of an unselected file is dropped too). A dropped
// kStreamFile's data and end are dropped as well (its file_id is remembered until its
// OnStreamEnd); stream calls for any other file_id go to the inner sink, which judges them.
//
// With `ancestors` on (the default), a selected record whose parent directories were not
// selected gets them first: each dropped directory is kept (path, metadata, xattrs) and
// passed on once, just before the first selected record beneath it, so the inner sink
// still sees parents before children (HostTreeWriter needs them; tar readers would make
// them up with default metadata). That costs memory for every dropped directory of the
// tree. A selected hard link whose target was dropped cannot be written (its bytes went
// with the target): it is dropped and listed in problems().
//
// What is kept of dropped records (directories as parents, paths with nlink > 1, stream
// file_ids until their end) counts against `options.held` (held_budget.h); a repeated
// record adds nothing. Past it: kProtocolError "protocol error: the appliance misbehaved: ...".
// Other errors come from the inner sink and are returned as they are. The inner sink is not owned
// and must outlive this one. Used by one thread at a time (the TreeSink contract); the predicate is
// called on that thread.
#ifndef DISKFERRY_SINKS_SELECTING_SINK_H_
#define DISKFERRY_SINKS_SELECTING_SINK_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "protocol/status.h"
#include "protocol/tree_io.h"
#include "sinks/file_report.h"
#include "sinks/held_budget.h"

namespace diskferry {

using SelectPredicate = std::function<bool(std::string_view path, const RecordMeta& meta)>;

struct SelectOptions {
  bool ancestors = true;  // pass on the unselected parents of selected records
  // Dropped directories kept as parents and dropped paths a hard link may name, at most.
  HeldLimits held;
};

struct SelectStats {
  uint64_t forwarded = 0;      // records selected and passed on
  uint64_t ancestors = 0;      // unselected directories passed on as parents
  uint64_t dropped = 0;        // records not selected (kError included)
  uint64_t dropped_bytes = 0;  // meta.size of the dropped regular files
};

class SelectingSink : public TreeSink {
 public:
  SelectingSink(TreeSink* inner, SelectPredicate predicate, SelectOptions options = {});

  Status OnRecord(const Record& record) override;
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override;
  Status OnStreamEnd(uint64_t file_id) override;
  Status Finish() override;

  const SelectStats& stats() const { return stats_; }
  // Selected records that could not be passed on (hard links to dropped files).
  const CappedList<FileProblem>& problems() const { return problems_; }

 private:
  struct DroppedDir {
    RecordMeta meta;
    std::vector<uint8_t> xattrs;
  };

  Status Drop(const Record& record);
  Status ForwardAncestors(std::string_view path);
  bool LinksToDropped(const Record& record);

  TreeSink* inner_;
  SelectPredicate predicate_;
  SelectOptions options_;
  std::unordered_set<uint64_t> dropped_streams_;
  // Dropped paths with nlink > 1: a later hard link may name them.
  std::unordered_set<std::string> dropped_linked_;
  std::unordered_map<std::string, DroppedDir> dropped_dirs_;  // not yet passed on
  SelectStats stats_;
  CappedList<FileProblem> problems_;
  HeldBudget held_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_SELECTING_SINK_H_
