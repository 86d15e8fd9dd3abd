// Stream files (created and sized on their record, filled by OnStreamData, finished by
// OnStreamEnd) and Finish.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "pipeline/host_tree_writer_impl.h"

namespace diskferry {
namespace {

int PwriteAll(int fd, std::span<const uint8_t> data, uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

size_t Depth(const std::string& path) { return std::count(path.begin(), path.end(), '/'); }

}  // namespace

Status HostTreeWriter::Impl::CheckNewStream(const Record& r) const {
  const uint64_t id = r.meta.file_id;
  if (streams.contains(id) || ended_streams.contains(id)) {
    return Status(Code::kProtocolError, "stream file " + QuotedPath(r.path) + ": file_id " +
                                            std::to_string(id) + " already used");
  }
  return Status::Ok();
}

// Registers the stream file even when it cannot be created, so that its data is dropped
// quietly instead of failing the transfer as an unknown file_id. `parent` is null when
// its parent could not be opened (errno `parent_err`).
Status HostTreeWriter::Impl::BeginStream(const Record& r, BeneathDir::Parent* parent,
                                         int parent_err, XattrList xattrs) {
  StreamFile& file = streams[r.meta.file_id];
  file.path = std::string(r.path);
  file.meta = r.meta;
  file.xattrs = std::move(xattrs);
  file.failed = true;
  ++stats.files;
  if (parent == nullptr) return Settle(r.path, ParentProblem(parent_err), parent_err);
  Room room;
  if (int err = MakeRoom(parent->dir.get(), parent->name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  return CreateStream(*parent, r.meta.file_id, &file);
}

Status HostTreeWriter::Impl::CreateStream(const BeneathDir::Parent& parent, uint64_t id,
                                          StreamFile* file) {
  const std::string sized = "not sized to " + std::to_string(file->meta.size);
  if (file->meta.size > static_cast<uint64_t>(INT64_MAX)) return Settle(file->path, sized, EFBIG);
  UniqueFd fd(openat(parent.dir.get(), parent.name.c_str(),
                     O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Settle(file->path, "not created", errno);
  // Sizing first leaves every range the sender skips as a hole.
  struct stat st;
  if (ftruncate(fd.get(), static_cast<off_t>(file->meta.size)) != 0 || fstat(fd.get(), &st) != 0) {
    return Settle(file->path, sized, errno);
  }
  file->dev = st.st_dev;
  file->ino = st.st_ino;
  file->failed = false;
  KeepOpen(id, file, std::move(fd));
  return Status::Ok();
}

Result<HostTreeWriter::Impl::StreamFile*> HostTreeWriter::Impl::FindStream(uint64_t id,
                                                                           const char* what) {
  if (state == State::kFinished) {
    return Status(Code::kFailedPrecondition, std::string(what) + " after the transfer finished");
  }
  auto it = streams.find(id);
  if (it != streams.end()) return &it->second;
  const char* why = ended_streams.contains(id) ? " after its end" : " for an unannounced file";
  return Status(Code::kProtocolError,
                std::string(what) + " of file_id " + std::to_string(id) + why);
}

Status HostTreeWriter::Impl::FailStream(StreamFile* file, const std::string& what, int err) {
  CloseStream(file);
  file->failed = true;
  return Settle(file->path, what, err);
}

// Takes `fd` as the open descriptor of `file`, closing the least recently used other one
// when kMaxOpenStreams are open (Reopen brings it back when its data comes).
void HostTreeWriter::Impl::KeepOpen(uint64_t id, StreamFile* file, UniqueFd fd) {
  if (open_order.size() >= kMaxOpenStreams) CloseStream(&streams.at(open_order.front()));
  file->fd = std::move(fd);
  file->open_pos = open_order.insert(open_order.end(), id);
}

void HostTreeWriter::Impl::CloseStream(StreamFile* file) {
  if (!file->fd.valid()) return;
  file->fd.reset();
  open_order.erase(file->open_pos);
}

// Opens an evicted stream file again, safely, and only if it is still the file we made.
// On failure the file is marked failed and the result says whether to stop the transfer.
Status HostTreeWriter::Impl::Reopen(uint64_t id, StreamFile* file) {
  BeneathDir::Parent parent;
  if (int err = dest.OpenParent(file->path, &parent); err != 0) {
    return FailStream(file, "reopen: parent directory", err);
  }
  UniqueFd fd(openat(parent.dir.get(), parent.name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0) return FailStream(file, "reopen", errno);
  if (st.st_dev != file->dev || st.st_ino != file->ino) {
    return FailStream(file, "replaced by a later record before its data arrived", EEXIST);
  }
  KeepOpen(id, file, std::move(fd));
  return Status::Ok();
}

Status HostTreeWriter::Impl::StreamData(uint64_t id, uint64_t offset,
                                        std::span<const uint8_t> data) {
  Result<StreamFile*> found = FindStream(id, "stream data");
  if (!found.ok()) return found.status();
  StreamFile* file = *found;
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, data.size(), &end) || end > file->meta.size) {
    return Status(Code::kProtocolError, "stream data for " + QuotedPath(file->path) + ": offset " +
                                            std::to_string(offset) + " + length " +
                                            std::to_string(data.size()) + " beyond its size " +
                                            std::to_string(file->meta.size));
  }
  if (file->failed || data.empty()) return Status::Ok();
  if (!file->fd.valid()) {
    if (Status st = Reopen(id, file); !st.ok() || file->failed) return st;
  } else {
    open_order.splice(open_order.end(), open_order, file->open_pos);  // most recently used
  }
  if (int err = PwriteAll(file->fd.get(), data, offset); err != 0) {
    return FailStream(file, "write", err);
  }
  stats.bytes += data.size();
  return Status::Ok();
}

Status HostTreeWriter::Impl::StreamEnd(uint64_t id) {
  Result<StreamFile*> found = FindStream(id, "stream end");
  if (!found.ok()) return found.status();
  StreamFile* file = *found;
  Status st;
  if (!file->failed && !file->fd.valid()) st = Reopen(id, file);
  if (!file->failed) {
    ApplyToFd(file->fd.get(), true, {file->path, &file->meta, &file->xattrs}, policy, &report);
  }
  CloseStream(file);
  streams.erase(id);
  ended_streams.insert(id);
  return st;
}

Status HostTreeWriter::Impl::Finish() {
  if (state == State::kFinished) {
    return Status(Code::kFailedPrecondition, "transfer already finished");
  }
  if (!streams.empty()) {
    return Status(
        Code::kProtocolError,
        "finish with stream file " + QuotedPath(streams.begin()->second.path) + " unfinished");
  }
  state = State::kFinished;
  if (options.defer_directories) return Status::Ok();
  // Deepest first: setting a directory's times before its last child is written, or
  // making it read-only before then, would not stick.
  std::stable_sort(dirs.begin(), dirs.end(), [](const PendingDir& a, const PendingDir& b) {
    return Depth(a.path) > Depth(b.path);
  });
  for (const PendingDir& d : dirs) {
    UniqueFd fd;
    if (int err = dest.OpenDirectory(d.path, &fd); err != 0) {
      if (Status st = Settle(d.path, "directory metadata not set", err); !st.ok()) return st;
      continue;
    }
    ApplyToFd(fd.get(), false, {d.path, &d.meta, &d.xattrs}, policy, &report);
  }
  dirs.clear();
  return Status::Ok();
}

size_t HostTreeWriter::Impl::RemoveUnfinished() {
  size_t removed = 0;
  for (auto& [id, file] : streams) {
    CloseStream(&file);
    if (file.failed) continue;
    BeneathDir::Parent parent;
    if (dest.OpenParent(file.path, &parent) != 0) continue;
    struct stat st;
    if (fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != file.dev || st.st_ino != file.ino) continue;
    if (unlinkat(parent.dir.get(), parent.name.c_str(), 0) == 0) ++removed;
  }
  streams.clear();
  open_order.clear();
  return removed;
}

}  // namespace diskferry
