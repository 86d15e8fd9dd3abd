#include "daemon/dispatcher.h"

#include <cerrno>
#include <limits>
#include <string>
#include <vector>

#include "daemon/block_devices.h"
#include "daemon/handlers_fs.h"
#include "daemon/handlers_session.h"
#include "daemon/log.h"
#include "daemon/op_result.h"
#include "protocol/errno_names.h"

namespace diskferry::daemon {
namespace {

using flatbuffers::DetachedBuffer;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// Strings from a verified buffer keep their full size, so an embedded NUL stays visible
// to the handlers (which reject it) instead of silently truncating the path.
std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->c_str(), s->size());
}

DetachedBuffer FinishReply(FlatBufferBuilder* fbb, uint64_t id, proto::Reply type,
                           Offset<void> reply) {
  fbb->Finish(proto::CreateResponse(*fbb, id, 0, type, reply));
  return fbb->Release();
}

DetachedBuffer ErrorFor(uint64_t id, const OpError& error) {
  return Dispatcher::ErrorResponse(id, error.err, error.message);
}

// Nanoseconds since the epoch, saturated: a hostile image may hold any timestamp, and
// signed overflow would be undefined.
int64_t ToNs(const timespec& ts) {
  int64_t ns = 0;
  if (__builtin_mul_overflow(static_cast<int64_t>(ts.tv_sec), int64_t{1000000000}, &ns) ||
      __builtin_add_overflow(ns, static_cast<int64_t>(ts.tv_nsec), &ns)) {
    return ts.tv_sec < 0 ? std::numeric_limits<int64_t>::min()
                         : std::numeric_limits<int64_t>::max();
  }
  return ns;
}

proto::Stat ToProtoStat(const struct stat& st) {
  return proto::Stat(st.st_mode, st.st_uid, st.st_gid, static_cast<uint32_t>(st.st_nlink),
                     static_cast<uint64_t>(st.st_size), st.st_ino, st.st_rdev,
                     static_cast<uint64_t>(st.st_blocks), ToNs(st.st_atim), ToNs(st.st_mtim),
                     ToNs(st.st_ctim));
}

Offset<proto::DirEntry> BuildDirEntry(FlatBufferBuilder* fbb, const DirEntryData& entry) {
  const auto name = fbb->CreateString(entry.name);
  const auto target = entry.link_target.empty() ? 0 : fbb->CreateString(entry.link_target);
  const proto::Stat stat = ToProtoStat(entry.st);
  return proto::CreateDirEntry(*fbb, name, &stat, target);
}

}  // namespace

Dispatcher::Dispatcher(const DaemonContext& ctx)
    : ctx_(ctx), loader_(ctx.fs_modules), mounter_(ctx.sysroot, ctx.dev_dir, ctx.in_vm, &loader_) {}

DetachedBuffer Dispatcher::ErrorResponse(uint64_t id, int err, std::string_view message) {
  FlatBufferBuilder fbb(256);
  const auto error = proto::CreateError(fbb, fbb.CreateString(ErrnoName(err)),
                                        fbb.CreateString(message.data(), message.size()));
  fbb.Finish(proto::CreateResponse(fbb, id, error));
  return fbb.Release();
}

Dispatcher::Outcome Dispatcher::Dispatch(const proto::Request& request) {
  const uint64_t id = request.id();
  const proto::Op op = request.op_type();
  LogDebug("request %llu: %s", static_cast<unsigned long long>(id), proto::EnumNameOp(op));
  // A union type with no table is accepted by the Verifier; every op_as_X() below is
  // therefore null-checked.
  switch (op) {
    case proto::Op::NONE:
      break;
    case proto::Op::Hello:
      if (const auto* r = request.op_as_Hello()) return {Hello(id, *r)};
      break;
    case proto::Op::Ping:
      if (const auto* r = request.op_as_Ping()) return {Ping(id, *r)};
      break;
    case proto::Op::ListFilesystems:
      if (request.op_as_ListFilesystems() != nullptr) return {ListFilesystems(id)};
      break;
    case proto::Op::Mount:
      if (const auto* r = request.op_as_Mount()) return {Mount(id, *r)};
      break;
    case proto::Op::ReadDir:
      if (const auto* r = request.op_as_ReadDir()) return {ReadDir(id, *r)};
      break;
    case proto::Op::Shutdown:
      if (request.op_as_Shutdown() != nullptr) return {Shutdown(id), true};
      break;
    default:
      return {ErrorResponse(id, ENOSYS, "request " + std::to_string(id) + ": unknown op " +
                                            std::to_string(static_cast<unsigned>(op)))};
  }
  return {ErrorResponse(id, EPROTO, "request " + std::to_string(id) + " carries no op body")};
}

