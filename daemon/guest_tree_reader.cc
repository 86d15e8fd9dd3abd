#include "daemon/guest_tree_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "daemon/sysroot_fs.h"
#include "daemon/xattrs.h"

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

void FillMeta(const struct stat& st, RecordMeta* m) {
  m->mode = st.st_mode;
  m->uid = st.st_uid;
  m->gid = st.st_gid;
  m->nlink = static_cast<uint32_t>(st.st_nlink);
  m->size = static_cast<uint64_t>(st.st_size);
  m->ino = st.st_ino;
  m->rdev = st.st_rdev;
  m->atime_ns = ToNs(st.st_atim);
  m->mtime_ns = ToNs(st.st_mtim);
  m->ctime_ns = ToNs(st.st_ctim);
}

std::string DropTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

OpResult<std::unique_ptr<GuestTreeReader>> GuestTreeReader::Create(
    std::string sysroot, std::vector<std::string> paths, bool xattrs) {
  if (paths.empty()) return OpError{EINVAL, "extract: no paths given"};
  for (std::string& path : paths) {
    if (OpResult<bool> valid = ValidateRequestPath(path); !valid.ok()) return valid.error();
    path = DropTrailingSlashes(std::move(path));
    const std::string_view last = std::string_view(path).substr(path.rfind('/') + 1);
    if (last == "." || last == "..") {
      return OpError{EINVAL, path + ": a start path must name an entry, not . or .."};
    }
  }
  return std::unique_ptr<GuestTreeReader>(
      new GuestTreeReader(std::move(sysroot), std::move(paths), xattrs));
}

GuestTreeReader::GuestTreeReader(std::string sysroot, std::vector<std::string> starts,
                                 bool xattrs)
    : sysroot_(std::move(sysroot)), starts_(std::move(starts)), xattrs_(xattrs) {}

Result<std::optional<SourceEntry>> GuestTreeReader::Next() {
  for (;;) {
    if (frames_.empty()) {
      if (next_start_ == starts_.size()) return std::optional<SourceEntry>();
      Result<std::optional<SourceEntry>> start = NextStart();
      if (!start.ok() || start->has_value()) return start;
      continue;
    }
    Frame& frame = frames_.back();
    if (frame.next == frame.names.size()) {
      frames_.pop_back();
      continue;
    }
    if (frame.next >= frame.prefetched) Prefetch(&frame);
    // Describe may push a frame (and move this one): take what it needs first.
    const std::string name = frame.names[frame.next++];
    const std::string shown = JoinShown(frame.shown, name);
    std::string rel = Join(frame.rel, name);
    if (rel.size() > kMaxRecordPath) {
      return std::optional<SourceEntry>(ErrorEntry(
          frame.rel, ENAMETOOLONG, shown + ": path longer than " +
                                       std::to_string(kMaxRecordPath) + " bytes, not copied"));
    }
    return std::optional<SourceEntry>(Describe(frame.dir.get(), name, rel, shown));
  }
}

// The entry for the next start path; nullopt after pushing the frame of "/" (whose
// children are the entries).
Result<std::optional<SourceEntry>> GuestTreeReader::NextStart() {
  const std::string& start = starts_[next_start_++];
  if (start == "/") {
    OpResult<int> root = OpenInSysroot(sysroot_, "/", O_RDONLY | O_DIRECTORY);
    if (!root.ok()) return Status(Code::kIoError, root.error().message);
    OpResult<Frame> frame = OpenFrame(ScopedFd(root.value()), "", "/");
    if (!frame.ok()) return Status(Code::kIoError, frame.error().message);
    frames_.push_back(std::move(frame).value());
    return std::optional<SourceEntry>();
  }
  const std::string name = start.substr(start.rfind('/') + 1);
  OpResult<EntryRef> ref = ResolveEntry(sysroot_, start);
  if (!ref.ok()) {
    return std::optional<SourceEntry>(ErrorEntry(name, ref.error().err, ref.error().message));
  }
  return std::optional<SourceEntry>(Describe(ref->dir.get(), name, name, start));
}

// Under TCG each virtio-blk request costs a guest/host round trip; reading 10 000 small
// files one after another made ~10 000 of them. POSIX_FADV_WILLNEED queues the reads
// without waiting, and the block layer merges neighbours (mkfs -d and most writers lay a
// directory's files out together). Bounded to a window of small files so a huge
// directory cannot evict its own read-ahead.
void GuestTreeReader::Prefetch(Frame* frame) {
  constexpr size_t kWindow = 512;
  constexpr off_t kSmall = 1 << 20;
  const size_t end = std::min(frame->names.size(), frame->next + kWindow);
  for (size_t i = frame->next; i < end; ++i) {
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
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoEntry(rel, errno, shown);
  }
  SourceEntry e;
  e.path = rel;
  FillMeta(st, &e.meta);
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
  ScopedFd dir(OpenatNoAtime(dir_fd, name.c_str(),
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid()) return ErrnoEntry(entry.path, errno, shown);
  OpResult<Frame> frame = OpenFrame(std::move(dir), entry.path, shown);
  if (!frame.ok()) return ErrorEntry(entry.path, frame.error().err, frame.error().message);
  frames_.push_back(std::move(frame).value());
  entry.meta.type = RecordType::kDirectory;
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
  FillMeta(st, &entry.meta);
  entry.meta.type = RecordType::kFile;
  entry.fd = fd.release();
  return entry;
}

OpResult<GuestTreeReader::Frame> GuestTreeReader::OpenFrame(ScopedFd dir, std::string rel,
                                                            std::string shown) {
  OpResult<std::vector<std::string>> names = ListNames(dir.get(), shown);
  if (!names.ok()) return names.error();
  std::sort(names->begin(), names->end());
  return Frame{std::move(dir), std::move(rel), std::move(shown), std::move(names).value(), 0};
}

}  // namespace diskferry::daemon
