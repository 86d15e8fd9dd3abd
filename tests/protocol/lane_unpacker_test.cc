#include "protocol/lane_unpacker.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace diskferry {
namespace {

using proto::Lane;

// Lane buffers in ordinary memory, standing in for the shm region (and independent of
// lane_memory.cc). Two batch slots of 4 KiB and three stream chunks of 64 bytes.
class FakeLaneMemory : public LaneMemory {
 public:
  FakeLaneMemory() : batch_(2, std::vector<uint8_t>(4096)), stream_(3, std::vector<uint8_t>(64)) {}
  uint32_t Count(Lane lane) const override {
    return static_cast<uint32_t>(lane == Lane::Batch ? batch_.size() : stream_.size());
  }
  uint64_t Capacity(Lane lane) const override { return lane == Lane::Batch ? 4096 : 64; }
  std::span<uint8_t> Buffer(Lane lane, uint32_t index) override {
    return lane == Lane::Batch ? batch_.at(index) : stream_.at(index);
  }

 private:
  std::vector<std::vector<uint8_t>> batch_;
  std::vector<std::vector<uint8_t>> stream_;
};

// Logs every call as a line; `fail_on` makes the call whose line starts with it fail.
class RecordingSink : public TreeSink {
 public:
  Status OnRecord(const Record& r) override {
    const std::string data(reinterpret_cast<const char*>(r.data.data()), r.data.size());
    return Log("record " + std::string(r.path) + (data.empty() ? "" : " " + data));
  }
  Status OnStreamData(uint64_t id, uint64_t offset, std::span<const uint8_t> data) override {
    return Log("data " + std::to_string(id) + "@" + std::to_string(offset) + " " +
               std::string(reinterpret_cast<const char*>(data.data()), data.size()));
  }
  Status OnStreamEnd(uint64_t id) override { return Log("end " + std::to_string(id)); }
  Status Finish() override { return Log("finish"); }

  std::vector<std::string> calls;
  std::string fail_on;
  std::function<void()> after_record;

 private:
  Status Log(std::string line) {
    const bool fail = !fail_on.empty() && line.rfind(fail_on, 0) == 0;
    calls.push_back(std::move(line));
    if (after_record && calls.back().rfind("record", 0) == 0) after_record();
    return fail ? Status(Code::kIoError, "sink refused") : Status::Ok();
  }
};

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Batch {
  Batch() = default;
  Batch(const Batch&) = delete;  // the writer points into `bytes`
  std::vector<uint8_t> bytes = std::vector<uint8_t>(4096);
  RecordWriter writer{bytes};

  Batch& File(std::string_view path, std::string_view data) {
    RecordMeta m;
    m.type = RecordType::kFile;
    m.size = data.size();
    EXPECT_TRUE(writer.Append(m, path, "", {}, Bytes(data)));
    return *this;
  }
  Batch& Stream(std::string_view path, uint64_t id, uint64_t size, std::string_view data = "") {
    RecordMeta m;
    m.type = RecordType::kStreamFile;
    m.file_id = id;
    m.size = size;
    EXPECT_TRUE(writer.Append(m, path, "", {}, Bytes(data)));
    return *this;
  }
  std::span<const uint8_t> view() const { return {bytes.data(), writer.used()}; }
};

BufferDesc BatchDesc(uint32_t index, const Batch& b) {
  BufferDesc d;
  d.lane = Lane::Batch;
  d.index = index;
  d.length = b.writer.used();
  d.records = b.writer.count();
  return d;
}

BufferDesc StreamDesc(uint32_t index, uint64_t id, uint64_t offset, uint64_t length, bool eof) {
  BufferDesc d;
  d.lane = Lane::Stream;
  d.index = index;
  d.file_id = id;
  d.offset = offset;
  d.length = length;
  d.eof = eof;
  return d;
}

class LaneUnpackerTest : public ::testing::Test {
 protected:
  // Copies `b` into batch slot `index` and applies it.
  Status PutBatch(uint32_t index, const Batch& b) {
    std::memcpy(memory_.Buffer(Lane::Batch, index).data(), b.bytes.data(), b.writer.used());
    return unpacker_.Apply(BatchDesc(index, b), {});
  }
  Status PutStream(uint32_t index, uint64_t id, uint64_t offset, std::string_view data, bool eof) {
    std::memcpy(memory_.Buffer(Lane::Stream, index).data(), data.data(), data.size());
    return unpacker_.Apply(StreamDesc(index, id, offset, data.size(), eof), {});
  }
  // A stream file "big" (id 7, 10 bytes) announced in batch slot 0.
  void AnnounceBig() { ASSERT_TRUE(PutBatch(0, Batch().Stream("big", 7, 10)).ok()); }

