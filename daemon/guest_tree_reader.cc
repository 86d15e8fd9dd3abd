#include "daemon/guest_tree_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "daemon/sysroot_fs.h"
#include "daemon/xattrs.h"
#include "protocol/time_ns.h"

namespace diskferry::daemon {
namespace {

SourceEntry ErrorEntry(std::string rel, int err, std::string message) {
  SourceEntry e;
  e.meta.type = RecordType::kError;
  e.meta.errno_value = err;
  e.path = std::move(rel);
  e.target = std::move(message);
  return e;
}

SourceEntry ErrnoEntry(std::string rel, int err, const std::string& shown) {
  return ErrorEntry(std::move(rel), err, shown + ": " + std::strerror(err));
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

std::string JoinShown(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// fstatat(AT_SYMLINK_NOFOLLOW) plus the creation time where the filesystem keeps one
// (ext4 with 256-byte inodes, xfs v5, btrfs, vfat), from one statx call: under TCG every
// system call of the walk costs, so this does not add a second one per entry. -1 with
// errno set on failure; *crtime is nullopt when the filesystem has no creation time.
int StatEntry(int dir_fd, const char* name, struct stat* st, std::optional<int64_t>* crtime) {
  struct statx sx {};
  if (::statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME,
              &sx) != 0) {
    return -1;
  }
  *st = {};
  st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  st->st_ino = sx.stx_ino;
  st->st_mode = sx.stx_mode;
  st->st_nlink = sx.stx_nlink;
  st->st_uid = sx.stx_uid;
  st->st_gid = sx.stx_gid;
  st->st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
  st->st_size = static_cast<off_t>(sx.stx_size);
  auto ts = [](const struct statx_timestamp& t) {
    return timespec{static_cast<time_t>(t.tv_sec), static_cast<long>(t.tv_nsec)};
  };
  st->st_atim = ts(sx.stx_atime);
  st->st_mtim = ts(sx.stx_mtime);
  st->st_ctim = ts(sx.stx_ctime);
  *crtime = std::nullopt;
  if (sx.stx_mask & STATX_BTIME) *crtime = TimespecToNs(ts(sx.stx_btime));
  return 0;
}

void FillMeta(const struct stat& st, std::optional<int64_t> crtime, RecordMeta* m) {
  m->mode = st.st_mode;
  m->uid = st.st_uid;
  m->gid = st.st_gid;
  m->nlink = static_cast<uint32_t>(st.st_nlink);
  m->size = static_cast<uint64_t>(st.st_size);
  m->ino = st.st_ino;
  m->rdev = st.st_rdev;
  m->atime_ns = TimespecToNs(st.st_atim);
  m->mtime_ns = TimespecToNs(st.st_mtim);
  m->ctime_ns = TimespecToNs(st.st_ctim);
  if (crtime) {
    m->flags |= kRecordHasCrtime;
    m->crtime_ns = *crtime;
  }
}

OpResult<bool> ValidateRange(const WalkRange& range, size_t paths) {
  if (range.unbounded()) return true;
  if (paths != 1) {
    return OpError{EINVAL, "extract: a range (after/until) needs exactly one start path, got " +
                               std::to_string(paths)};
  }
  auto check = [](const char* what, const std::string& bound) -> OpResult<bool> {
    if (bound.empty()) return true;
    if (Status valid = ValidateRelativePath(bound); !valid.ok()) {
      return OpError{EINVAL, std::string("extract: ") + what + ": " + valid.message()};
    }
    return true;
  };
  if (OpResult<bool> after = check("after", range.after); !after.ok()) return after;
  return check("until", range.until);
}

// Where an entry stands against a range.
enum class Place { kBefore, kOnTheWay, kIn, kPast };

Place PlaceOf(const WalkRange& range, const std::string& rel) {
  if (!range.until.empty() && CompareWalkOrder(rel, range.until) > 0) return Place::kPast;
  if (range.after.empty() || CompareWalkOrder(rel, range.after) > 0) return Place::kIn;
  return IsAncestorOrSelf(rel, range.after) ? Place::kOnTheWay : Place::kBefore;
}

}  // namespace

OpResult<std::string> CheckStartPath(std::string path) {
  if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::string_view last = std::string_view(path).substr(path.rfind('/') + 1);
  if (last == "." || last == "..") {
    return OpError{EINVAL, path + ": a start path must name an entry, not . or .."};
  }
  return path;
}

OpResult<PathSelector> CheckSelection(const std::vector<std::string>& include,
                                      const std::vector<std::string>& exclude) {
  Result<PathSelector> select = PathSelector::Create(include, exclude);
  if (!select.ok()) return OpError{EINVAL, "select: " + select.status().message()};
  return std::move(select).value();
}

WalkVisit VisitOf(const PathSelector& select, std::string_view guest_path) {
  if (select.SelectsEverything() || select.Selects(guest_path)) return WalkVisit::kSelected;
  return select.Descends(guest_path) ? WalkVisit::kDescendOnly : WalkVisit::kSkip;
}

OpResult<std::unique_ptr<GuestTreeReader>> GuestTreeReader::Create(std::string sysroot,
                                                                   std::vector<std::string> paths,
                                                                   bool xattrs, WalkRange range,
                                                                   PathSelector select) {
  if (paths.empty()) return OpError{EINVAL, "extract: no paths given"};
  for (std::string& path : paths) {
    OpResult<std::string> checked = CheckStartPath(std::move(path));
    if (!checked.ok()) return checked.error();
    path = std::move(checked).value();
  }
  if (OpResult<bool> valid = ValidateRange(range, paths.size()); !valid.ok()) {
    return valid.error();
  }
  return std::unique_ptr<GuestTreeReader>(new GuestTreeReader(
      std::move(sysroot), std::move(paths), xattrs, std::move(range), std::move(select)));
}

GuestTreeReader::GuestTreeReader(std::string sysroot, std::vector<std::string> starts, bool xattrs,
                                 WalkRange range, PathSelector select)
    : sysroot_(std::move(sysroot)),
      starts_(std::move(starts)),
      xattrs_(xattrs),
      range_(std::move(range)),
      select_(std::move(select)) {}

Result<std::optional<SourceEntry>> GuestTreeReader::Next() {
  for (;;) {
    if (frames_.empty()) {
      if (next_start_ == starts_.size()) return std::optional<SourceEntry>();
      Result<std::optional<SourceEntry>> start = NextStart();
      if (!start.ok() || start->has_value()) return start;
      continue;
    }
    Frame& frame = frames_.back();
    if (frame.next == frame.limit) {
      if (frame.limit < frame.names.size()) {
        EndWalk();  // the rest of this directory, and everything after it, is past `until`
      } else {
        frames_.pop_back();
      }
      continue;
    }
    const bool on_the_way = frame.next < frame.first_in;
    if (!on_the_way && frame.next >= frame.prefetched) Prefetch(&frame);
    // Describe may push a frame (and move this one): take what it needs first.
    const bool selected = frame.selected[frame.next];
    const std::string name = frame.names[frame.next++];
    const std::string shown = JoinShown(frame.shown, name);
    std::string rel = Join(frame.rel, name);
    if (on_the_way) {
      std::optional<SourceEntry> entry = DescribeOnTheWay(frame.dir.get(), name, rel, shown);
      if (entry) return entry;
      continue;
    }
    if (rel.size() > kMaxRecordPath) {
      if (!selected) continue;  // what lies below it would be too long as well
      return std::optional<SourceEntry>(ErrorEntry(
          frame.rel, ENAMETOOLONG, shown + ": path longer than " +
                                       std::to_string(kMaxRecordPath) + " bytes, not copied"));
    }
    if (!selected) {
      std::optional<SourceEntry> entry = DescribeUnselected(frame.dir.get(), name, rel, shown);
      if (entry) return entry;
      continue;
    }
    return std::optional<SourceEntry>(Describe(frame.dir.get(), name, rel, shown));
  }
}

// The entry for the next start path; nullopt after pushing the frame of "/" (whose
// children are the entries), or when the start itself is outside the range.
Result<std::optional<SourceEntry>> GuestTreeReader::NextStart() {
  const std::string& start = starts_[next_start_++];
  if (start == "/") {
    if (!select_.Descends("/")) return std::optional<SourceEntry>();
    OpResult<int> root = OpenInSysroot(sysroot_, "/", O_RDONLY | O_DIRECTORY);
    if (!root.ok()) return Status(Code::kIoError, root.error().message);
    OpResult<Frame> frame = OpenFrame(ScopedFd(root.value()), "", "/");
    if (!frame.ok()) return Status(Code::kIoError, frame.error().message);
    frames_.push_back(std::move(frame).value());
    return std::optional<SourceEntry>();
  }
  const std::string name = start.substr(start.rfind('/') + 1);
  const Place place = PlaceOf(range_, name);
  if (place == Place::kBefore || place == Place::kPast) return std::optional<SourceEntry>();
  const WalkVisit visit = VisitOf(select_, start);
  if (visit == WalkVisit::kSkip) return std::optional<SourceEntry>();
  OpResult<EntryRef> ref = ResolveEntry(sysroot_, start);
  if (!ref.ok()) {
    if (place == Place::kOnTheWay && name == range_.after) return std::optional<SourceEntry>();
    if (visit == WalkVisit::kDescendOnly) return std::optional<SourceEntry>();
    return std::optional<SourceEntry>(ErrorEntry(name, ref.error().err, ref.error().message));
  }
  if (place == Place::kOnTheWay) return DescribeOnTheWay(ref->dir.get(), name, name, start);
  if (visit == WalkVisit::kDescendOnly) {
    return DescribeUnselected(ref->dir.get(), name, name, start);
  }
  return std::optional<SourceEntry>(Describe(ref->dir.get(), name, name, start));
}

void GuestTreeReader::EndWalk() {
  frames_.clear();
  next_start_ = starts_.size();
}

// Names are sorted bytewise, which is the walk order of siblings, so both bounds are
// partition points. Only the last name <= after can be on the way to it: every later
// sibling of an ancestor-or-self of `after` is past all of that ancestor's subtree.
void GuestTreeReader::PlaceInRange(Frame* frame) const {
  const std::vector<std::string>& names = frame->names;
  auto at_most = [&](const std::string& bound) {
    return [&](const std::string& name) {
      return CompareWalkOrder(Join(frame->rel, name), bound) <= 0;
    };
  };
  frame->limit = range_.until.empty()
                     ? names.size()
                     : static_cast<size_t>(
                           std::partition_point(names.begin(), names.end(), at_most(range_.until)) -
                           names.begin());
  if (range_.after.empty()) return;
  frame->first_in = static_cast<size_t>(
      std::partition_point(names.begin(), names.end(), at_most(range_.after)) - names.begin());
  frame->first_in = std::min(frame->first_in, frame->limit);
  frame->next = frame->first_in;
  if (frame->first_in > 0 &&
      IsAncestorOrSelf(Join(frame->rel, names[frame->first_in - 1]), range_.after)) {
    frame->next = frame->first_in - 1;
  }
}

// Under TCG each virtio-blk request costs a guest/host round trip; reading 10 000 small
// files one after another made ~10 000 of them. POSIX_FADV_WILLNEED queues the reads
// without waiting, and the block layer merges neighbours (mkfs -d and most writers lay a
// directory's files out together). Bounded to a window of small files so a huge
// directory cannot evict its own read-ahead.
void GuestTreeReader::Prefetch(Frame* frame) {
  constexpr size_t kWindow = 512;
  constexpr off_t kSmall = 1 << 20;
  const size_t end = std::min(frame->limit, frame->next + kWindow);
  for (size_t i = frame->next; i < end; ++i) {
    if (!frame->selected[i]) continue;
    const int fd = ::openat(frame->dir.get(), frame->names[i].c_str(),
                            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME);
    if (fd < 0) continue;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= kSmall) {
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
    }
    ::close(fd);
  }
  frame->prefetched = end;
}

SourceEntry GuestTreeReader::Describe(int dir_fd, const std::string& name,
                                      const std::string& rel, const std::string& shown) {
  struct stat st {};
  std::optional<int64_t> crtime;
  if (StatEntry(dir_fd, name.c_str(), &st, &crtime) != 0) return ErrnoEntry(rel, errno, shown);
  return DescribeStat(dir_fd, name, rel, shown, st, crtime);
}

std::optional<SourceEntry> GuestTreeReader::DescribeOnTheWay(int dir_fd, const std::string& name,
                                                             const std::string& rel,
                                                             const std::string& shown) {
  const bool is_after = rel == range_.after;
  struct stat st {};
  std::optional<int64_t> crtime;
  if (StatEntry(dir_fd, name.c_str(), &st, &crtime) != 0) {
    if (is_after) return std::nullopt;
    return ErrnoEntry(rel, errno, shown);
  }
  if (!S_ISDIR(st.st_mode)) return std::nullopt;
  SourceEntry e = DescribeStat(dir_fd, name, rel, shown, st, crtime);
  if (is_after && e.meta.type == RecordType::kError) return std::nullopt;
  return e;
}

std::optional<SourceEntry> GuestTreeReader::DescribeUnselected(int dir_fd, const std::string& name,
                                                               const std::string& rel,
                                                               const std::string& shown) {
  struct stat st {};
  std::optional<int64_t> crtime;
  if (StatEntry(dir_fd, name.c_str(), &st, &crtime) != 0 || !S_ISDIR(st.st_mode)) {
    return std::nullopt;
  }
  return DescribeStat(dir_fd, name, rel, shown, st, crtime);
}

SourceEntry GuestTreeReader::DescribeStat(int dir_fd, const std::string& name,
                                          const std::string& rel, const std::string& shown,
                                          const struct stat& st, std::optional<int64_t> crtime) {
  SourceEntry e;
  e.path = rel;
  FillMeta(st, crtime, &e.meta);
  const bool linkable = !S_ISDIR(st.st_mode) && st.st_nlink > 1;
  if (linkable) {
    if (auto it = first_paths_.find({st.st_dev, st.st_ino}); it != first_paths_.end()) {
      e.meta.type = RecordType::kHardlink;
      e.target = it->second;
      return e;
    }
  }
  if (xattrs_) {
    OpResult<XattrList> xattrs = ReadAllXattrs(dir_fd, name, shown);
    if (!xattrs.ok()) return ErrorEntry(rel, xattrs.error().err, xattrs.error().message);
    e.xattrs = EncodeXattrs(xattrs.value());
  }
  if (S_ISDIR(st.st_mode)) return DescribeDirectory(dir_fd, name, std::move(e), shown);
  if (S_ISREG(st.st_mode)) {
    e = DescribeFile(dir_fd, name, std::move(e), shown);
  } else if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    const ssize_t n = ::readlinkat(dir_fd, name.c_str(), target, sizeof target);
    if (n < 0) return ErrnoEntry(rel, errno, shown);
    e.meta.type = RecordType::kSymlink;
    e.target.assign(target, static_cast<size_t>(n));
  } else {
    e.meta.type = RecordType::kSpecial;
  }
  // Only once the first path was really sent may later links point at it.
  if (linkable && e.meta.type != RecordType::kError) first_paths_[{st.st_dev, st.st_ino}] = rel;
  return e;
}

