#include "daemon/survey.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <set>
#include <utility>

#include "daemon/guest_tree_reader.h"
#include "daemon/scoped_fd.h"
#include "daemon/sysroot_fs.h"
#include "protocol/lane_records.h"
#include "protocol/walk_order.h"

namespace diskferry::daemon {
namespace {

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// The walk of GuestTreeReader, counting instead of describing.
class Surveyor {
 public:
  Surveyor(const std::string& sysroot, const SurveyParams& params, PathSelector select)
      : sysroot_(sysroot),
        entry_weight_(params.entry_weight),
        select_(std::move(select)),
        step_(params.checkpoint_weight) {}

  OpResult<SurveyResult> Run(const std::string& start);

 private:
  struct Frame {
    ScopedFd dir;
    std::string rel;
    std::string guest;               // its guest path, which the selection matches
    std::vector<std::string> names;  // sorted
    size_t next = 0;
  };

  OpResult<bool> Start(const std::string& start);
  // Looks at entry `name` of `dir_fd` (guest path `guest`, which VisitOf did not skip),
  // counts it if `selected`, and pushes the frame of a directory the selection descends.
  void Visit(int dir_fd, const std::string& name, const std::string& rel, const std::string& guest,
             bool selected);
  void VisitDirectory(int dir_fd, const std::string& name, const std::string& rel,
                      const std::string& guest, bool selected);
  void PushDirectory(ScopedFd dir, const std::string& rel, const std::string& guest,
                     std::vector<std::string> names);
  // Adds an entry of `weight` (beyond entry_weight) ending at `rel`; "" never checkpoints.
  void Account(const std::string& rel, uint64_t weight);
  void Error(const std::string& rel) {
    data_.errors = SaturatingAdd(data_.errors, 1);
    Account(rel, 0);
  }
  void Thin();

  const std::string& sysroot_;
  const uint64_t entry_weight_;
  const PathSelector select_;
  uint64_t step_;          // the weight between two checkpoints; doubles when thinned
  uint64_t since_ = 0;     // weight since the last checkpoint
  size_t path_bytes_ = 0;  // of the checkpoints' paths
  std::set<std::pair<dev_t, ino_t>> linked_;  // regular files with nlink > 1 seen
  std::vector<Frame> frames_;
  SurveyResult data_;
};

OpResult<SurveyResult> Surveyor::Run(const std::string& start) {
  if (OpResult<bool> started = Start(start); !started.ok()) return started.error();
  while (!frames_.empty()) {
    Frame& frame = frames_.back();
    if (frame.next == frame.names.size()) {
      frames_.pop_back();
      continue;
    }
    // Visit may push a frame (and move this one): take what it needs first.
    const std::string name = frame.names[frame.next++];
    std::string rel = Join(frame.rel, name);
    const std::string guest = frame.guest == "/" ? "/" + name : frame.guest + "/" + name;
    const WalkVisit visit = VisitOf(select_, guest);
    if (visit == WalkVisit::kSkip) continue;
    if (rel.size() > kMaxRecordPath) {
      // An extraction reports it on the parent, a path already passed; one that is not
      // selected it skips.
      if (visit == WalkVisit::kSelected) Error("");
      continue;
    }
    Visit(frame.dir.get(), name, rel, guest, visit == WalkVisit::kSelected);
  }
  return std::move(data_);
}

OpResult<bool> Surveyor::Start(const std::string& start) {
  if (start == "/") {
    if (!select_.Descends("/")) return true;
    OpResult<int> root = OpenInSysroot(sysroot_, "/", O_RDONLY | O_DIRECTORY);
    if (!root.ok()) return root.error();
    ScopedFd dir(root.value());
    OpResult<std::vector<std::string>> names = ListNames(dir.get(), "/");
    if (!names.ok()) return names.error();
    PushDirectory(std::move(dir), "", "/", std::move(names).value());
    return true;
  }
  const std::string name = start.substr(start.rfind('/') + 1);
  const WalkVisit visit = VisitOf(select_, start);
  if (visit == WalkVisit::kSkip) return true;
  OpResult<EntryRef> ref = ResolveEntry(sysroot_, start);
  if (!ref.ok()) {
    if (visit == WalkVisit::kSelected) Error(name);
    return true;
  }
  Visit(ref->dir.get(), name, name, start, visit == WalkVisit::kSelected);
  return true;
}

void Surveyor::PushDirectory(ScopedFd dir, const std::string& rel, const std::string& guest,
                             std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  frames_.push_back(Frame{std::move(dir), rel, guest, std::move(names)});
}

// As GuestTreeReader: what is not selected counts for nothing, errors included (the
// receiver drops them), and only a directory is walked on the way to selected paths.
void Surveyor::Visit(int dir_fd, const std::string& name, const std::string& rel,
                     const std::string& guest, bool selected) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (selected) Error(rel);
    return;
  }
  if (S_ISDIR(st.st_mode)) return VisitDirectory(dir_fd, name, rel, guest, selected);
  if (!selected) return;
  if (!S_ISREG(st.st_mode)) {
    data_.others = SaturatingAdd(data_.others, 1);
    return Account(rel, 0);
  }
  data_.files = SaturatingAdd(data_.files, 1);
  const bool repeat = st.st_nlink > 1 && !linked_.insert({st.st_dev, st.st_ino}).second;
  const uint64_t size = repeat || st.st_size < 0 ? 0 : static_cast<uint64_t>(st.st_size);
  data_.bytes = SaturatingAdd(data_.bytes, size);
  Account(rel, size);
}

