// The Dispatcher's part for filesystem requests: request fields in, handler, reply out.
#include <sys/statvfs.h>

#include "daemon/handlers_inspect.h"
#include "daemon/handlers_modify.h"
#include "daemon/replies.h"
#include "daemon/survey.h"

namespace diskferry::daemon {
namespace {

using flatbuffers::DetachedBuffer;
using flatbuffers::FlatBufferBuilder;

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

DetachedBuffer Lstat(uint64_t id, const std::string& sysroot, const proto::LstatRequest& r) {
  OpResult<struct stat> st = HandleLstat(sysroot, View(r.path()));
  if (!st.ok()) return ErrorResponse(id, st.error());
  FlatBufferBuilder fbb(128);
  const proto::Stat stat = ToProtoStat(st.value());
  return FinishReply(&fbb, id, proto::Reply::Lstat, proto::CreateLstatReply(fbb, &stat).Union());
}

DetachedBuffer Readlink(uint64_t id, const std::string& sysroot,
                        const proto::ReadlinkRequest& r) {
  OpResult<std::string> target = HandleReadlink(sysroot, View(r.path()));
  if (!target.ok()) return ErrorResponse(id, target.error());
  FlatBufferBuilder fbb(256 + target->size());
  const auto reply = proto::CreateReadlinkReply(fbb, fbb.CreateString(target.value()));
  return FinishReply(&fbb, id, proto::Reply::Readlink, reply.Union());
}

DetachedBuffer Statvfs(uint64_t id, const std::string& sysroot, const proto::StatvfsRequest& r) {
  OpResult<struct statvfs> sv = HandleStatvfs(sysroot, View(r.path()));
  if (!sv.ok()) return ErrorResponse(id, sv.error());
  FlatBufferBuilder fbb(256);
  const auto reply = proto::CreateStatvfsReply(
      fbb, sv->f_frsize, sv->f_blocks, sv->f_bfree, sv->f_bavail, sv->f_files, sv->f_ffree,
      sv->f_namemax, (sv->f_flag & ST_RDONLY) != 0);
  return FinishReply(&fbb, id, proto::Reply::Statvfs, reply.Union());
}

DetachedBuffer ListXattrs(uint64_t id, const std::string& sysroot,
                          const proto::ListXattrsRequest& r) {
  OpResult<std::vector<std::string>> names = HandleListXattrs(sysroot, View(r.path()));
  if (!names.ok()) return ErrorResponse(id, names.error());
  FlatBufferBuilder fbb(1024);
  const auto reply = proto::CreateListXattrsReply(fbb, fbb.CreateVectorOfStrings(names.value()));
  return FinishReply(&fbb, id, proto::Reply::ListXattrs, reply.Union());
}

DetachedBuffer GetXattr(uint64_t id, const std::string& sysroot,
                        const proto::GetXattrRequest& r) {
  OpResult<std::string> value = HandleGetXattr(sysroot, View(r.path()), View(r.name()));
  if (!value.ok()) return ErrorResponse(id, value.error());
  FlatBufferBuilder fbb(256 + value->size());
  const auto bytes = fbb.CreateVector(reinterpret_cast<const uint8_t*>(value->data()),
                                      value->size());
  return FinishReply(&fbb, id, proto::Reply::GetXattr,
                     proto::CreateGetXattrReply(fbb, bytes).Union());
}

DetachedBuffer ReadFile(uint64_t id, const std::string& sysroot,
                        const proto::ReadFileRequest& r) {
  OpResult<FileChunk> chunk = HandleReadFile(sysroot, View(r.path()), r.offset(), r.length());
  if (!chunk.ok()) return ErrorResponse(id, chunk.error());
  FlatBufferBuilder fbb(256 + chunk->data.size());
  const auto data = fbb.CreateVector(chunk->data);
  return FinishReply(&fbb, id, proto::Reply::ReadFile,
                     proto::CreateReadFileReply(fbb, data, chunk->eof).Union());
}

DetachedBuffer WriteFile(uint64_t id, const std::string& sysroot,
                         const proto::WriteFileRequest& r) {
  WriteFileArgs args;
  args.offset = r.offset();
  args.data = Bytes(r.data());
  args.create = r.create();
  args.truncate = r.truncate();
  args.mode = r.mode();
  return EmptyOrError(id, HandleWriteFile(sysroot, View(r.path()), args));
}

DetachedBuffer SurveyResponse(uint64_t id, const std::string& sysroot,
                              const proto::SurveyRequest& r) {
  OpResult<SurveyResult> survey = daemon::Survey(
      sysroot, SurveyParams{std::string(View(r.path())), r.checkpoint_weight(), r.entry_weight(),
                            Strings(r.include()), Strings(r.exclude())});
  if (!survey.ok()) return ErrorResponse(id, survey.error());
  size_t size = 1024;
  for (const SurveyCheckpoint& c : survey->checkpoints) size += c.path.size() + 64;
  FlatBufferBuilder fbb(size);
  std::vector<flatbuffers::Offset<proto::SurveyCheckpoint>> checkpoints;
  checkpoints.reserve(survey->checkpoints.size());
  for (const SurveyCheckpoint& c : survey->checkpoints) {
    checkpoints.push_back(
        proto::CreateSurveyCheckpoint(fbb, fbb.CreateString(c.path), c.weight, c.files, c.bytes));
  }
  const SurveyResult& d = survey.value();
  const auto reply = proto::CreateSurveyReply(fbb, d.files, d.directories, d.others, d.bytes,
                                              d.weight, d.errors, fbb.CreateVector(checkpoints));
  return FinishReply(&fbb, id, proto::Reply::Survey, reply.Union());
}

}  // namespace

// One case per op: a table, hence its length. Ops whose reply is Empty call their handler
// inline; the others have a function above.
std::optional<DetachedBuffer> DispatchFsOp(const std::string& sysroot,
                                           const proto::Request& request) {
  const uint64_t id = request.id();
  const std::string& s = sysroot;
  switch (request.op_type()) {
    case proto::Op::Lstat:
      return WithBody<proto::LstatRequest>(request, [&](auto& r) { return Lstat(id, s, r); });
    case proto::Op::Readlink:
      return WithBody<proto::ReadlinkRequest>(request,
                                              [&](auto& r) { return Readlink(id, s, r); });
    case proto::Op::Statvfs:
      return WithBody<proto::StatvfsRequest>(request, [&](auto& r) { return Statvfs(id, s, r); });
    case proto::Op::ListXattrs:
      return WithBody<proto::ListXattrsRequest>(request,
                                                [&](auto& r) { return ListXattrs(id, s, r); });
    case proto::Op::GetXattr:
      return WithBody<proto::GetXattrRequest>(request,
                                              [&](auto& r) { return GetXattr(id, s, r); });
    case proto::Op::ReadFile:
      return WithBody<proto::ReadFileRequest>(request,
                                              [&](auto& r) { return ReadFile(id, s, r); });
    case proto::Op::WriteFile:
      return WithBody<proto::WriteFileRequest>(request,
                                               [&](auto& r) { return WriteFile(id, s, r); });
    case proto::Op::SetXattr:
      return WithBody<proto::SetXattrRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleSetXattr(s, View(r.path()), View(r.name()),
                                               AsText(Bytes(r.value()))));
      });
    case proto::Op::Mkdir:
      return WithBody<proto::MkdirRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleMkdir(s, View(r.path()), r.mode(), r.parents()));
      });
    case proto::Op::Chmod:
      return WithBody<proto::ChmodRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleChmod(s, View(r.path()), r.mode()));
      });
    case proto::Op::Chown:
      return WithBody<proto::ChownRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleChown(s, View(r.path()), r.uid(), r.gid()));
      });
    case proto::Op::Utimens:
      return WithBody<proto::UtimensRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleUtimens(s, View(r.path()), r.atime_ns(), r.mtime_ns()));
      });
    case proto::Op::Symlink:
      return WithBody<proto::SymlinkRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleSymlink(s, View(r.target()), View(r.path())));
      });
    case proto::Op::Link:
      return WithBody<proto::LinkRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleLink(s, View(r.existing()), View(r.path())));
      });
    case proto::Op::Rename:
      return WithBody<proto::RenameRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleRename(s, View(r.from()), View(r.to())));
      });
    case proto::Op::Unlink:
      return WithBody<proto::UnlinkRequest>(
          request, [&](auto& r) { return EmptyOrError(id, HandleUnlink(s, View(r.path()))); });
    case proto::Op::Rmdir:
      return WithBody<proto::RmdirRequest>(
          request, [&](auto& r) { return EmptyOrError(id, HandleRmdir(s, View(r.path()))); });
    case proto::Op::Truncate:
      return WithBody<proto::TruncateRequest>(request, [&](auto& r) {
        return EmptyOrError(id, HandleTruncate(s, View(r.path()), r.size()));
      });
    case proto::Op::Survey:
      return WithBody<proto::SurveyRequest>(request,
                                            [&](auto& r) { return SurveyResponse(id, s, r); });
    case proto::Op::Sync:
      return WithBody<proto::SyncRequest>(
          request, [&](auto&) { return EmptyOrError(id, HandleSync(s)); });
    default:
      return std::nullopt;
  }
}

}  // namespace diskferry::daemon
