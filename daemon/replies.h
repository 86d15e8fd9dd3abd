// Building Responses: the helpers the Dispatcher's parts share (dispatcher.cc for session
// and mount requests, dispatch_fs.cc for filesystem requests, dispatch_transfer.cc for the
// lanes). Nothing outside the dispatcher builds a Response (docs/style.md).
//
// Stateless functions; thread-safe.
#ifndef DISKFERRY_DAEMON_REPLIES_H_
#define DISKFERRY_DAEMON_REPLIES_H_

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "daemon/op_result.h"
#include "protocol/diskferry_generated.h"

namespace diskferry::daemon {

class Transfers;

// Strings from a verified buffer keep their full size, so an embedded NUL stays visible
// to the handlers (which reject it) instead of silently truncating the path.
std::string_view View(const flatbuffers::String* s);
std::span<const uint8_t> Bytes(const flatbuffers::Vector<uint8_t>* v);
// Each string of `v` (View), none for an absent vector.
std::vector<std::string> Strings(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v);

// A Response with `id`, no reply and Error{ErrnoName(err), message}.
flatbuffers::DetachedBuffer ErrorResponse(uint64_t id, int err, std::string_view message);
flatbuffers::DetachedBuffer ErrorResponse(uint64_t id, const OpError& error);
// EPROTO: the request's union type names an op but carries no table.
flatbuffers::DetachedBuffer NoBodyResponse(uint64_t id);
// Finishes `fbb` as a Response with `id` and the reply.
flatbuffers::DetachedBuffer FinishReply(flatbuffers::FlatBufferBuilder* fbb, uint64_t id,
                                        proto::Reply type, flatbuffers::Offset<void> reply);
// EmptyReply on success, the Error otherwise.
flatbuffers::DetachedBuffer EmptyOrError(uint64_t id, const OpResult<bool>& result);

proto::Stat ToProtoStat(const struct stat& st);

// Calls `build(body)` with the request's table of type Req, or answers NoBodyResponse: a
// union type with no table passes the Verifier.
template <typename Req, typename Build>
flatbuffers::DetachedBuffer WithBody(const proto::Request& request, Build build) {
  const Req* body = request.op_as<Req>();
  if (body == nullptr) return NoBodyResponse(request.id());
  return build(*body);
}

// The Response to a filesystem request (Lstat ... Sync and Survey, except Umount which
// belongs to the Mounter); nullopt when `request` is not one.
std::optional<flatbuffers::DetachedBuffer> DispatchFsOp(const std::string& sysroot,
                                                        const proto::Request& request);
// The Response to a transfer request (ExtractStart ... TransferEnd); nullopt when
// `request` is not one.
std::optional<flatbuffers::DetachedBuffer> DispatchTransferOp(Transfers* transfers,
                                                              const proto::Request& request);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_REPLIES_H_
