// Stream files (created and sized on their record, filled by OnStreamData, finished by
// OnStreamEnd) and Finish: the host-independent bookkeeping. Creating, reopening and
// removing the files is the host's half (host_tree_writer_posix.cc,
// qemu-win/host_tree_writer_win.cc).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sinks/host_tree_writer_impl.h"

namespace diskferry {
namespace {

size_t Depth(const std::string& path) { return std::count(path.begin(), path.end(), '/'); }

}  // namespace

Status HostTreeWriter::Impl::CheckNewStream(const Record& r) const {
  const uint64_t id = r.meta.file_id;
  if (streams.contains(id) || ended_streams.contains(id)) {
    return Status(Code::kProtocolError, "stream file " + QuotedText(r.path) + ": file_id " +
                                            std::to_string(id) + " already used");
  }
  if (streams.size() >= kMaxPendingStreams) {
    return GuestMisbehaved("more than " + std::to_string(kMaxPendingStreams) +
                           " stream files announced before their data ended, at " +
                           QuotedText(r.path));
  }
  return Status::Ok();
}

// Registers the stream file before it is created, marked failed until it is, so that the
// data of one that cannot be created is dropped quietly instead of failing the transfer as
// data for an unknown file_id.
HostTreeWriter::Impl::StreamFile& HostTreeWriter::Impl::AddStream(const Record& r,
                                                                  XattrList xattrs) {
  StreamFile& file = streams[r.meta.file_id];
  file.path = std::string(r.path);
  file.meta = r.meta;
  file.xattrs = std::move(xattrs);
  file.failed = true;
  ++stats.files;
  return file;
}

Status HostTreeWriter::Impl::BeginStream(const Record& r, BeneathDir::Parent& parent,
                                         XattrList xattrs) {
  StreamFile& file = AddStream(r, std::move(xattrs));
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  return CreateStream(parent, r.meta.file_id, &file);
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

Status HostTreeWriter::Impl::StreamData(uint64_t id, uint64_t offset,
                                        std::span<const uint8_t> data) {
  Result<StreamFile*> found = FindStream(id, "stream data");
  if (!found.ok()) return found.status();
  StreamFile* file = *found;
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, data.size(), &end) || end > file->meta.size) {
    return Status(Code::kProtocolError, "stream data for " + QuotedText(file->path) + ": offset " +
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
  if (int err = WriteAt(file->fd.get(), data, offset); err != 0) {
    return FailStream(file, "write", err);
  }
  stats.bytes += data.size();
  return Status::Ok();
}

Status HostTreeWriter::Impl::StreamEnd(uint64_t id) {
  Result<StreamFile*> found = FindStream(id, "stream end");
  if (!found.ok()) return found.status();
  StreamFile* file = *found;
  if (Status st = held.Take(0); !st.ok()) return st;
  Status st;
  if (!file->failed && !file->fd.valid()) st = Reopen(id, file);
  if (!file->failed) {
    ApplyToFile(file->fd.get(), {file->path, &file->meta, &file->xattrs});
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
        "finish with stream file " + QuotedText(streams.begin()->second.path) + " unfinished");
  }
  state = State::kFinished;
  if (options.defer_directories) return Status::Ok();
  // Deepest first: setting a directory's times before its last child is written, or
  // making it read-only before then, would not stick.
  std::stable_sort(dirs.begin(), dirs.end(), [](const PendingDir& a, const PendingDir& b) {
    return Depth(a.path) > Depth(b.path);
  });
  for (const PendingDir& d : dirs) {
    if (Status st = ApplyToDirectory(d); !st.ok()) return st;
  }
  dirs.clear();
  return Status::Ok();
}

}  // namespace diskferry
