#include "runner/guest_walk.h"

#include "appliance/guest_fs.h"
#include "host/file_mode.h"
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

struct Level {
  std::string dir;
  std::vector<DirEntryInfo> entries;
  size_t next = 0;
};

bool BadName(const std::string& name) {
  return name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos;
}

// Reads `dir` into a new level, taking its entries from `budget`.
Status Enter(const std::string& dir, const GuestReadDir& read_dir, HeldBudget* budget,
             std::vector<Level>* stack) {
  Result<std::vector<DirEntryInfo>> entries = read_dir(dir);
  if (!entries.ok()) return entries.status();
  Level level{dir, std::move(*entries), 0};
  size_t taken = 0;
  Status st;
  for (const DirEntryInfo& e : level.entries) {
    if (BadName(e.name)) {
      st = GuestMisbehaved("directory " + QuotedText(dir) + " lists an entry named " +
                           QuotedText(e.name));
    } else {
      st = budget->Take(e.name.size());
    }
    if (!st.ok()) break;
    ++taken;
  }
  if (!st.ok()) {
    for (size_t i = 0; i < taken; ++i) budget->Give(level.entries[i].name.size());
    return st;
  }
  stack->push_back(std::move(level));
  return Status::Ok();
}

}  // namespace

Status WalkGuestTree(const std::string& root, const GuestReadDir& read_dir, const GuestVisit& visit,
                     const GuestLeave& leave, HeldLimits held) {
  HeldBudget budget("directory entries of the walk", held);
  std::vector<Level> stack;
  if (Status st = Enter(root, read_dir, &budget, &stack); !st.ok()) return st;
  while (!stack.empty()) {
    Level& level = stack.back();
    if (level.next == level.entries.size()) {
      const std::string dir = std::move(level.dir);
      stack.pop_back();
      if (leave) {
        if (Status st = leave(dir); !st.ok()) return st;
      }
      continue;
    }
    const DirEntryInfo& entry = level.entries[level.next++];
    budget.Give(entry.name.size());
    const std::string path = JoinGuestPath(level.dir, entry.name);
    if (path.size() > kMaxGuestPathBytes) {
      return GuestMisbehaved("path " + QuotedText(path, 64) + "... longer than " +
                             std::to_string(kMaxGuestPathBytes) + " bytes");
    }
    Result<bool> descend = visit(path, entry);
    if (!descend.ok()) return descend.status();
    if (*descend && IsDirectoryMode(entry.stat.mode)) {
      if (Status st = Enter(path, read_dir, &budget, &stack); !st.ok()) return st;
    }
  }
  return Status::Ok();
}

}  // namespace diskferry