  static void ExpectProtocolError(const Status& st, std::string_view fragment) {
    EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
    EXPECT_NE(st.message().find(fragment), std::string::npos) << st.message();
  }

  FakeLaneMemory memory_;
  RecordingSink sink_;
  LaneUnpacker unpacker_{&sink_, &memory_};
};

TEST_F(LaneUnpackerTest, HandsBatchRecordsAndStreamDataToTheSinkInOrder) {
  ASSERT_TRUE(PutBatch(1, Batch().File("a", "hello").Stream("big", 7, 10).File("b", "")).ok());
  ASSERT_TRUE(PutStream(2, 7, 6, "6789", false).ok());
  ASSERT_TRUE(PutStream(0, 7, 0, "012345", true).ok());
  ASSERT_TRUE(unpacker_.Finish().ok());
  EXPECT_EQ(sink_.calls,
            (std::vector<std::string>{"record a hello", "record big", "record b", "data 7@6 6789",
                                      "data 7@0 012345", "end 7", "finish"}));
}

TEST_F(LaneUnpackerTest, SocketLaneTakesTheBytesInline) {
  LaneUnpacker socket(&sink_, nullptr);
  Batch b;
  b.Stream("big", 1, 3);
  BufferDesc batch = BatchDesc(99, b);  // the index is ignored without memory
  ASSERT_TRUE(socket.Apply(batch, b.view()).ok());
  ASSERT_TRUE(socket.Apply(StreamDesc(0, 1, 0, 3, true), Bytes("xyz")).ok());
  ASSERT_TRUE(socket.Finish().ok());
  EXPECT_EQ(sink_.calls,
            (std::vector<std::string>{"record big", "data 1@0 xyz", "end 1", "finish"}));
}

TEST_F(LaneUnpackerTest, StreamDataReachesTheSinkPageAlignedForDirectIo) {
  // The guest's writer hands these bytes to O_DIRECT writes, which refuse unaligned memory.
  std::vector<uintptr_t> addresses;
  class AddressSink : public RecordingSink {
   public:
    explicit AddressSink(std::vector<uintptr_t>* out) : out_(out) {}
    Status OnStreamData(uint64_t, uint64_t, std::span<const uint8_t> data) override {
      out_->push_back(reinterpret_cast<uintptr_t>(data.data()));
      return Status::Ok();
    }
    std::vector<uintptr_t>* out_;
  } sink(&addresses);
  LaneUnpacker shm(&sink, &memory_);
  LaneUnpacker socket(&sink, nullptr);
  Batch b;
  b.Stream("big", 7, 10);
  std::memcpy(memory_.Buffer(Lane::Batch, 0).data(), b.bytes.data(), b.writer.used());
  ASSERT_TRUE(shm.Apply(BatchDesc(0, b), {}).ok());
  std::memcpy(memory_.Buffer(Lane::Stream, 1).data(), "0123456789", 10);
  ASSERT_TRUE(shm.Apply(StreamDesc(1, 7, 0, 10, true), {}).ok());
  ASSERT_TRUE(socket.Apply(BatchDesc(0, b), b.view()).ok());
  ASSERT_TRUE(socket.Apply(StreamDesc(0, 7, 0, 3, false), Bytes("xyz")).ok());
  ASSERT_EQ(addresses.size(), 2u);
  for (const uintptr_t a : addresses) EXPECT_EQ(a % kStreamDataAlignment, 0u);
}

TEST_F(LaneUnpackerTest, EmptyEofBufferEndsAFile) {
  AnnounceBig();
  ASSERT_TRUE(PutStream(0, 7, 10, "", true).ok());
  ASSERT_TRUE(unpacker_.Finish().ok());
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"record big", "end 7", "finish"}));
}

TEST_F(LaneUnpackerTest, CopiesBatchBytesOutOfSharedMemoryBeforeDecoding) {
  Batch b;
  b.File("a", "first").File("b", "second");
  // The guest scribbles over the slot while the host is still applying it.
  sink_.after_record = [&] {
    auto slot = memory_.Buffer(Lane::Batch, 0);
    std::memset(slot.data(), 0xff, slot.size());
  };
  ASSERT_TRUE(PutBatch(0, b).ok());
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"record a first", "record b second"}));
}

