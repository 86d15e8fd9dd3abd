#include "daemon/replies.h"

#include <cerrno>

#include "daemon/sysroot_fs.h"
#include "protocol/errno_names.h"
#include "protocol/time_ns.h"

namespace diskferry::daemon {

using flatbuffers::DetachedBuffer;
using flatbuffers::FlatBufferBuilder;

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->c_str(), s->size());
}

std::span<const uint8_t> Bytes(const flatbuffers::Vector<uint8_t>* v) {
  return v == nullptr ? std::span<const uint8_t>() : std::span<const uint8_t>(v->data(), v->size());
}

std::vector<std::string> Strings(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  out.reserve(v->size());
  for (const flatbuffers::String* s : *v) out.emplace_back(View(s));
  return out;
}

DetachedBuffer ErrorResponse(uint64_t id, int err, std::string_view message) {
  FlatBufferBuilder fbb(256);
  const auto error = proto::CreateError(fbb, fbb.CreateString(ErrnoName(err)),
                                        fbb.CreateString(message.data(), message.size()));
  fbb.Finish(proto::CreateResponse(fbb, id, error));
  return fbb.Release();
}

DetachedBuffer ErrorResponse(uint64_t id, const OpError& error) {
  return ErrorResponse(id, error.err, error.message);
}

DetachedBuffer NoBodyResponse(uint64_t id) {
  return ErrorResponse(id, EPROTO, "request " + std::to_string(id) + " carries no op body");
}

DetachedBuffer FinishReply(FlatBufferBuilder* fbb, uint64_t id, proto::Reply type,
                           flatbuffers::Offset<void> reply) {
  fbb->Finish(proto::CreateResponse(*fbb, id, 0, type, reply));
  return fbb->Release();
}

DetachedBuffer EmptyOrError(uint64_t id, const OpResult<bool>& result) {
  if (!result.ok()) return ErrorResponse(id, result.error());
  FlatBufferBuilder fbb(64);
  return FinishReply(&fbb, id, proto::Reply::Empty, proto::CreateEmptyReply(fbb).Union());
}

proto::Stat ToProtoStat(const struct stat& st) {
  return proto::Stat(st.st_mode, st.st_uid, st.st_gid, static_cast<uint32_t>(st.st_nlink),
                     static_cast<uint64_t>(st.st_size), st.st_ino, st.st_rdev,
                     static_cast<uint64_t>(st.st_blocks), TimespecToNs(st.st_atim),
                     TimespecToNs(st.st_mtim), TimespecToNs(st.st_ctim));
}

}  // namespace diskferry::daemon
