#include "daemon/dispatcher.h"

#include <cerrno>
#include <string>
#include <vector>

#include "daemon/block_devices.h"
#include "daemon/handlers_fs.h"
#include "daemon/handlers_session.h"
#include "daemon/log.h"
#include "daemon/os_devices.h"
#include "daemon/op_result.h"
#include "daemon/replies.h"

namespace diskferry::daemon {
namespace {

using flatbuffers::DetachedBuffer;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

Offset<proto::DirEntry> BuildDirEntry(FlatBufferBuilder* fbb, const DirEntryData& entry) {
  const auto name = fbb->CreateString(entry.name);
  const auto target = entry.link_target.empty() ? 0 : fbb->CreateString(entry.link_target);
  const proto::Stat stat = ToProtoStat(entry.st);
  return proto::CreateDirEntry(*fbb, name, &stat, target);
}

// Mount and Umount would pull the filesystem from under a transfer's open descriptors.
OpError BusyWithTransfer(std::string_view what) {
  return OpError{EBUSY, std::string(what) + ": a transfer is active (end it first)"};
}

DetachedBuffer BuildMountOsReply(uint64_t id, const OsTreeData& tree) {
  FlatBufferBuilder fbb(4096);
  std::vector<Offset<proto::OsMount>> mounted;
  for (const OsMount& m : tree.mounted) {
    mounted.push_back(proto::CreateOsMount(fbb, fbb.CreateString(m.device),
                                           fbb.CreateString(m.mount_point),
                                           fbb.CreateString(m.fstype),
                                           fbb.CreateString(m.options), m.replayed));
  }
  std::vector<Offset<proto::OsSkipped>> skipped;
  for (const SkippedMount& s : tree.skipped) {
    skipped.push_back(proto::CreateOsSkipped(
        fbb, fbb.CreateString(s.spec), fbb.CreateString(s.mount_point),
        static_cast<uint32_t>(s.line), fbb.CreateString(SkipKindWord(s.kind)),
        fbb.CreateString(s.reason)));
  }
  const auto reply = proto::CreateMountOsReply(
      fbb, fbb.CreateString(tree.os_name), fbb.CreateVector(mounted), fbb.CreateVector(skipped),
      fbb.CreateVectorOfStrings(tree.warnings));
  return FinishReply(&fbb, id, proto::Reply::MountOs, reply.Union());
}

StorageSystem StorageSystemOf(const DaemonContext& ctx) {
  StorageSystem system;
  system.sys_block_dir = ctx.sys_block_dir;
  system.dev_dir = ctx.dev_dir;
  return system;
}

}  // namespace

Dispatcher::Dispatcher(const DaemonContext& ctx)
    : ctx_(ctx),
      loader_(ctx.fs_modules),
      // Only the appliance has module lists; test mode has no block devices either.
      storage_modules_(ctx.in_vm ? ReadStorageModuleTable() : StorageModuleTable{}),
      storage_(StorageSystemOf(ctx), &storage_modules_),
      mounter_(ctx.sysroot, ctx.dev_dir, ctx.in_vm, &loader_, ctx.sys_block_dir),
      transfers_(ctx) {}

DetachedBuffer Dispatcher::ErrorResponse(uint64_t id, int err, std::string_view message) {
  return daemon::ErrorResponse(id, err, message);
}

Dispatcher::Outcome Dispatcher::Dispatch(const proto::Request& request) {
  const uint64_t id = request.id();
  const proto::Op op = request.op_type();
  LogDebug("request %llu: %s", static_cast<unsigned long long>(id), proto::EnumNameOp(op));
  if (std::optional<Outcome> session = DispatchSession(request)) return std::move(*session);
  if (auto reply = DispatchFsOp(ctx_.sysroot, request)) return {std::move(*reply)};
  if (auto reply = DispatchTransferOp(&transfers_, request)) return {std::move(*reply)};
  if (op == proto::Op::NONE) return {NoBodyResponse(id)};
  return {ErrorResponse(id, ENOSYS, "request " + std::to_string(id) + ": unknown op " +
                                        std::to_string(static_cast<unsigned>(op)))};
}

std::optional<Dispatcher::Outcome> Dispatcher::DispatchSession(const proto::Request& request) {
  const uint64_t id = request.id();
  // A union type with no table is accepted by the Verifier: WithBody checks.
  switch (request.op_type()) {
    case proto::Op::Hello:
      return Outcome{WithBody<proto::HelloRequest>(request, [&](auto& r) { return Hello(id, r); })};
    case proto::Op::Ping:
      return Outcome{WithBody<proto::PingRequest>(request, [&](auto& r) { return Ping(id, r); })};
    case proto::Op::ListFilesystems:
      return Outcome{WithBody<proto::ListFilesystemsRequest>(
          request, [&](auto& r) { return ListFilesystems(id, r); })};
    case proto::Op::Unlock:
      return Outcome{
          WithBody<proto::UnlockRequest>(request, [&](auto& r) { return Unlock(id, r); })};
    case proto::Op::Mount:
      return Outcome{WithBody<proto::MountRequest>(request, [&](auto& r) { return Mount(id, r); })};
    case proto::Op::Umount:
      return Outcome{WithBody<proto::UmountRequest>(request, [&](auto&) { return Umount(id); })};
    case proto::Op::MountOs:
      return Outcome{
          WithBody<proto::MountOsRequest>(request, [&](auto& r) { return MountOs(id, r); })};
    case proto::Op::ReadDir:
      return Outcome{
          WithBody<proto::ReadDirRequest>(request, [&](auto& r) { return ReadDir(id, r); })};
    case proto::Op::Shutdown:
      if (request.op_as_Shutdown() == nullptr) return Outcome{NoBodyResponse(id)};
      return Outcome{Shutdown(id), true};
    default:
      return std::nullopt;
  }
}

DetachedBuffer Dispatcher::Hello(uint64_t id, const proto::HelloRequest& request) {
  HelloInput input;
  input.protocol_version = request.protocol_version();
  input.host_version = View(request.host_version());
  input.host_time_ns = request.host_time_ns();
  if (request.entropy() != nullptr) {
    input.entropy = std::span<const uint8_t>(request.entropy()->data(), request.entropy()->size());
  }
  input.template_point = request.template_point();
  input.disks = request.disks();
  OpResult<HelloData> hello = HandleHello(ctx_, input, &hello_session_);
  if (!hello.ok()) return daemon::ErrorResponse(id, hello.error());
  FlatBufferBuilder fbb(1024);
  const auto reply = proto::CreateHelloReply(
      fbb, hello->protocol_version, fbb.CreateString(hello->daemon_version),
      fbb.CreateString(hello->kernel_release), fbb.CreateVectorOfStrings(hello->filesystems),
      hello->shm_size, hello->boot_ms,
      hello->launch_secret.empty() ? flatbuffers::Offset<flatbuffers::Vector<uint8_t>>()
                                   : fbb.CreateVector(hello->launch_secret),
      hello->guest_time_ns, hello->restored);
  return FinishReply(&fbb, id, proto::Reply::Hello, reply.Union());
}

DetachedBuffer Dispatcher::Ping(uint64_t id, const proto::PingRequest& request) {
  FlatBufferBuilder fbb(64);
  const auto reply = proto::CreatePingReply(fbb, request.payload());
  return FinishReply(&fbb, id, proto::Reply::Ping, reply.Union());
}

DetachedBuffer Dispatcher::ListFilesystems(uint64_t id,
                                           const proto::ListFilesystemsRequest& request) {
  const StorageListing listing = storage_.List(request.activate(), request.read_write());
  FlatBufferBuilder fbb(1024);
  std::vector<Offset<proto::Filesystem>> filesystems;
  for (const ListedDevice& fs : listing.filesystems) {
    filesystems.push_back(proto::CreateFilesystem(
        fbb, fbb.CreateString(fs.device), fbb.CreateString(fs.probe.fstype),
        fbb.CreateString(fs.probe.label), fbb.CreateString(fs.probe.uuid), fs.size,
        fs.aliases.empty() ? 0 : fbb.CreateVectorOfStrings(fs.aliases),
        fs.note.empty() ? 0 : fbb.CreateString(fs.note)));
  }
  const auto reply = proto::CreateListFilesystemsReply(
      fbb, fbb.CreateVector(filesystems),
      listing.problems.empty() ? 0 : fbb.CreateVectorOfStrings(listing.problems));
  return FinishReply(&fbb, id, proto::Reply::ListFilesystems, reply.Union());
}

DetachedBuffer Dispatcher::Unlock(uint64_t id, const proto::UnlockRequest& request) {
  std::span<const uint8_t> key;
  if (request.key() != nullptr) key = {request.key()->data(), request.key()->size()};
  OpResult<std::string> opened = storage_.Unlock(View(request.device()), key,
                                                  request.read_write());
  if (!opened.ok()) return daemon::ErrorResponse(id, opened.error());
  FlatBufferBuilder fbb(256);
  const auto reply = proto::CreateUnlockReply(fbb, fbb.CreateString(opened.value()));
  return FinishReply(&fbb, id, proto::Reply::Unlock, reply.Union());
}

DetachedBuffer Dispatcher::Mount(uint64_t id, const proto::MountRequest& request) {
  if (transfers_.active()) return daemon::ErrorResponse(id, BusyWithTransfer("mount"));
  if (OpResult<bool> released = ReleaseOsTree("mount"); !released.ok()) {
    return daemon::ErrorResponse(id, released.error());
  }
  OpResult<MountData> mounted = mounter_.Mount(View(request.device()), request.read_write(),
                                               View(request.fstype()), request.replay());
  if (!mounted.ok()) return daemon::ErrorResponse(id, mounted.error());
  FlatBufferBuilder fbb(256);
  const auto reply =
      proto::CreateMountReply(fbb, fbb.CreateString(mounted->fstype),
                              fbb.CreateString(mounted->options), mounted->replayed);
  return FinishReply(&fbb, id, proto::Reply::Mount, reply.Union());
}

DetachedBuffer Dispatcher::Umount(uint64_t id) {
  if (transfers_.active()) return daemon::ErrorResponse(id, BusyWithTransfer("umount"));
  if (OpResult<bool> released = ReleaseOsTree("umount"); !released.ok()) {
    return daemon::ErrorResponse(id, released.error());
  }
  return EmptyOrError(id, mounter_.Unmount());
}

OpResult<bool> Dispatcher::ReleaseOsTree(std::string_view what) {
  SysOsMountOps ops(ctx_.sysroot, ctx_.dev_dir, &loader_, false);
  return os_tree_.Release(what, ctx_.sysroot, ops);
}

DetachedBuffer Dispatcher::MountOs(uint64_t id, const proto::MountOsRequest& request) {
  if (!ctx_.in_vm) {
    return daemon::ErrorResponse(
        id, ENOTSUP, "mount-os: mounting needs the daemon to run as PID 1 in the appliance");
  }
  const MountOsParams params{request.read_write(), request.replay(),
                             std::string(View(request.root()))};
  MountOsEnv env;
  env.sysroot = ctx_.sysroot;
  env.transfer_active = transfers_.active();
  env.unmount_single = [this] { return mounter_.Unmount(); };
  env.devices = FactsFromListing(storage_.List(false, params.read_write), ctx_.sys_block_dir);
  env.mountable_types = ctx_.filesystems;
  SysOsMountOps ops(ctx_.sysroot, ctx_.dev_dir, &loader_, params.replay && !params.read_write,
                    ctx_.sys_block_dir);
  OpResult<OsTreeData> tree = os_tree_.Mount(params, env, ops);
  if (!tree.ok()) return daemon::ErrorResponse(id, tree.error());
  return BuildMountOsReply(id, tree.value());
}

DetachedBuffer Dispatcher::ReadDir(uint64_t id, const proto::ReadDirRequest& request) {
  OpResult<DirPage> page =
      ReadDirPage(ctx_.sysroot, View(request.path()), request.start(), request.max_entries());
  if (!page.ok()) return daemon::ErrorResponse(id, page.error());
  FlatBufferBuilder fbb(64 * 1024);
  std::vector<Offset<proto::DirEntry>> entries;
  entries.reserve(page->entries.size());
  for (const DirEntryData& entry : page->entries) entries.push_back(BuildDirEntry(&fbb, entry));
  const auto reply =
      proto::CreateReadDirReply(fbb, fbb.CreateVector(entries), page->next, page->eof);
  return FinishReply(&fbb, id, proto::Reply::ReadDir, reply.Union());
}

DetachedBuffer Dispatcher::Shutdown(uint64_t id) {
  // Power-off unmounts the sysroot (init.h), which a tree's inner mounts would hold busy.
  if (OpResult<bool> released = ReleaseOsTree("shutdown"); !released.ok()) {
    LogWarning("%s", released.error().message.c_str());
  }
  FlatBufferBuilder fbb(64);
  const auto reply = proto::CreateShutdownReply(fbb);
  return FinishReply(&fbb, id, proto::Reply::Shutdown, reply.Union());
}

}  // namespace diskferry::daemon
