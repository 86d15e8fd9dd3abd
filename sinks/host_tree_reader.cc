// The POSIX half of host_tree_reader.h: fstatat, openat and readdir relative to each
// directory's descriptor, never following a symlink.
#include "sinks/host_tree_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "protocol/time_ns.h"
#include "sinks/host_tree_walk.h"
#include "sinks/unique_fd.h"

namespace diskferry {
namespace {

RecordMeta MetaFromStat(const struct stat& st) {
  RecordMeta m;
  m.mode = st.st_mode;
  m.uid = st.st_uid;
  m.gid = st.st_gid;
  m.nlink = static_cast<uint32_t>(st.st_nlink);
  m.size = static_cast<uint64_t>(st.st_size);
  m.ino = st.st_ino;
  m.rdev = st.st_rdev;
  m.atime_ns = TimespecToNs(st.st_atim);
  m.mtime_ns = TimespecToNs(st.st_mtim);
  m.ctime_ns = TimespecToNs(st.st_ctim);
  return m;
}

void MakeError(SourceEntry* entry, int err, const std::string& what) {
  entry->meta.type = RecordType::kError;
  entry->meta.errno_value = err;
  entry->target = what + ": " + std::strerror(err);
  entry->xattrs.clear();
  if (entry->fd >= 0) close(entry->fd);
  entry->fd = -1;
}

// The names in directory `fd` (not consumed), without "." and "..", in byte order.
// Returns 0 or an errno.
int ListDir(int fd, std::vector<std::string>* names) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return errno;
  DIR* d = fdopendir(copy);
  if (d == nullptr) {
    const int err = errno;
    close(copy);
    return err;
  }
  errno = 0;
  while (const dirent* e = readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names->emplace_back(name);
    errno = 0;
  }
  const int err = errno;
  closedir(d);
  std::sort(names->begin(), names->end());
  return err;
}

int ReadLink(int dir, const std::string& name, size_t size_hint, std::string* target) {
  std::string buf(std::max<size_t>(size_hint, 64) + 1, '\0');
  for (;;) {
    const ssize_t n = readlinkat(dir, name.c_str(), buf.data(), buf.size());
    if (n < 0) return errno;
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(static_cast<size_t>(n));
      *target = std::move(buf);
      return 0;
    }
    if (buf.size() > PATH_MAX * 4) return ENAMETOOLONG;
    buf.resize(buf.size() * 2);  // the link grew since lstat
  }
}

// Names from a NUL-separated llistxattr buffer.
std::vector<std::string> SplitNames(const std::vector<char>& list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start < list.size()) {
    const size_t len = strnlen(list.data() + start, list.size() - start);
    if (len > 0) names.emplace_back(list.data() + start, len);
    start += len + 1;
  }
  return names;
}

// Returns 0 or an errno (ERANGE when the value changed size between the two calls).
int GetXattr(const std::string& path, const std::string& name, std::string* value) {
  const ssize_t len = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
  if (len < 0) return errno;
  value->assign(static_cast<size_t>(len), '\0');
  if (len == 0) return 0;
  const ssize_t got = lgetxattr(path.c_str(), name.c_str(), value->data(), value->size());
  if (got < 0) return errno;
  return got == len ? 0 : ERANGE;
}

// The entry name of a source: its last component ("a/b/" -> "b"); "." and ".." by their
// real names. Empty for "/".
Result<std::string> SourceName(const std::string& source) {
  std::string path = source;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  std::string name = path.substr(path.rfind('/') + 1);
  if (name == "." || name == ".." || name.empty()) {
    char* real = realpath(path.empty() ? "." : path.c_str(), nullptr);
    if (real == nullptr) return ErrnoStatus(errno, source);
    const std::string resolved = real;
    free(real);
    name = resolved.substr(resolved.rfind('/') + 1);
  }
  if (name.empty()) {
    return Status(Code::kInvalidArgument, source +
                                              ": the root directory has no name to copy it "
                                              "under; copy its entries instead");
  }
  return name;
}

}  // namespace

struct HostTreeReader::Impl {
  using Source = HostWalkSource;
  using Frame = HostWalkFrame<UniqueFd>;

  Result<std::optional<SourceEntry>> Next();
  // `name` in directory `dir` (AT_FDCWD and the source path for a source).
  std::optional<SourceEntry> Visit(int dir, const std::string& name, const std::string& rel);
  void FillByType(int dir, const std::string& name, SourceEntry* entry);
  void OpenEntry(int dir, const std::string& name, SourceEntry* entry);
  void ReadXattrs(int dir, const std::string& name, SourceEntry* entry);

  HostReaderOptions options;
  std::vector<Source> sources;
  size_t next_source = 0;
  std::vector<Frame> stack;
  // First path of each non-directory with more than one link, by (st_dev, st_ino).
  std::map<std::pair<uint64_t, uint64_t>, std::string> links;
  CappedList<FileProblem> problems;
};

