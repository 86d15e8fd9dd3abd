// The part of HostTreeReader both hosts share (host_tree_reader.cc on Linux,
// qemu-win/host_tree_reader_win.cc on Windows): checking and naming the sources, and the
// depth-first order of the walk. Each host supplies how a source is checked and named and
// how one entry is visited; its directories are held open by `Dir` (UniqueFd, a HANDLE
// owner) so that nothing is looked up twice by name from the top.
//
// Internal to the readers. Thread-compatible.
#ifndef DISKFERRY_SINKS_HOST_TREE_WALK_H_
#define DISKFERRY_SINKS_HOST_TREE_WALK_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/lane_records.h"
#include "protocol/status.h"
#include "sinks/file_report.h"
#include "sinks/host_tree_reader.h"

namespace diskferry {

struct HostWalkSource {
  std::string host_path;  // as given
  std::string name;       // its entry path: the last component
};

// A directory whose children are being visited.
template <typename Dir>
struct HostWalkFrame {
  Dir dir;
  std::string rel_dir;
  std::vector<std::string> names;  // sorted
  size_t next = 0;
};

// Checks each source with `check` (its error, e.g. it does not exist, is the result),
// names it with `name_of`, and refuses an empty list and two sources of the same name, as
// `cp -r A/x B/x DIR` would clash.
Result<std::vector<HostWalkSource>> NameHostSources(
    std::vector<std::string> sources, const std::function<Status(const std::string&)>& check,
    const std::function<Result<std::string>(const std::string&)>& name_of);

// The next entry of the walk: the children of the directory on top of `stack`, then the
// next source. `visit(dir, name, rel)` makes the entry for `name` in `dir` (`root` and the
// source's host path for a source) and may push a frame; it returns nullopt for an entry
// it skipped. A path longer than a record can carry is skipped here, as a problem.
template <typename Frame, typename DirRef, typename Visit>
Result<std::optional<SourceEntry>> NextHostWalkEntry(std::vector<Frame>* stack,
                                                     const std::vector<HostWalkSource>& sources,
                                                     size_t* next_source, DirRef root,
                                                     CappedList<FileProblem>* problems,
                                                     Visit&& visit) {
  for (;;) {
    std::optional<SourceEntry> entry;
    if (!stack->empty()) {
      Frame& top = stack->back();
      if (top.next == top.names.size()) {
        stack->pop_back();
        continue;
      }
      const std::string& name = top.names[top.next++];
      const std::string rel = top.rel_dir + "/" + name;
      if (rel.size() > kMaxRecordPath) {
        problems->Add({rel.substr(0, 200) + "...",
                       "skipped: path longer than " + std::to_string(kMaxRecordPath) + " bytes"});
        continue;
      }
      entry = visit(top.dir.get(), name, rel);
    } else if (*next_source < sources.size()) {
      const HostWalkSource& source = sources[(*next_source)++];
      entry = visit(root, source.host_path, source.name);
    } else {
      return std::optional<SourceEntry>();
    }
    if (entry.has_value()) return entry;
  }
}

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_TREE_WALK_H_
