#include "tests/sinks/tree_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "protocol/time_ns.h"
#include "sinks/host_metadata.h"

namespace diskferry::testing {
namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::string tmpl = ::testing::TempDir() + "df_pipeline_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  // Make every directory writable before removing (tests lock some); never follows links.
  chmod(path_.c_str(), 0700);
  for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) chmod(it->path().c_str(), 0700);
  }
  fs::remove_all(path_, ec);
}

void WriteFile(const std::string& path, std::string_view content, mode_t mode) {
  const int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  fchmod(fd, mode);
  close(fd);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

void SetTimes(const std::string& path, int64_t atime_ns, int64_t mtime_ns) {
  const timespec times[2] = {NsToTimespec(atime_ns), NsToTimespec(mtime_ns)};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

namespace {

Record Make(RecordType type, std::string_view path, uint32_t mode) {
  Record r;
  r.meta.type = type;
  r.meta.mode = mode;
  r.meta.uid = geteuid();
  r.meta.gid = getegid();
  r.meta.nlink = 1;
  r.meta.atime_ns = 1600000000123456789;
  r.meta.mtime_ns = 1500000000987654321;
  r.path = path;
  return r;
}

}  // namespace

Record FileRecord(std::string_view path, std::string_view data, uint32_t mode) {
  Record r = Make(RecordType::kFile, path, mode);
  r.meta.size = data.size();
  r.data = Bytes(data);
  return r;
}

Record DirRecord(std::string_view path, uint32_t mode) {
  return Make(RecordType::kDirectory, path, mode);
}

Record SymlinkRecord(std::string_view path, std::string_view target) {
  Record r = Make(RecordType::kSymlink, path, 0120777);
  r.target = target;
  r.meta.size = target.size();
  return r;
}

Record HardlinkRecord(std::string_view path, std::string_view target) {
  Record r = Make(RecordType::kHardlink, path, 0100644);
  r.target = target;
  return r;
}

Record SpecialRecord(std::string_view path, uint32_t mode, uint64_t rdev) {
  Record r = Make(RecordType::kSpecial, path, mode);
  r.meta.rdev = rdev;
  return r;
}

Record StreamRecord(std::string_view path, uint64_t file_id, uint64_t size) {
  Record r = Make(RecordType::kStreamFile, path, 0100644);
  r.meta.file_id = file_id;
  r.meta.size = size;
  return r;
}

Record ErrorRecord(std::string_view path, int err, std::string_view message) {
  Record r = Make(RecordType::kError, path, 0);
  r.meta.errno_value = err;
  r.target = message;
  return r;
}

namespace {

int64_t Ns(const timespec& ts) { return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec; }

std::vector<std::pair<std::string, std::string>> UserXattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  char names[4096];
  const ssize_t n = llistxattr(path.c_str(), names, sizeof names);
  for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(strlen(names + i)) + 1) {
    const std::string name = names + i;
    if (name.rfind("user.", 0) != 0) continue;
    char value[4096];
    const ssize_t len = lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
    if (len >= 0) out.emplace_back(name, std::string(value, static_cast<size_t>(len)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void SnapshotInto(const std::string& root, const std::string& rel, TreeSnapshot* out,
                  std::map<std::pair<dev_t, ino_t>, std::string>* inodes) {
  const std::string host = root + "/" + rel;
  struct stat st;
  if (lstat(host.c_str(), &st) != 0) return;
  EntryInfo& e = (*out)[rel];
  e.mode = st.st_mode;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.size = static_cast<uint64_t>(st.st_size);
  e.blocks = static_cast<uint64_t>(st.st_blocks);
  e.atime_ns = Ns(st.st_atim);
  e.mtime_ns = Ns(st.st_mtim);
  e.rdev = st.st_rdev;
  e.link_group = inodes->emplace(std::make_pair(st.st_dev, st.st_ino), rel).first->second;
  e.xattrs = UserXattrs(host);
  if (S_ISREG(st.st_mode)) e.content = ReadFile(host);
  if (S_ISLNK(st.st_mode)) {
    char target[8192];
    const ssize_t n = readlink(host.c_str(), target, sizeof target);
    if (n >= 0) e.content.assign(target, static_cast<size_t>(n));
  }
  if (S_ISDIR(st.st_mode)) {
    for (const std::string& name : ListDir(host)) SnapshotInto(root, rel + "/" + name, out, inodes);
  }
}

}  // namespace

TreeSnapshot Snapshot(const std::string& root) {
  TreeSnapshot out;
  std::map<std::pair<dev_t, ino_t>, std::string> inodes;
  for (const std::string& name : ListDir(root)) SnapshotInto(root, name, &out, &inodes);
  return out;
}

namespace {

// The socket-lane sender side of PackByHand.
class HandPacker {
 public:
  HandPacker(LaneUnpacker* unpacker, uint64_t threshold, size_t batch_size, size_t chunk_size)
      : unpacker_(unpacker), threshold_(threshold), batch_(batch_size), chunk_size_(chunk_size) {}

  Status Add(SourceEntry entry) {
    const bool stream = entry.meta.type == RecordType::kFile && entry.meta.size > threshold_;
    std::string data;
    if (entry.meta.type == RecordType::kFile && !stream) {
      data.resize(entry.meta.size);
      if (pread(entry.fd, data.data(), data.size(), 0) != static_cast<ssize_t>(data.size())) {
        return Status(Code::kIoError, "short read of " + entry.path);
      }
    }
    if (stream) {
      entry.meta.type = RecordType::kStreamFile;
      entry.meta.file_id = next_id_++;
    }
    if (Status st = Append(entry, data); !st.ok()) return st;
    Status st = stream ? SendStream(entry) : Status::Ok();
    if (entry.fd >= 0) close(entry.fd);
    return st;
  }

  Status Flush() {
    if (writer_.count() == 0) return Status::Ok();
    BufferDesc d;
    d.lane = proto::Lane::Batch;
    d.length = writer_.used();
    d.records = writer_.count();
    Status st = unpacker_->Apply(d, std::span<const uint8_t>(batch_.data(), writer_.used()));
    writer_.Reset();
    return st;
  }

 private:
  Status Append(const SourceEntry& e, const std::string& data) {
    if (!writer_.Append(e.meta, e.path, e.target, e.xattrs, Bytes(data))) {
      if (Status st = Flush(); !st.ok()) return st;
      if (!writer_.Append(e.meta, e.path, e.target, e.xattrs, Bytes(data))) {
        return Status(Code::kInternal, e.path + " does not fit an empty batch");
      }
    }
    return e.meta.type == RecordType::kStreamFile ? Flush() : Status::Ok();
  }

  Status SendStream(const SourceEntry& e) {
    off_t pos = 0;
    for (;;) {
      const off_t data = lseek(e.fd, pos, SEEK_DATA);
      if (data < 0) break;  // ENXIO: only a hole is left
      const off_t hole = lseek(e.fd, data, SEEK_HOLE);
      for (off_t off = data; off < hole; off += static_cast<off_t>(chunk_size_)) {
        std::vector<uint8_t> chunk(std::min<uint64_t>(chunk_size_, hole - off));
        if (pread(e.fd, chunk.data(), chunk.size(), off) != static_cast<ssize_t>(chunk.size())) {
          return Status(Code::kIoError, "short read of " + e.path);
        }
        if (Status st = Chunk(e.meta.file_id, off, chunk, false); !st.ok()) return st;
      }
      pos = hole;
    }
    return Chunk(e.meta.file_id, static_cast<uint64_t>(e.meta.size), {}, true);
  }

  Status Chunk(uint64_t id, uint64_t offset, std::span<const uint8_t> bytes, bool eof) {
    BufferDesc d;
    d.lane = proto::Lane::Stream;
    d.file_id = id;
    d.offset = offset;
    d.length = bytes.size();
    d.eof = eof;
    return unpacker_->Apply(d, bytes);
  }

  LaneUnpacker* unpacker_;
  uint64_t threshold_;
  std::vector<uint8_t> batch_;
  RecordWriter writer_{batch_};
  size_t chunk_size_;
  uint64_t next_id_ = 1;
};

}  // namespace

Status PackByHand(TreeSource* source, LaneUnpacker* unpacker, uint64_t stream_threshold,
                  size_t batch_size, size_t chunk_size) {
  HandPacker packer(unpacker, stream_threshold, batch_size, chunk_size);
  for (;;) {
    Result<std::optional<SourceEntry>> next = source->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    if (Status st = packer.Add(std::move(**next)); !st.ok()) return st;
  }
  if (Status st = packer.Flush(); !st.ok()) return st;
  return unpacker->Finish();
}

int RunUnprivileged(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                           setresuid(65534, 65534, 65534) != 0)) {
      _exit(125);
    }
    _exit(body());
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace diskferry::testing
