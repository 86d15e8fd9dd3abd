#include "tests/daemon/transfer_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/guest_tree_reader.h"
#include "protocol/lane_packer.h"
#include "protocol/lane_unpacker.h"

namespace diskferry::daemon::testing {
namespace {

using flatbuffers::DetachedBuffer;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

DetachedBuffer Finish(FlatBufferBuilder* fbb, proto::Op op, Offset<void> body) {
  fbb->Finish(proto::CreateRequest(*fbb, 1, op, body));
  return fbb->Release();
}

BufferDesc ToDesc(const proto::LaneBuffer& b) {
  return BufferDesc{b.lane(),    b.index(),  b.length(), b.records(),
                    b.file_id(), b.offset(), b.eof()};
}

std::span<const uint8_t> InlineBytes(const proto::LaneBuffer& b) {
  const auto* v = b.inline_data();
  return v == nullptr ? std::span<const uint8_t>() : std::span<const uint8_t>(v->data(), v->size());
}

void DecodeBatch(std::span<const uint8_t> bytes, uint32_t count, Extracted* out) {
  RecordReader reader(bytes, count);
  for (;;) {
    Result<std::optional<Record>> next = reader.Next();
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    if (!next->has_value()) return;
    const Record& r = **next;
    DecodedRecord d{r.meta, std::string(r.path), std::string(r.target),
                    std::string(r.data.begin(), r.data.end()), {}};
    Result<std::vector<std::pair<std::string, std::string>>> x = DecodeXattrs(r.xattrs);
    ASSERT_TRUE(x.ok());
    d.xattrs = std::move(x).value();
    if (r.meta.type == RecordType::kStreamFile) {
      out->streams[r.meta.file_id].assign(r.meta.size, '\0');
    }
    out->records.push_back(std::move(d));
  }
}

void TakeChunk(const BufferDesc& desc, std::span<const uint8_t> bytes, Extracted* out) {
  ASSERT_TRUE(out->streams.count(desc.file_id)) << "chunk before its kStreamFile record";
  std::string& file = out->streams[desc.file_id];
  ASSERT_LE(desc.offset + desc.length, file.size());
  std::copy(bytes.begin(), bytes.end(), file.begin() + static_cast<ptrdiff_t>(desc.offset));
  out->stream_bytes[desc.file_id] += desc.length;
}

}  // namespace

const DecodedRecord* Extracted::Find(const std::string& path) const {
  for (const DecodedRecord& r : records) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

void TransferTest::ConfigureContext(DaemonContext* ctx) {
  if (!shm()) return;
  const std::string dir = MakeTempDir("df-shm");
  const std::string path = dir + "/region";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, kTestShmSize), 0);
  ::close(fd);
  OpResult<ShmRegion> region = ShmRegion::Map(path);
  std::filesystem::remove_all(dir);  // the mapping keeps the memory
  ASSERT_TRUE(region.ok()) << region.error().message;
  region_ = std::move(region).value();
  AttachShm(&*region_, ctx);
  ASSERT_TRUE(ctx->shm_layout.has_value());
  shm_memory_ = std::make_unique<ShmLaneMemory>(region_->data(), *ctx->shm_layout);
}

DetachedBuffer TransferTest::ExtractStartRequest(const std::vector<std::string>& paths,
                                                 uint64_t threshold, bool xattrs, bool use_shm,
                                                 const WalkRange& range,
                                                 const SelectPatterns& select) {
  FlatBufferBuilder fbb;
  const auto body = proto::CreateExtractStartRequest(
      fbb, fbb.CreateVectorOfStrings(paths), threshold, xattrs, use_shm,
      fbb.CreateString(range.after), fbb.CreateString(range.until),
      fbb.CreateVectorOfStrings(select.include), fbb.CreateVectorOfStrings(select.exclude));
  return Finish(&fbb, proto::Op::ExtractStart, body.Union());
}

DetachedBuffer TransferTest::ExtractNextRequest(uint64_t id,
                                                const std::vector<BufferRef>& release) {
  FlatBufferBuilder fbb;
  std::vector<Offset<proto::BufferRef>> refs;
  for (const BufferRef& r : release) refs.push_back(proto::CreateBufferRef(fbb, r.lane, r.index));
  const auto body = proto::CreateExtractNextRequest(fbb, id, fbb.CreateVector(refs));
  return Finish(&fbb, proto::Op::ExtractNext, body.Union());
}

DetachedBuffer TransferTest::InjectStartRequest(const std::string& root, bool xattrs,
                                                bool use_shm, bool owners) {
  FlatBufferBuilder fbb;
  const auto body =
      proto::CreateInjectStartRequest(fbb, fbb.CreateString(root), xattrs, use_shm, owners);
  return Finish(&fbb, proto::Op::InjectStart, body.Union());
}

DetachedBuffer TransferTest::TransferEndRequest(uint64_t id) {
  FlatBufferBuilder fbb;
  return Finish(&fbb, proto::Op::TransferEnd, proto::CreateTransferEndRequest(fbb, id).Union());
}

uint64_t TransferTest::Started(const DetachedBuffer& start) {
  const proto::Response* response = CallOk(start);
  if (response == nullptr || response->reply_as_TransferStart() == nullptr) return 0;
  return response->reply_as_TransferStart()->transfer_id();
}

