// Fuzz target: the receiving end of a tree transfer, LaneUnpacker with the record codec
// (protocol/lane_unpacker.h, lane_records.h), fed buffer descriptors and bytes as a guest
// would write them, over the shared-memory lane (HeapLaneMemory stands in for the ivshmem
// region) or the socket lane.
//
// Input: one byte choosing the lane (bit 0: shared memory), then buffers as lane_input.h
// reads them. The first failing buffer ends the transfer, as it does on the host; Finish()
// follows otherwise.
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
#include "tests/fuzz/lane_input.h"

namespace diskferry {
namespace {

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

}  // namespace
}  // namespace diskferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  if (size < 1) return 0;
  const bool shm = (data[0] & 1) != 0;
  HeapLaneMemory memory(kSlots, kSlotSize, kSlots, kSlotSize);
  CheckingSink sink;
  LaneUnpacker unpacker(&sink, shm ? &memory : nullptr);
  if (!FeedLaneBuffers(data + 1, size - 1, shm ? &memory : nullptr, unpacker)) return 0;
  (void)unpacker.Finish();
  return 0;
}
