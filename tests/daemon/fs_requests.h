// Request builders for the filesystem ops, for tests over the socketpair fixture. Paths are
// passed with their full size, so a test can embed a NUL.
#ifndef DISKFERRY_TESTS_DAEMON_FS_REQUESTS_H_
#define DISKFERRY_TESTS_DAEMON_FS_REQUESTS_H_

#include <cstdint>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

#include "protocol/diskferry_generated.h"

namespace diskferry::daemon::testing::requests {

using flatbuffers::DetachedBuffer;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

inline Offset<flatbuffers::String> Str(FlatBufferBuilder& fbb, std::string_view s) {
  return fbb.CreateString(s.data(), s.size());
}

inline Offset<flatbuffers::Vector<uint8_t>> Blob(FlatBufferBuilder& fbb, std::string_view s) {
  return fbb.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

template <typename Build>
DetachedBuffer Make(proto::Op op, Build build) {
  FlatBufferBuilder fbb;
  const Offset<void> body = build(fbb);
  fbb.Finish(proto::CreateRequest(fbb, 1, op, body));
  return fbb.Release();
}

inline DetachedBuffer Lstat(std::string_view path) {
  return Make(proto::Op::Lstat, [&](FlatBufferBuilder& fbb) {
    return proto::CreateLstatRequest(fbb, Str(fbb, path)).Union();
  });
}

inline DetachedBuffer Readlink(std::string_view path) {
  return Make(proto::Op::Readlink, [&](FlatBufferBuilder& fbb) {
    return proto::CreateReadlinkRequest(fbb, Str(fbb, path)).Union();
  });
}

inline DetachedBuffer Statvfs(std::string_view path) {
  return Make(proto::Op::Statvfs, [&](FlatBufferBuilder& fbb) {
    return proto::CreateStatvfsRequest(fbb, Str(fbb, path)).Union();
  });
}

inline DetachedBuffer ListXattrs(std::string_view path) {
  return Make(proto::Op::ListXattrs, [&](FlatBufferBuilder& fbb) {
    return proto::CreateListXattrsRequest(fbb, Str(fbb, path)).Union();
  });
}

inline DetachedBuffer Unlink(std::string_view path) {
  return Make(proto::Op::Unlink, [&](FlatBufferBuilder& fbb) {
    return proto::CreateUnlinkRequest(fbb, Str(fbb, path)).Union();
  });
}

inline DetachedBuffer Rmdir(std::string_view path) {
  return Make(proto::Op::Rmdir, [&](FlatBufferBuilder& fbb) {
    return proto::CreateRmdirRequest(fbb, Str(fbb, path)).Union();
  });
}

inline DetachedBuffer GetXattr(std::string_view path, std::string_view name) {
  return Make(proto::Op::GetXattr, [&](FlatBufferBuilder& fbb) {
    return proto::CreateGetXattrRequest(fbb, Str(fbb, path), Str(fbb, name)).Union();
  });
}

inline DetachedBuffer SetXattr(std::string_view path, std::string_view name,
                               std::string_view value) {
  return Make(proto::Op::SetXattr, [&](FlatBufferBuilder& fbb) {
    return proto::CreateSetXattrRequest(fbb, Str(fbb, path), Str(fbb, name), Blob(fbb, value))
        .Union();
  });
}

inline DetachedBuffer Mkdir(std::string_view path, uint32_t mode, bool parents) {
  return Make(proto::Op::Mkdir, [&](FlatBufferBuilder& fbb) {
    return proto::CreateMkdirRequest(fbb, Str(fbb, path), mode, parents).Union();
  });
}

inline DetachedBuffer ReadFile(std::string_view path, uint64_t offset, uint32_t length) {
  return Make(proto::Op::ReadFile, [&](FlatBufferBuilder& fbb) {
    return proto::CreateReadFileRequest(fbb, Str(fbb, path), offset, length).Union();
  });
}

inline DetachedBuffer WriteFile(std::string_view path, uint64_t offset, std::string_view data,
                                bool create, bool truncate, uint32_t mode = 0644) {
  return Make(proto::Op::WriteFile, [&](FlatBufferBuilder& fbb) {
    return proto::CreateWriteFileRequest(fbb, Str(fbb, path), offset, Blob(fbb, data), create,
                                         truncate, mode)
        .Union();
  });
}

inline DetachedBuffer Chmod(std::string_view path, uint32_t mode) {
  return Make(proto::Op::Chmod, [&](FlatBufferBuilder& fbb) {
    return proto::CreateChmodRequest(fbb, Str(fbb, path), mode).Union();
  });
}

inline DetachedBuffer Chown(std::string_view path, uint32_t uid, uint32_t gid) {
  return Make(proto::Op::Chown, [&](FlatBufferBuilder& fbb) {
    return proto::CreateChownRequest(fbb, Str(fbb, path), uid, gid).Union();
  });
}

inline DetachedBuffer Utimens(std::string_view path, int64_t atime_ns, int64_t mtime_ns) {
  return Make(proto::Op::Utimens, [&](FlatBufferBuilder& fbb) {
    return proto::CreateUtimensRequest(fbb, Str(fbb, path), atime_ns, mtime_ns).Union();
  });
}

inline DetachedBuffer Symlink(std::string_view target, std::string_view path) {
  return Make(proto::Op::Symlink, [&](FlatBufferBuilder& fbb) {
    return proto::CreateSymlinkRequest(fbb, Str(fbb, target), Str(fbb, path)).Union();
  });
}

inline DetachedBuffer Link(std::string_view existing, std::string_view path) {
  return Make(proto::Op::Link, [&](FlatBufferBuilder& fbb) {
    return proto::CreateLinkRequest(fbb, Str(fbb, existing), Str(fbb, path)).Union();
  });
}

inline DetachedBuffer Rename(std::string_view from, std::string_view to) {
  return Make(proto::Op::Rename, [&](FlatBufferBuilder& fbb) {
    return proto::CreateRenameRequest(fbb, Str(fbb, from), Str(fbb, to)).Union();
  });
}

inline DetachedBuffer Truncate(std::string_view path, uint64_t size) {
  return Make(proto::Op::Truncate, [&](FlatBufferBuilder& fbb) {
    return proto::CreateTruncateRequest(fbb, Str(fbb, path), size).Union();
  });
}

inline DetachedBuffer Sync() {
  return Make(proto::Op::Sync,
              [](FlatBufferBuilder& fbb) { return proto::CreateSyncRequest(fbb).Union(); });
}

inline DetachedBuffer Umount() {
  return Make(proto::Op::Umount,
              [](FlatBufferBuilder& fbb) { return proto::CreateUmountRequest(fbb).Union(); });
}

}  // namespace diskferry::daemon::testing::requests

#endif  // DISKFERRY_TESTS_DAEMON_FS_REQUESTS_H_