TEST_F(LaneUnpackerTest, RejectsUnknownLane) {
  BufferDesc d = StreamDesc(0, 7, 0, 0, true);
  d.lane = static_cast<Lane>(2);
  ExpectProtocolError(unpacker_.Apply(d, {}), "unknown lane 2");
}

TEST_F(LaneUnpackerTest, RejectsBatchIndexOutOfRange) {
  Batch b;
  b.File("a", "x");
  ExpectProtocolError(unpacker_.Apply(BatchDesc(2, b), {}), "batch buffer 2: index out of range");
}

TEST_F(LaneUnpackerTest, RejectsStreamIndexOutOfRange) {
  AnnounceBig();
  ExpectProtocolError(unpacker_.Apply(StreamDesc(UINT32_MAX, 7, 0, 1, false), {}),
                      "index out of range");
}

TEST_F(LaneUnpackerTest, RejectsBatchLengthBeyondCapacity) {
  Batch b;
  b.File("a", "x");
  BufferDesc d = BatchDesc(0, b);
  d.length = 4097;
  ExpectProtocolError(unpacker_.Apply(d, {}), "exceeds the buffer capacity 4096");
}

TEST_F(LaneUnpackerTest, RejectsStreamLengthBeyondCapacity) {
  ASSERT_TRUE(PutBatch(0, Batch().Stream("big", 7, 1000)).ok());
  ExpectProtocolError(unpacker_.Apply(StreamDesc(1, 7, 0, 65, false), {}),
                      "stream buffer 1: length 65 exceeds the buffer capacity 64");
}

TEST_F(LaneUnpackerTest, RejectsInlineDataOnASharedMemoryLane) {
  Batch b;
  b.File("a", "x");
  ExpectProtocolError(unpacker_.Apply(BatchDesc(0, b), b.view()), "inline data");
}

TEST_F(LaneUnpackerTest, RejectsInlineLengthThatDiffersFromTheBytes) {
  LaneUnpacker socket(&sink_, nullptr);
  Batch b;
  b.File("a", "x");
  BufferDesc d = BatchDesc(0, b);
  d.length += 8;
  ExpectProtocolError(socket.Apply(d, b.view()), "inline batch buffer 0: length");
}

TEST_F(LaneUnpackerTest, RejectsInlineBuffersBeyondTheSocketLaneLimits) {
  std::vector<uint8_t> big(kSocketBatchSize + 1);
  BufferDesc batch;
  batch.lane = Lane::Batch;
  batch.length = big.size();
  LaneUnpacker first(&sink_, nullptr);
  ExpectProtocolError(first.Apply(batch, big), "exceeds the lane limit");

  LaneUnpacker second(&sink_, nullptr);
  Batch b;
  b.Stream("big", 1, kSocketChunkSize + 1);
  ASSERT_TRUE(second.Apply(BatchDesc(0, b), b.view()).ok());
  big.resize(kSocketChunkSize + 1);
  ExpectProtocolError(second.Apply(StreamDesc(0, 1, 0, big.size(), true), big),
                      "inline stream buffer 0: length 1048577 exceeds the lane limit");
}

TEST_F(LaneUnpackerTest, RejectsGarbageBatchBytes) {
  auto slot = memory_.Buffer(Lane::Batch, 0);
  std::memset(slot.data(), 0x5a, 512);
  BufferDesc d;
  d.lane = Lane::Batch;
  d.length = 512;
  d.records = 1;
  ExpectProtocolError(unpacker_.Apply(d, {}), "batch buffer 0: batch record 0");
  EXPECT_TRUE(sink_.calls.empty());
}

TEST_F(LaneUnpackerTest, RejectsMoreRecordsClaimedThanPresent) {
  Batch b;
  b.File("a", "x");
  std::memcpy(memory_.Buffer(Lane::Batch, 0).data(), b.bytes.data(), b.writer.used());
  BufferDesc d = BatchDesc(0, b);
  d.records = 2;
  ExpectProtocolError(unpacker_.Apply(d, {}), "truncated header");
}

TEST_F(LaneUnpackerTest, RejectsFewerRecordsClaimedThanPresent) {
  Batch b;
  b.File("a", "x").File("b", "y");
  std::memcpy(memory_.Buffer(Lane::Batch, 0).data(), b.bytes.data(), b.writer.used());
  BufferDesc d = BatchDesc(0, b);
  d.records = 1;
  ExpectProtocolError(unpacker_.Apply(d, {}), "bytes after the last record");
}