Result<std::unique_ptr<HostTreeReader>> HostTreeReader::Open(std::vector<std::string> sources,
                                                             const HostReaderOptions& options) {
  Result<std::vector<HostWalkSource>> named = NameHostSources(
      std::move(sources),
      [](const std::string& source) {
        struct stat st;
        return lstat(source.c_str(), &st) == 0 ? Status::Ok() : ErrnoStatus(errno, source);
      },
      SourceName);
  if (!named.ok()) return named.status();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->sources = std::move(*named);
  return std::unique_ptr<HostTreeReader>(new HostTreeReader(std::move(impl)));
}

HostTreeReader::HostTreeReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostTreeReader::~HostTreeReader() = default;

Result<std::optional<SourceEntry>> HostTreeReader::Next() { return impl_->Next(); }
const CappedList<FileProblem>& HostTreeReader::problems() const { return impl_->problems; }

Result<std::optional<SourceEntry>> HostTreeReader::Impl::Next() {
  return NextHostWalkEntry(&stack, sources, &next_source, AT_FDCWD, &problems,
                           [this](int dir, const std::string& name, const std::string& rel) {
                             return Visit(dir, name, rel);
                           });
}

std::optional<SourceEntry> HostTreeReader::Impl::Visit(int dir, const std::string& name,
                                                       const std::string& rel) {
  SourceEntry entry;
  entry.path = rel;
  struct stat st;
  if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    MakeError(&entry, errno, "lstat");
    return entry;
  }
  entry.meta = MetaFromStat(st);
  const std::pair<uint64_t, uint64_t> key{st.st_dev, st.st_ino};
  const bool linked = !S_ISDIR(st.st_mode) && st.st_nlink > 1;
  if (linked) {
    if (auto it = links.find(key); it != links.end()) {
      entry.meta.type = RecordType::kHardlink;
      entry.target = it->second;
      return entry;
    }
  }
  FillByType(dir, name, &entry);
  if (entry.meta.type == RecordType::kError) return entry;
  if (linked) links.emplace(key, rel);
  if (options.xattrs) ReadXattrs(dir, name, &entry);
  return entry;
}

void HostTreeReader::Impl::FillByType(int dir, const std::string& name, SourceEntry* entry) {
  switch (entry->meta.mode & S_IFMT) {
    case S_IFDIR:
      entry->meta.type = RecordType::kDirectory;
      return OpenEntry(dir, name, entry);
    case S_IFREG:
      entry->meta.type = RecordType::kFile;
      return OpenEntry(dir, name, entry);
    case S_IFLNK:
      entry->meta.type = RecordType::kSymlink;
      if (int err = ReadLink(dir, name, entry->meta.size, &entry->target); err != 0) {
        MakeError(entry, err, "readlink");
      }
      return;
    default:
      entry->meta.type = RecordType::kSpecial;
  }
}

// A regular file keeps its descriptor in the entry; a directory's is kept in a new Frame
// for visiting its children. Either must still be what lstat saw.
void HostTreeReader::Impl::OpenEntry(int dir, const std::string& name, SourceEntry* entry) {
  const bool is_dir = entry->meta.type == RecordType::kDirectory;
  const int flags = is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NOCTTY;
  UniqueFd fd(openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0) return MakeError(entry, errno, "open");
  if ((st.st_mode & S_IFMT) != (entry->meta.mode & S_IFMT) || st.st_ino != entry->meta.ino) {
    return MakeError(entry, EAGAIN, "replaced while being walked");
  }
  if (!is_dir) {
    entry->meta = MetaFromStat(st);
    entry->meta.type = RecordType::kFile;
    entry->fd = fd.release();
    return;
  }
  Frame frame{std::move(fd), entry->path, {}, 0};
  if (int err = ListDir(frame.dir.get(), &frame.names); err != 0) {
    return MakeError(entry, err, "read directory");
  }
  stack.push_back(std::move(frame));
}

void HostTreeReader::Impl::ReadXattrs(int dir, const std::string& name, SourceEntry* entry) {
  // The *xattr calls take paths: name the entry through its directory's descriptor.
  const std::string host =
      dir == AT_FDCWD ? name : "/proc/self/fd/" + std::to_string(dir) + "/" + name;
  const ssize_t size = llistxattr(host.c_str(), nullptr, 0);
  if (size < 0 && (errno == ENOTSUP || errno == ENODATA)) return;
  std::vector<char> list(size > 0 ? static_cast<size_t>(size) : 0);
  const ssize_t got = size > 0 ? llistxattr(host.c_str(), list.data(), list.size()) : size;
  if (got != size || size < 0) {
    const int err = got < 0 ? errno : ERANGE;  // ERANGE: the list changed between the calls
    problems.Add({entry->path, std::string("xattrs not read: ") + std::strerror(err)});
    return;
  }
  std::vector<std::pair<std::string, std::string>> xattrs;
  for (std::string& key : SplitNames(list)) {
    std::string value;
    if (int err = GetXattr(host, key, &value); err != 0) {
      problems.Add({entry->path, "xattr " + key + " not read: " + std::strerror(err)});
      continue;
    }
    xattrs.emplace_back(std::move(key), std::move(value));
  }
  entry->xattrs = EncodeXattrs(xattrs);
}

}  // namespace diskferry
