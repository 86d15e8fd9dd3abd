#include "daemon/deleted_files.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "daemon/tool_runner.h"

namespace diskferry::daemon {
namespace {

constexpr int64_t kNanos = 1000000000;
// fls reads every directory of the filesystem; under TCG a large one takes minutes.
constexpr std::chrono::minutes kFlsTimeout(30);
// The checking icat reads the whole file; a few GiB under TCG take minutes.
constexpr std::chrono::minutes kIcatTimeout(30);
constexpr std::string_view kDeletedSuffix = " (deleted)";
constexpr std::string_view kReallocSuffix = " (deleted-realloc)";
constexpr std::string_view kFileNameSuffix = " ($FILE_NAME)";

std::vector<std::string_view> SplitFields(std::string_view line, size_t* name_begin,
                                          size_t* name_end) {
  // The name may hold '|': MD5 is the first field, the nine after the name the last nine.
  std::vector<std::string_view> tail;
  size_t end = line.size();
  for (int k = 0; k < 9; ++k) {
    const size_t bar = line.rfind('|', end == 0 ? 0 : end - 1);
    if (bar == std::string_view::npos || end == 0) return {};
    tail.push_back(line.substr(bar + 1, end - bar - 1));
    end = bar;
  }
  const size_t first = line.find('|');
  if (first == std::string_view::npos || first >= end) return {};
  *name_begin = first + 1;
  *name_end = end;
  std::reverse(tail.begin(), tail.end());
  return tail;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// "r/rrw-r--r--": the name's type, '/', the inode's type, then ls-style permissions.
bool ParseMode(std::string_view mode, char* meta_type, uint32_t* permissions) {
  if (mode.size() != 12 || mode[1] != '/') return false;
  *meta_type = mode[2];
  uint32_t bits = 0;
  static constexpr char kLetters[] = "rwxrwxrwx";
  for (int k = 0; k < 9; ++k) {
    const char c = mode[3 + k];
    const bool exec_slot = k % 3 == 2;
    if (c == kLetters[k]) {
      bits |= 1u << (8 - k);
    } else if (exec_slot && (c == 's' || c == 't')) {
      bits |= 1u << (8 - k);
      bits |= k == 2 ? S_ISUID : k == 5 ? S_ISGID : S_ISVTX;
    } else if (exec_slot && (c == 'S' || c == 'T')) {
      bits |= k == 2 ? S_ISUID : k == 5 ? S_ISGID : S_ISVTX;
    } else if (c != '-') {
      return false;
    }
  }
  *permissions = bits;
  return true;
}

// A relative path with no empty, "." or ".." component.
bool CleanPath(std::string_view name, std::string* out) {
  while (name.starts_with('/')) name.remove_prefix(1);
  if (name.empty() || name.size() > kMaxRecordPath / 2) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view part = name.substr(start, slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = slash + 1;
  }
  *out = std::string(name);
  return true;
}

std::optional<DeletedEntry> ParseLine(std::string_view line) {
  size_t name_begin = 0, name_end = 0;
  std::vector<std::string_view> f = SplitFields(line, &name_begin, &name_end);
  if (f.size() != 9) return std::nullopt;
  std::string_view name = line.substr(name_begin, name_end - name_begin);
  DeletedEntry e;
  if (name.ends_with(kReallocSuffix)) {
    e.reallocated = true;
    name.remove_suffix(kReallocSuffix.size());
  } else if (name.ends_with(kDeletedSuffix)) {
    name.remove_suffix(kDeletedSuffix.size());
  } else {
    return std::nullopt;  // -d lists only deleted names
  }
  e.address = std::string(f[0]);
  const size_t dash = f[0].find('-');
  if (!ParseNumber(f[0].substr(0, dash), &e.ino)) return std::nullopt;
  for (char c : f[0]) {
    if (!(c == '-' || (c >= '0' && c <= '9'))) return std::nullopt;
  }
  if (!ParseMode(f[1], &e.meta_type, &e.permissions)) return std::nullopt;
  if (!ParseNumber(f[2], &e.uid) || !ParseNumber(f[3], &e.gid) || !ParseNumber(f[4], &e.size) ||
      !ParseNumber(f[5], &e.atime) || !ParseNumber(f[6], &e.mtime) ||
      !ParseNumber(f[7], &e.ctime) || !ParseNumber(f[8], &e.crtime)) {
    return std::nullopt;
  }
  // A symlink's name is followed by " -> target"; nothing of a symlink is recovered, so
  // the target is only cut off.
  if (e.meta_type == 'l') {
    if (const size_t arrow = name.find(" -> "); arrow != std::string_view::npos) {
      name = name.substr(0, arrow);
    }
  }
  if (!CleanPath(name, &e.path)) return std::nullopt;
  return e;
}

SourceEntry ErrorEntry(const DeletedEntry& d, int err, const std::string& why) {
  SourceEntry e;
  e.meta.type = RecordType::kError;
  e.meta.errno_value = err;
  e.meta.ino = d.ino;
  e.meta.size = d.size;
  e.meta.mode = d.permissions;
  e.meta.mtime_ns = d.mtime * kNanos;
  e.path = d.path;
  e.target = "/" + d.path + " (deleted, inode " + std::to_string(d.ino) + "): " + why;
  return e;
}

std::string TypeName(char meta_type) {
  switch (meta_type) {
    case 'd':
      return "a directory";
    case 'l':
      return "a symbolic link";
    case 'r':
      return "a regular file";
    case '-':
      return "of unknown type (the filesystem cleared its inode)";
    default:
      return std::string("of type '") + meta_type + "'";
  }
}

}  // namespace

FlsListing ParseFlsBody(std::string_view text) {
  FlsListing listing;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    if (line.size() > kMaxFlsLine || listing.entries.size() >= kMaxDeletedEntries) {
      ++listing.dropped;
      continue;
    }
    if (line.find(kFileNameSuffix) != std::string_view::npos) continue;
    std::optional<DeletedEntry> entry = ParseLine(line);
    if (entry) {
      listing.entries.push_back(std::move(*entry));
    } else {
      ++listing.dropped;
    }
  }
  return listing;
}

void DisambiguatePaths(std::vector<DeletedEntry>* entries) {
  std::set<std::string> parents;
  for (const DeletedEntry& e : *entries) {
    for (size_t slash = e.path.find('/'); slash != std::string::npos;
         slash = e.path.find('/', slash + 1)) {
      parents.insert(e.path.substr(0, slash));
    }
  }
  std::set<std::string> taken;
  for (DeletedEntry& e : *entries) {
    if (taken.contains(e.path) || parents.contains(e.path)) {
      const std::string base = e.path + "~" + std::to_string(e.ino);
      std::string path = base;
      for (int k = 2; taken.contains(path) || parents.contains(path); ++k) {
        path = base + "~" + std::to_string(k);
      }
      e.path = std::move(path);
    }
    taken.insert(e.path);
  }
  std::stable_sort(entries->begin(), entries->end(),
                   [](const DeletedEntry& a, const DeletedEntry& b) { return a.path < b.path; });
}

OpResult<std::string> MountedDevice(const std::string& mountinfo_path,
                                    const std::string& mount_point) {
  std::ifstream in(mountinfo_path);
  if (!in) return ErrnoError(errno, mountinfo_path);
  std::string line, found;
  bool mounted = false;
  while (std::getline(in, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
    std::istringstream fields(line);
    std::string id, parent, dev, root, point, word;
    if (!(fields >> id >> parent >> dev >> root >> point)) continue;
    if (point != mount_point) continue;
    while (fields >> word && word != "-") {
    }
    std::string fstype, source;
    fields >> fstype >> source;
    mounted = true;
    found = source;
  }
  if (!mounted) return OpError{ENOENT, "nothing is mounted at " + mount_point};
  if (!found.starts_with("/dev/")) {
    return OpError{ENODEV, "the filesystem at " + mount_point + " is not on a block device (" +
                               found + "): deleted files cannot be looked for"};
  }
  return found;
}

OpResult<std::unique_ptr<DeletedFilesReader>> DeletedFilesReader::Create(
    const std::string& device) {
  OpResult<std::string> fls = StorageToolPath("fls");
  if (!fls.ok()) return fls.error();
  OpResult<std::string> icat = StorageToolPath("icat");
  if (!icat.ok()) return icat.error();
  OpResult<ToolOutcome> run =
      RunTool({*fls, "-r", "-d", "-p", "-m", "/", device}, "", kFlsTimeout, kMaxFlsOutput);
  if (!run.ok()) return run.error();
  if (run->timed_out || run->exit_code != 0) {
    return OpError{EIO, "fls " + device + ": " + (run->timed_out ? "timed out" : LastLineOf(*run))};
  }
  FlsListing listing = ParseFlsBody(run->out);
  if (run->out.size() >= kMaxFlsOutput) ++listing.dropped;  // the rest was cut off
  DisambiguatePaths(&listing.entries);
  return std::unique_ptr<DeletedFilesReader>(
      new DeletedFilesReader(device, std::move(icat).value(), std::move(listing)));
}

DeletedFilesReader::DeletedFilesReader(std::string device, std::string icat, FlsListing listing)
    : device_(std::move(device)), icat_(std::move(icat)), listing_(std::move(listing)) {}

DeletedFilesReader::~DeletedFilesReader() {
  for (pid_t pid : children_) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void DeletedFilesReader::ReapFinished() {
  std::erase_if(children_, [](pid_t pid) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
  });
}

SourceEntry DeletedFilesReader::Recover(const DeletedEntry& d) {
  if (d.meta_type != 'r') {
    return ErrorEntry(d, EOPNOTSUPP, "not recovered: " + TypeName(d.meta_type));
  }
  if (d.reallocated) {
    return ErrorEntry(d, ESTALE, "not recoverable: the inode now belongs to another file");
  }
  if (d.size == 0) {
    return ErrorEntry(d, ENODATA,
                      "not recoverable: its size is 0 (the filesystem cleared the inode)");
  }
  // -r: TSK's recovery mode, which reads a deleted FAT file's clusters in order from its
  // first one and follows an ext2/3 inode's block pointers where they are left.
  const std::vector<std::string> argv = {icat_, "-r", device_, d.address};
  OpResult<ToolOutcome> check = RunTool(argv, "", kIcatTimeout, 4096);
  if (!check.ok()) return ErrorEntry(d, check.error().err, check.error().message);
  if (check->timed_out || check->exit_code != 0) {
    return ErrorEntry(d, EIO,
                      "not recoverable: icat: " +
                          (check->timed_out ? std::string("timed out") : LastLineOf(*check)));
  }
  OpResult<SpawnedTool> reader = SpawnToolReader(argv);
  if (!reader.ok()) return ErrorEntry(d, reader.error().err, reader.error().message);
  children_.push_back(reader->pid);
  SourceEntry e;
  e.meta.type = RecordType::kFile;
  e.meta.mode = S_IFREG | d.permissions;
  e.meta.uid = d.uid;
  e.meta.gid = d.gid;
  e.meta.size = d.size;
  e.meta.ino = d.ino;
  e.meta.atime_ns = d.atime * kNanos;
  e.meta.mtime_ns = d.mtime * kNanos;
  e.meta.ctime_ns = d.ctime * kNanos;
  e.path = d.path;
  e.fd = reader->out.release();
  return e;
}

Result<std::optional<SourceEntry>> DeletedFilesReader::Next() {
  ReapFinished();
  if (queued_.empty()) {
    if (next_ >= listing_.entries.size()) return std::optional<SourceEntry>();
    const DeletedEntry& d = listing_.entries[next_++];
    SourceEntry recovered = Recover(d);
    if (recovered.meta.type == RecordType::kError) {
      return std::optional<SourceEntry>(std::move(recovered));
    }
    for (size_t slash = d.path.find('/'); slash != std::string::npos;
         slash = d.path.find('/', slash + 1)) {
      std::string dir = d.path.substr(0, slash);
      auto at = std::lower_bound(made_dirs_.begin(), made_dirs_.end(), dir);
      if (at != made_dirs_.end() && *at == dir) continue;
      made_dirs_.insert(at, dir);
      SourceEntry e;
      e.meta.type = RecordType::kDirectory;
      e.meta.mode = S_IFDIR | 0755;
      e.meta.mtime_ns = d.mtime * kNanos;
      e.meta.atime_ns = d.atime * kNanos;
      e.path = std::move(dir);
      queued_.push_back(std::move(e));
    }
    queued_.push_back(std::move(recovered));
    std::reverse(queued_.begin(), queued_.end());
  }
  SourceEntry e = std::move(queued_.back());
  queued_.pop_back();
  return std::optional<SourceEntry>(std::move(e));
}

}  // namespace diskferry::daemon