DetachedBuffer Dispatcher::Hello(uint64_t id, const proto::HelloRequest& request) {
  OpResult<HelloData> hello =
      HandleHello(ctx_, request.protocol_version(), View(request.host_version()));
  if (!hello.ok()) return ErrorFor(id, hello.error());
  FlatBufferBuilder fbb(1024);
  const auto reply = proto::CreateHelloReply(
      fbb, hello->protocol_version, fbb.CreateString(hello->daemon_version),
      fbb.CreateString(hello->kernel_release), fbb.CreateVectorOfStrings(hello->filesystems),
      hello->shm_size, hello->boot_ms);
  return FinishReply(&fbb, id, proto::Reply::Hello, reply.Union());
}

DetachedBuffer Dispatcher::Ping(uint64_t id, const proto::PingRequest& request) {
  FlatBufferBuilder fbb(64);
  const auto reply = proto::CreatePingReply(fbb, request.payload());
  return FinishReply(&fbb, id, proto::Reply::Ping, reply.Union());
}

DetachedBuffer Dispatcher::ListFilesystems(uint64_t id) {
  const std::vector<FilesystemData> found = daemon::ListFilesystems(ctx_.sys_block_dir,
                                                                    ctx_.dev_dir);
  FlatBufferBuilder fbb(1024);
  std::vector<Offset<proto::Filesystem>> filesystems;
  for (const FilesystemData& fs : found) {
    filesystems.push_back(proto::CreateFilesystem(
        fbb, fbb.CreateString(fs.device), fbb.CreateString(fs.probe.fstype),
        fbb.CreateString(fs.probe.label), fbb.CreateString(fs.probe.uuid), fs.size));
  }
  const auto reply = proto::CreateListFilesystemsReply(fbb, fbb.CreateVector(filesystems));
  return FinishReply(&fbb, id, proto::Reply::ListFilesystems, reply.Union());
}

DetachedBuffer Dispatcher::Mount(uint64_t id, const proto::MountRequest& request) {
  OpResult<MountData> mounted =
      mounter_.Mount(View(request.device()), request.read_write(), View(request.fstype()));
  if (!mounted.ok()) return ErrorFor(id, mounted.error());
  FlatBufferBuilder fbb(256);
  const auto reply = proto::CreateMountReply(fbb, fbb.CreateString(mounted->fstype),
                                             fbb.CreateString(mounted->options));
  return FinishReply(&fbb, id, proto::Reply::Mount, reply.Union());
}

DetachedBuffer Dispatcher::ReadDir(uint64_t id, const proto::ReadDirRequest& request) {
  OpResult<DirPage> page =
      ReadDirPage(ctx_.sysroot, View(request.path()), request.start(), request.max_entries());
  if (!page.ok()) return ErrorFor(id, page.error());
  FlatBufferBuilder fbb(64 * 1024);
  std::vector<Offset<proto::DirEntry>> entries;
  entries.reserve(page->entries.size());
  for (const DirEntryData& entry : page->entries) entries.push_back(BuildDirEntry(&fbb, entry));
  const auto reply =
      proto::CreateReadDirReply(fbb, fbb.CreateVector(entries), page->next, page->eof);
  return FinishReply(&fbb, id, proto::Reply::ReadDir, reply.Union());
}

DetachedBuffer Dispatcher::Shutdown(uint64_t id) {
  FlatBufferBuilder fbb(64);
  const auto reply = proto::CreateShutdownReply(fbb);
  return FinishReply(&fbb, id, proto::Reply::Shutdown, reply.Union());
}

}  // namespace diskferry::daemon