SourceEntry GuestTreeReader::DescribeDirectory(int dir_fd, const std::string& name,
                                               SourceEntry entry, const std::string& shown) {
  entry.meta.type = RecordType::kDirectory;
  // Its children all come after `until`: listing a huge directory for nothing is avoided.
  if (!range_.until.empty() && entry.path == range_.until) return entry;
  if (!select_.Descends(shown)) return entry;  // nothing below it can be selected
  ScopedFd dir(OpenatNoAtime(dir_fd, name.c_str(),
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) return ErrnoEntry(entry.path, errno, shown);
  OpResult<Frame> frame = OpenFrame(std::move(dir), entry.path, shown);
  if (!frame.ok()) return ErrorEntry(entry.path, frame.error().err, frame.error().message);
  frames_.push_back(std::move(frame).value());
  return entry;
}

SourceEntry GuestTreeReader::DescribeFile(int dir_fd, const std::string& name,
                                          SourceEntry entry, const std::string& shown) {
  // O_NONBLOCK and O_NOFOLLOW: if the entry was swapped for a fifo or a symlink since the
  // fstatat, the open neither hangs nor leaves the directory.
  ScopedFd fd(OpenatNoAtime(dir_fd, name.c_str(),
                            O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoEntry(entry.path, errno, shown);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoEntry(entry.path, errno, shown);
  if (!S_ISREG(st.st_mode) || st.st_ino != entry.meta.ino) {
    return ErrorEntry(entry.path, EAGAIN, shown + ": replaced while being read");
  }
  FillMeta(st, std::nullopt, &entry.meta);  // the same inode: its creation time stands
  entry.meta.type = RecordType::kFile;
  entry.fd = fd.release();
  return entry;
}

OpResult<GuestTreeReader::Frame> GuestTreeReader::OpenFrame(ScopedFd dir, std::string rel,
                                                            std::string shown) {
  OpResult<std::vector<std::string>> names = ListNames(dir.get(), shown);
  if (!names.ok()) return names.error();
  std::sort(names->begin(), names->end());
  Frame frame{std::move(dir), std::move(rel), std::move(shown)};
  const bool all = select_.SelectsEverything();  // then no guest path is built per name
  for (std::string& name : names.value()) {
    const WalkVisit visit =
        all ? WalkVisit::kSelected : VisitOf(select_, JoinShown(frame.shown, name));
    if (visit == WalkVisit::kSkip) continue;
    frame.names.push_back(std::move(name));
    frame.selected.push_back(visit == WalkVisit::kSelected);
  }
  PlaceInRange(&frame);
  return frame;
}

}  // namespace diskferry::daemon