Extracted TransferTest::ExtractAll(const std::vector<std::string>& paths, uint64_t threshold,
                                   bool xattrs, const WalkRange& range,
                                   const SelectPatterns& select) {
  Extracted out;
  const uint64_t id = Started(ExtractStartRequest(paths, threshold, xattrs, shm(), range, select));
  std::vector<BufferRef> release;
  for (int round = 0; id != 0 && round < 100000; ++round) {
    const proto::Response* response = CallOk(ExtractNextRequest(id, release));
    release.clear();
    if (response == nullptr) break;
    const proto::ExtractNextReply* reply = response->reply_as_ExtractNext();
    for (const proto::LaneBuffer* b : *reply->buffers()) {
      const BufferDesc desc = ToDesc(*b);
      std::span<const uint8_t> bytes = InlineBytes(*b);
      if (shm()) {
        EXPECT_TRUE(bytes.empty());
        bytes = host_shm()->Buffer(desc.lane, desc.index).first(desc.length);
        release.push_back(BufferRef{desc.lane, desc.index});
        ++out.shm_buffers;
      } else {
        EXPECT_EQ(bytes.size(), desc.length);
        ++out.inline_buffers;
      }
      if (desc.lane == proto::Lane::Batch) {
        DecodeBatch(bytes, desc.records, &out);
      } else {
        TakeChunk(desc, bytes, &out);
      }
    }
    if (reply->done()) break;
  }
  const proto::Response* end = CallOk(TransferEndRequest(id));
  if (end != nullptr) {
    out.files = end->reply_as_TransferEnd()->files();
    out.bytes = end->reply_as_TransferEnd()->bytes();
  }
  return out;
}

std::vector<FileError> TransferTest::ExtractInto(const std::vector<std::string>& paths,
                                                 const std::string& dest) {
  OpResult<std::unique_ptr<GuestTreeWriter>> writer =
      GuestTreeWriter::Create(dest, "/", WriterOptions{true, true});
  EXPECT_TRUE(writer.ok());
  LaneUnpacker unpacker(writer->get(), host_shm());
  const uint64_t id = Started(ExtractStartRequest(paths, 64 << 10, true, shm()));
  std::vector<BufferRef> release;
  for (int round = 0; id != 0 && round < 100000; ++round) {
    const proto::Response* response = CallOk(ExtractNextRequest(id, release));
    release.clear();
    if (response == nullptr) break;
    const proto::ExtractNextReply* reply = response->reply_as_ExtractNext();
    for (const proto::LaneBuffer* b : *reply->buffers()) {
      const Status applied = unpacker.Apply(ToDesc(*b), InlineBytes(*b));
      EXPECT_TRUE(applied.ok()) << applied.ToString();
      if (shm()) release.push_back(BufferRef{b->lane(), b->index()});
    }
    if (reply->done()) break;
  }
  EXPECT_NE(CallOk(TransferEndRequest(id)), nullptr);
  const Status finished = unpacker.Finish();
  EXPECT_TRUE(finished.ok()) << finished.ToString();
  return (*writer)->TakeErrors();
}

Injected TransferTest::Inject(const std::string& src, const std::string& root, bool owners) {
  Injected result;
  OpResult<std::unique_ptr<GuestTreeReader>> reader = GuestTreeReader::Create(src, {"/"}, true);
  EXPECT_TRUE(reader.ok());
  HeapLaneMemory heap(2, kSocketBatchSize, 4, kSocketChunkSize);
  LaneMemory* memory = shm() ? host_shm() : &heap;
  LanePacker packer(reader->get(), memory, 64 << 10);
  const uint64_t id = Started(InjectStartRequest(root, true, shm(), owners));
  while (id != 0 && !packer.done()) {
    Result<std::vector<BufferDesc>> filled = packer.Fill(shm() ? 4 : 1);
    EXPECT_TRUE(filled.ok() && !filled->empty()) << filled.status().ToString();
    if (!filled.ok() || filled->empty()) break;
    FlatBufferBuilder fbb;
    std::vector<Offset<proto::LaneBuffer>> buffers;
    for (const BufferDesc& d : *filled) {
      const auto bytes = memory->Buffer(d.lane, d.index).first(d.length);
      const auto data = shm() ? Offset<flatbuffers::Vector<uint8_t>>()
                              : fbb.CreateVector(bytes.data(), bytes.size());
      buffers.push_back(proto::CreateLaneBuffer(fbb, d.lane, shm() ? d.index : 0, d.length,
                                                d.records, d.file_id, d.offset, d.eof, data));
    }
    const auto body = proto::CreateInjectPutRequest(fbb, id, fbb.CreateVector(buffers));
    const proto::Response* response = CallOk(Finish(&fbb, proto::Op::InjectPut, body.Union()));
    if (response == nullptr) break;
    const proto::InjectPutReply* reply = response->reply_as_InjectPut();
    EXPECT_EQ(reply->release()->size(), filled->size());
    for (const BufferDesc& d : *filled) EXPECT_TRUE(packer.Release(d.lane, d.index).ok());
    for (const proto::FileError* e : *reply->errors()) {
      result.errors.push_back(FileError{std::string(View(e->path())),
                                        std::string(View(e->code())),
                                        std::string(View(e->message()))});
    }
  }
  const proto::Response* end = CallOk(TransferEndRequest(id));
  if (end != nullptr) {
    result.files = end->reply_as_TransferEnd()->files();
    result.bytes = end->reply_as_TransferEnd()->bytes();
    for (const proto::FileError* e : *end->reply_as_TransferEnd()->errors()) {
      result.errors.push_back(FileError{std::string(View(e->path())),
                                        std::string(View(e->code())),
                                        std::string(View(e->message()))});
    }
  }
  return result;
}

}  // namespace diskferry::daemon::testing
