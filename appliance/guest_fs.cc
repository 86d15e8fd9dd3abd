#include "appliance/guest_fs.h"

#include <algorithm>
#include <vector>

#include "appliance/control_replies.h"
#include "host/file_mode.h"

namespace diskferry {
namespace {

using proto::Op;
using proto::Reply;
using Fbb = flatbuffers::FlatBufferBuilder;

FileStat ToFileStat(const proto::Stat& s) {
  FileStat out;
  out.mode = s.mode();
  out.uid = s.uid();
  out.gid = s.gid();
  out.nlink = s.nlink();
  out.size = s.size();
  out.ino = s.ino();
  out.rdev = s.rdev();
  out.blocks = s.blocks();
  out.atime_ns = s.atime_ns();
  out.mtime_ns = s.mtime_ns();
  out.ctime_ns = s.ctime_ns();
  return out;
}

// Raw bytes, never truncated at a NUL (CreateString(const char*) would be).
flatbuffers::Offset<flatbuffers::String> Str(Fbb& fbb, const std::string& s) {
  return fbb.CreateString(s);
}

}  // namespace

std::string JoinGuestPath(const std::string& dir, std::string_view name) {
  std::string out = dir;
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

Result<ResponseFrame> GuestFs::CallFor(const ControlClient::OpBuilder& build, Reply expected) {
  return control_.CallExpecting(build, expected, control_.call_timeout());
}

Status GuestFs::CallEmpty(const ControlClient::OpBuilder& build) {
  Result<ResponseFrame> frame = CallFor(build, Reply::Empty);
  return frame.ok() ? Status::Ok() : frame.status();
}

Result<FileStat> GuestFs::Lstat(const std::string& path) {
  Result<ResponseFrame> f = CallFor(
      [&](Fbb& fbb) {
        return std::pair(Op::Lstat, proto::CreateLstatRequest(fbb, Str(fbb, path)).Union());
      },
      Reply::Lstat);
  if (!f.ok()) return f.status();
  const proto::Stat* stat = f->response().reply_as_Lstat()->stat();
  if (stat == nullptr) return control_.Misbehaved(path + ": Lstat reply without a stat");
  return ToFileStat(*stat);
}

Result<std::string> GuestFs::Readlink(const std::string& path) {
  Result<ResponseFrame> f = CallFor(
      [&](Fbb& fbb) {
        return std::pair(Op::Readlink, proto::CreateReadlinkRequest(fbb, Str(fbb, path)).Union());
      },
      Reply::Readlink);
  if (!f.ok()) return f.status();
  Result<std::string> target = internal::ToSymlinkTarget(*f->response().reply_as_Readlink());
  if (!target.ok()) return control_.Misbehaved(path + ": " + target.status().message());
  return target;
}

Status GuestFs::Mkdir(const std::string& path, uint32_t mode, bool parents) {
  return CallEmpty([&](Fbb& fbb) {
    return std::pair(Op::Mkdir,
                     proto::CreateMkdirRequest(fbb, Str(fbb, path), mode, parents).Union());
  });
}

Status GuestFs::WriteFile(const std::string& path, std::string_view content, uint32_t mode) {
  size_t offset = 0;
  // At least one request, so that empty content still creates and truncates the file.
  do {
    const size_t len = std::min(kGuestWriteChunk, content.size() - offset);
    const bool first = offset == 0;
    Status st = CallEmpty([&](Fbb& fbb) {
      const auto data =
          fbb.CreateVector(reinterpret_cast<const uint8_t*>(content.data() + offset), len);
      const auto req = proto::CreateWriteFileRequest(fbb, Str(fbb, path), offset, data,
                                                     /*create=*/first, /*truncate=*/first, mode);
      return std::pair(Op::WriteFile, req.Union());
    });
    if (!st.ok()) return st;
    offset += len;
  } while (offset < content.size());
  return Status::Ok();
}

Status GuestFs::Chmod(const std::string& path, uint32_t mode) {
  return CallEmpty([&](Fbb& fbb) {
    return std::pair(Op::Chmod, proto::CreateChmodRequest(fbb, Str(fbb, path), mode).Union());
  });
}

Status GuestFs::Chown(const std::string& path, uint32_t uid, uint32_t gid) {
  return CallEmpty([&](Fbb& fbb) {
    return std::pair(Op::Chown, proto::CreateChownRequest(fbb, Str(fbb, path), uid, gid).Union());
  });
}

Status GuestFs::Utimens(const std::string& path, int64_t atime_ns, int64_t mtime_ns) {
  return CallEmpty([&](Fbb& fbb) {
    const auto req = proto::CreateUtimensRequest(fbb, Str(fbb, path), atime_ns, mtime_ns);
    return std::pair(Op::Utimens, req.Union());
  });
}

Status GuestFs::Symlink(const std::string& target, const std::string& path) {
  return CallEmpty([&](Fbb& fbb) {
    const auto req = proto::CreateSymlinkRequest(fbb, Str(fbb, target), Str(fbb, path));
    return std::pair(Op::Symlink, req.Union());
  });
}

Status GuestFs::Rename(const std::string& from, const std::string& to) {
  return CallEmpty([&](Fbb& fbb) {
    const auto req = proto::CreateRenameRequest(fbb, Str(fbb, from), Str(fbb, to));
    return std::pair(Op::Rename, req.Union());
  });
}

Status GuestFs::Unlink(const std::string& path) {
  return CallEmpty([&](Fbb& fbb) {
    return std::pair(Op::Unlink, proto::CreateUnlinkRequest(fbb, Str(fbb, path)).Union());
  });
}

Status GuestFs::Rmdir(const std::string& path) {
  return CallEmpty([&](Fbb& fbb) {
    return std::pair(Op::Rmdir, proto::CreateRmdirRequest(fbb, Str(fbb, path)).Union());
  });
}

Status GuestFs::Sync() {
  return CallEmpty(
      [](Fbb& fbb) { return std::pair(Op::Sync, proto::CreateSyncRequest(fbb).Union()); });
}

Status GuestFs::RemoveTree(const std::string& path) {
  if (path.find_first_not_of('/') == std::string::npos) {
    return Status(Code::kInvalidArgument, "refusing to remove the filesystem root");
  }
  Result<FileStat> stat = Lstat(path);
  if (!stat.ok()) return stat.status();
  return RemoveEntry(path, stat->mode);
}

Result<std::vector<DirEntryInfo>> GuestFs::ReadDirAll(const std::string& path) {
  if (path.size() > internal::kMaxPathBytes) {
    return control_.Misbehaved(path.substr(0, 64) + "...: a tree deeper than a path can be (" +
                               std::to_string(internal::kMaxPathBytes) + " bytes)");
  }
  return control_.ReadDirAll(path);
}

// The recursion stops at kMaxPathBytes whatever the guest answers (ReadDirAll: a hostile
// guest can list a directory inside every directory, for ever): each level adds at least
// two bytes, so at most about two thousand frames.
Status GuestFs::RemoveEntry(const std::string& path, uint32_t mode) {
  if (!IsDirectoryMode(mode)) return Unlink(path);
  Result<std::vector<DirEntryInfo>> entries = ReadDirAll(path);
  if (!entries.ok()) return entries.status();
  for (const DirEntryInfo& entry : *entries) {
    if (Status st = RemoveEntry(JoinGuestPath(path, entry.name), entry.stat.mode); !st.ok()) {
      return st;
    }
  }
  return Rmdir(path);
}

}  // namespace diskferry
