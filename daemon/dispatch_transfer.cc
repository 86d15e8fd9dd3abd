// The Dispatcher's part for the lanes: ExtractStart, ExtractNext, InjectStart, InjectPut,
// TransferEnd, turned into Transfers calls and back into replies.
#include <vector>

#include "daemon/replies.h"
#include "daemon/transfers.h"
#include "protocol/errno_names.h"

namespace diskferry::daemon {
namespace {

using flatbuffers::DetachedBuffer;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using flatbuffers::Vector;

DetachedBuffer Started(uint64_t id, const OpResult<uint64_t>& transfer) {
  if (!transfer.ok()) return ErrorResponse(id, transfer.error());
  FlatBufferBuilder fbb(64);
  const auto reply = proto::CreateTransferStartReply(fbb, transfer.value());
  return FinishReply(&fbb, id, proto::Reply::TransferStart, reply.Union());
}

DetachedBuffer ExtractStart(uint64_t id, Transfers* t, const proto::ExtractStartRequest& r) {
  ExtractParams params;
  if (r.paths() != nullptr) {
    for (const flatbuffers::String* path : *r.paths()) params.paths.emplace_back(View(path));
  }
  params.stream_threshold = r.stream_threshold();
  params.xattrs = r.xattrs();
  params.use_shm = r.use_shm();
  params.range.after = std::string(View(r.after()));
  params.range.until = std::string(View(r.until()));
  params.include = Strings(r.include());
  params.exclude = Strings(r.exclude());
  params.recover_deleted = r.recover_deleted();
  return Started(id, t->StartExtract(std::move(params)));
}

Offset<proto::LaneBuffer> BuildLaneBuffer(FlatBufferBuilder* fbb, const WireBuffer& b) {
  const auto data = b.inline_data.empty()
                        ? Offset<Vector<uint8_t>>()
                        : fbb->CreateVector(b.inline_data.data(), b.inline_data.size());
  const BufferDesc& d = b.desc;
  return proto::CreateLaneBuffer(*fbb, d.lane, d.index, d.length, d.records, d.file_id, d.offset,
                                 d.eof, data);
}

DetachedBuffer ExtractNext(uint64_t id, Transfers* t, const proto::ExtractNextRequest& r) {
  std::vector<BufferRef> release;
  if (r.release() != nullptr) {
    for (const proto::BufferRef* ref : *r.release()) {
      release.push_back(BufferRef{ref->lane(), ref->index()});
    }
  }
  OpResult<ExtractBatch> batch = t->ExtractNext(r.transfer_id(), release);
  if (!batch.ok()) return ErrorResponse(id, batch.error());
  size_t bytes = 1024;
  for (const WireBuffer& b : batch->buffers) bytes += b.inline_data.size() + 128;
  FlatBufferBuilder fbb(bytes);
  std::vector<Offset<proto::LaneBuffer>> buffers;
  for (const WireBuffer& b : batch->buffers) buffers.push_back(BuildLaneBuffer(&fbb, b));
  const auto reply = proto::CreateExtractNextReply(fbb, fbb.CreateVector(buffers), batch->done);
  return FinishReply(&fbb, id, proto::Reply::ExtractNext, reply.Union());
}

DetachedBuffer InjectStart(uint64_t id, Transfers* t, const proto::InjectStartRequest& r) {
  InjectParams params;
  params.root = std::string(View(r.root()));
  params.xattrs = r.xattrs();
  params.use_shm = r.use_shm();
  params.owners = r.owners();
  return Started(id, t->StartInject(params));
}

Offset<Vector<Offset<proto::FileError>>> BuildErrors(FlatBufferBuilder* fbb,
                                                     const std::vector<FileError>& errors) {
  std::vector<Offset<proto::FileError>> out;
  out.reserve(errors.size());
  for (const FileError& e : errors) {
    out.push_back(proto::CreateFileError(*fbb, fbb->CreateString(e.path),
                                         fbb->CreateString(e.code), fbb->CreateString(e.message)));
  }
  return fbb->CreateVector(out);
}

DetachedBuffer InjectPut(uint64_t id, Transfers* t, const proto::InjectPutRequest& r) {
  std::vector<WireBuffer> buffers;
  if (r.buffers() != nullptr) {
    for (const proto::LaneBuffer* b : *r.buffers()) {
      const BufferDesc desc{b->lane(),   b->index(),  b->length(), b->records(),
                            b->file_id(), b->offset(), b->eof()};
      buffers.push_back(WireBuffer{desc, Bytes(b->inline_data())});
    }
  }
  OpResult<InjectProgress> progress = t->InjectPut(r.transfer_id(), buffers);
  if (!progress.ok()) return ErrorResponse(id, progress.error());
  FlatBufferBuilder fbb(1024);
  std::vector<Offset<proto::BufferRef>> release;
  for (const BufferRef& ref : progress->release) {
    release.push_back(proto::CreateBufferRef(fbb, ref.lane, ref.index));
  }
  const auto errors = BuildErrors(&fbb, progress->errors);
  const auto reply = proto::CreateInjectPutReply(fbb, fbb.CreateVector(release), errors);
  return FinishReply(&fbb, id, proto::Reply::InjectPut, reply.Union());
}

DetachedBuffer TransferEnd(uint64_t id, Transfers* t, const proto::TransferEndRequest& r) {
  OpResult<TransferSummary> summary = t->End(r.transfer_id());
  if (!summary.ok()) return ErrorResponse(id, summary.error());
  FlatBufferBuilder fbb(1024);
  const auto errors = BuildErrors(&fbb, summary->errors);
  const auto reply = proto::CreateTransferEndReply(fbb, summary->files, summary->bytes, errors);
  return FinishReply(&fbb, id, proto::Reply::TransferEnd, reply.Union());
}

}  // namespace

std::optional<DetachedBuffer> DispatchTransferOp(Transfers* transfers,
                                                 const proto::Request& request) {
  const uint64_t id = request.id();
  Transfers* t = transfers;
  switch (request.op_type()) {
    case proto::Op::ExtractStart:
      return WithBody<proto::ExtractStartRequest>(
          request, [&](auto& r) { return ExtractStart(id, t, r); });
    case proto::Op::ExtractNext:
      return WithBody<proto::ExtractNextRequest>(request,
                                                 [&](auto& r) { return ExtractNext(id, t, r); });
    case proto::Op::InjectStart:
      return WithBody<proto::InjectStartRequest>(request,
                                                 [&](auto& r) { return InjectStart(id, t, r); });
    case proto::Op::InjectPut:
      return WithBody<proto::InjectPutRequest>(request,
                                               [&](auto& r) { return InjectPut(id, t, r); });
    case proto::Op::TransferEnd:
      return WithBody<proto::TransferEndRequest>(request,
                                                 [&](auto& r) { return TransferEnd(id, t, r); });
    default:
      return std::nullopt;
  }
}

}  // namespace diskferry::daemon