void Surveyor::VisitDirectory(int dir_fd, const std::string& name, const std::string& rel,
                              const std::string& guest, bool selected) {
  if (selected && !select_.Descends(guest)) {  // sent, but not listed
    data_.directories = SaturatingAdd(data_.directories, 1);
    return Account(rel, 0);
  }
  ScopedFd dir(
      OpenatNoAtime(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  OpResult<std::vector<std::string>> names =
      dir.valid() ? ListNames(dir.get(), rel) : OpError{errno, rel};
  if (!names.ok()) {
    if (selected) Error(rel);
    return;
  }
  if (selected) {
    data_.directories = SaturatingAdd(data_.directories, 1);
    Account(rel, 0);
  }
  PushDirectory(std::move(dir), rel, guest, std::move(names).value());
}

void Surveyor::Account(const std::string& rel, uint64_t weight) {
  weight = SaturatingAdd(weight, entry_weight_);
  data_.weight = SaturatingAdd(data_.weight, weight);
  since_ = SaturatingAdd(since_, weight);
  if (step_ == 0 || since_ < step_ || rel.empty()) return;
  data_.checkpoints.push_back(SurveyCheckpoint{rel, data_.weight, data_.files, data_.bytes});
  path_bytes_ += rel.size();
  since_ = 0;
  while (data_.checkpoints.size() > kMaxSurveyCheckpoints ||
         path_bytes_ > kMaxSurveyCheckpointPathBytes) {
    Thin();
  }
}

// Keeps the 2nd, 4th, ... checkpoint: with entries much lighter than the step they sit
// near 2, 4, ... times the old step, i.e. at multiples of the new one.
void Surveyor::Thin() {
  std::vector<SurveyCheckpoint>& all = data_.checkpoints;
  size_t kept = 0;
  path_bytes_ = 0;
  for (size_t i = 1; i < all.size(); i += 2) {
    path_bytes_ += all[i].path.size();
    all[kept++] = std::move(all[i]);
  }
  all.resize(kept);
  step_ = SaturatingAdd(step_, step_);
  since_ = all.empty() ? data_.weight : data_.weight - all.back().weight;
}

}  // namespace

OpResult<SurveyResult> Survey(const std::string& sysroot, const SurveyParams& params) {
  OpResult<std::string> start = CheckStartPath(params.path);
  if (!start.ok()) return start.error();
  OpResult<PathSelector> select = CheckSelection(params.include, params.exclude);
  if (!select.ok()) return select.error();
  Surveyor surveyor(sysroot, params, std::move(select).value());
  return surveyor.Run(start.value());
}

}  // namespace diskferry::daemon
