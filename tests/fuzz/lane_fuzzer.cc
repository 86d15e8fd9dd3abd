// Fuzz target: the receiving end of a tree transfer, LaneUnpacker with the record codec
// (protocol/lane_unpacker.h, lane_records.h), fed buffer descriptors and bytes as a guest
// would write them, over the shared-memory lane (HeapLaneMemory stands in for the ivshmem
// region) or the socket lane.
//
// Input: one byte choosing the lane (bit 0: shared memory), then buffers until the input
// ends, each a 24-byte little-endian header
//   u8 lane (0 batch, else stream) | u8 flags (bit 0 eof) | u16 records | u32 index |
//   u32 length | u32 file_id | u64 offset
// followed by up to `length` bytes of data (fewer if the input ends). The first failing
// buffer ends the transfer, as it does on the host; Finish() follows otherwise.
//
// The sink checks what LaneUnpacker promises it (each record's path valid, each stream
// buffer inside the size its kStreamFile record announced, no data after a file's end)
// and traps when a promise is broken.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>

#include "protocol/lane_memory.h"
#include "protocol/lane_records.h"
#include "protocol/lane_unpacker.h"
#include "protocol/tree_io.h"

namespace diskferry {
namespace {

constexpr size_t kHeaderSize = 24;
// Small buffers, so that lengths past a buffer's capacity are easy to reach.
constexpr uint32_t kSlots = 2;
constexpr uint64_t kSlotSize = 64 * 1024;

void Require(bool promise) {
  if (!promise) __builtin_trap();
}

class CheckingSink : public TreeSink {
 public:
  Status OnRecord(const Record& record) override {
    Require(ValidateRelativePath(record.path).ok());
    (void)DecodeXattrs(record.xattrs);
    if (record.meta.type == RecordType::kStreamFile) {
      Require(!streams_.contains(record.meta.file_id));
      streams_[record.meta.file_id] = Stream{record.meta.size, false};
    }
    return Status();
  }
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override {
    auto it = streams_.find(file_id);
    Require(it != streams_.end() && !it->second.ended);
    Require(offset <= it->second.size && data.size() <= it->second.size - offset);
    return Status();
  }
  Status OnStreamEnd(uint64_t file_id) override {
    auto it = streams_.find(file_id);
    Require(it != streams_.end() && !it->second.ended);
    it->second.ended = true;
    return Status();
  }
  Status Finish() override {
    for (const auto& [id, stream] : streams_) Require(stream.ended);
    return Status();
  }

 private:
  struct Stream {
    uint64_t size;
    bool ended;
  };
  std::map<uint64_t, Stream> streams_;
};

template <typename T>
T Load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);  // x86-64 and the wire are little-endian
  return value;
}

}  // namespace
}  // namespace diskferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  if (size < 1) return 0;
  const bool shm = (data[0] & 1) != 0;
  HeapLaneMemory memory(kSlots, kSlotSize, kSlots, kSlotSize);
  CheckingSink sink;
  LaneUnpacker unpacker(&sink, shm ? &memory : nullptr);
  size_t pos = 1;
  while (size - pos >= kHeaderSize) {
    const uint8_t* h = data + pos;
    BufferDesc desc;
    desc.lane = h[0] == 0 ? proto::Lane::Batch : proto::Lane::Stream;
    desc.eof = (h[1] & 1) != 0;
    desc.records = Load<uint16_t>(h + 2);
    desc.index = Load<uint32_t>(h + 4);
    desc.length = Load<uint32_t>(h + 8);
    desc.file_id = Load<uint32_t>(h + 12);
    desc.offset = Load<uint64_t>(h + 16);
    pos += kHeaderSize;
    const size_t n = std::min<uint64_t>(desc.length, size - pos);
    std::span<const uint8_t> bytes(data + pos, n);
    pos += n;
    Status applied;
    if (shm) {
      if (desc.index < memory.Count(desc.lane)) {
        std::span<uint8_t> buffer = memory.Buffer(desc.lane, desc.index);
        std::memcpy(buffer.data(), bytes.data(), std::min<size_t>(bytes.size(), buffer.size()));
      }
      applied = unpacker.Apply(desc, {});
    } else {
      applied = unpacker.Apply(desc, bytes);
    }
    if (!applied.ok()) return 0;
  }
  (void)unpacker.Finish();
  return 0;
}