TEST_F(LaneUnpackerTest, RejectsStreamFileRecordWithInlineData) {
  ExpectProtocolError(PutBatch(0, Batch().Stream("big", 7, 3, "abc")), "carries inline data");
}

TEST_F(LaneUnpackerTest, RejectsUnknownFileId) {
  AnnounceBig();
  ExpectProtocolError(PutStream(0, 8, 0, "x", false), "stream buffer 0: file_id 8 was never");
}

TEST_F(LaneUnpackerTest, RejectsDataAfterEof) {
  AnnounceBig();
  ASSERT_TRUE(PutStream(0, 7, 0, "0123456789", true).ok());
  ExpectProtocolError(PutStream(1, 7, 0, "x", false), "file_id 7 after its end");
}

TEST_F(LaneUnpackerTest, RejectsOffsetPlusLengthBeyondAnnouncedSize) {
  AnnounceBig();
  ExpectProtocolError(PutStream(2, 7, 8, "abc", false),
                      "stream buffer 2: file_id 7 (\"big\"): offset 8 + length 3 beyond its "
                      "announced size 10");
}

TEST_F(LaneUnpackerTest, RejectsOffsetsThatOverflow) {
  AnnounceBig();
  ExpectProtocolError(PutStream(0, 7, UINT64_MAX, "x", false), "beyond its announced size");
  LaneUnpacker fresh(&sink_, &memory_);
  Batch b;
  b.Stream("big", 7, UINT64_MAX);
  std::memcpy(memory_.Buffer(Lane::Batch, 0).data(), b.bytes.data(), b.writer.used());
  ASSERT_TRUE(fresh.Apply(BatchDesc(0, b), {}).ok());
  // offset + length wraps to a small number: still refused.
  ExpectProtocolError(fresh.Apply(StreamDesc(0, 7, UINT64_MAX - 1, 3, false), {}),
                      "beyond its announced size");
}

TEST_F(LaneUnpackerTest, RejectsEofBufferOffsetPastTheEnd) {
  AnnounceBig();
  ExpectProtocolError(PutStream(0, 7, 11, "", true), "offset 11 + length 0");
}

TEST_F(LaneUnpackerTest, RejectsDuplicateLiveFileId) {
  AnnounceBig();
  ExpectProtocolError(PutBatch(1, Batch().Stream("other", 7, 5)),
                      "stream file \"other\" (file_id 7): id already in use by \"big\"");
}

TEST_F(LaneUnpackerTest, RejectsReuseOfAnEndedFileId) {
  AnnounceBig();
  ASSERT_TRUE(PutStream(0, 7, 0, "", true).ok());
  ExpectProtocolError(PutBatch(1, Batch().Stream("again", 7, 5)), "already used by an ended");
}

TEST_F(LaneUnpackerTest, FinishRefusesUnfinishedStreamFilesAndSkipsTheSink) {
  AnnounceBig();
  ExpectProtocolError(unpacker_.Finish(), "1 stream file(s) unfinished, first \"big\"");
  EXPECT_EQ(sink_.calls, std::vector<std::string>{"record big"});
}

TEST_F(LaneUnpackerTest, FailureIsSticky) {
  AnnounceBig();
  const Status first = PutStream(0, 9, 0, "x", false);
  ASSERT_EQ(first.code(), Code::kProtocolError);
  sink_.calls.clear();
  const Status again = PutStream(0, 7, 0, "0123456789", true);
  EXPECT_EQ(again.message(), first.message());
  EXPECT_EQ(unpacker_.Finish().message(), first.message());
  EXPECT_TRUE(sink_.calls.empty());
}

TEST_F(LaneUnpackerTest, SinkFailureStopsTheBatchAndIsSticky) {
  sink_.fail_on = "record b";
  const Status st = PutBatch(0, Batch().File("a", "").File("b", "").File("c", ""));
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(sink_.calls, (std::vector<std::string>{"record a", "record b"}));
  EXPECT_EQ(PutBatch(1, Batch().File("d", "")).code(), Code::kIoError);
  EXPECT_EQ(sink_.calls.size(), 2u);
}

TEST_F(LaneUnpackerTest, RefusesBuffersAfterFinish) {
  ASSERT_TRUE(unpacker_.Finish().ok());
  EXPECT_EQ(PutBatch(0, Batch().File("a", "")).code(), Code::kFailedPrecondition);
  EXPECT_EQ(unpacker_.Finish().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace diskferry
