// Lane buffers: batch slots and stream chunks, in the ivshmem region (ShmLaneMemory) or in
// ordinary memory for the socket lane (HeapLaneMemory), behind one interface.
// Thread-compatible.
#ifndef DISKFERRY_PROTOCOL_LANE_MEMORY_H_
#define DISKFERRY_PROTOCOL_LANE_MEMORY_H_

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/diskferry_generated.h"
#include "protocol/shm_layout.h"

namespace diskferry {

// Socket-lane sizes: a buffer travels inside one frame, well under kMaxFrameSize.
inline constexpr uint64_t kSocketBatchSize = 1u << 20;
inline constexpr uint64_t kSocketChunkSize = 1u << 20;

// What a filled buffer holds (the host and guest copy of a proto::LaneBuffer).
struct BufferDesc {
  proto::Lane lane = proto::Lane::Batch;
  uint32_t index = 0;
  uint64_t length = 0;
  uint32_t records = 0;   // batch
  uint64_t file_id = 0;   // stream
  uint64_t offset = 0;    // stream
  bool eof = false;       // stream: last buffer of file_id
};

class LaneMemory {
 public:
  virtual ~LaneMemory() = default;
  virtual uint32_t Count(proto::Lane lane) const = 0;
  virtual uint64_t Capacity(proto::Lane lane) const = 0;
  // The whole buffer. Precondition (DF_CHECK): index < Count(lane). Callers holding an
  // index from the peer check it first (LaneUnpacker does).
  virtual std::span<uint8_t> Buffer(proto::Lane lane, uint32_t index) = 0;
};

// Over a mapped region whose layout both sides computed with ComputeShmLayout.
class ShmLaneMemory : public LaneMemory {
 public:
  ShmLaneMemory(uint8_t* base, const ShmLayout& layout) : base_(base), layout_(layout) {}
  uint32_t Count(proto::Lane lane) const override;
  uint64_t Capacity(proto::Lane lane) const override;
  std::span<uint8_t> Buffer(proto::Lane lane, uint32_t index) override;

 private:
  uint8_t* base_;
  ShmLayout layout_;
};

// Plain memory: the socket lane stages buffers here before they go into frames.
class HeapLaneMemory : public LaneMemory {
 public:
  HeapLaneMemory(uint32_t batch_count, uint64_t batch_size, uint32_t stream_count,
                 uint64_t chunk_size);
  uint32_t Count(proto::Lane lane) const override;
  uint64_t Capacity(proto::Lane lane) const override;
  std::span<uint8_t> Buffer(proto::Lane lane, uint32_t index) override;

 private:
  std::vector<std::vector<uint8_t>> batch_;
  std::vector<std::vector<uint8_t>> stream_;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_LANE_MEMORY_H_
