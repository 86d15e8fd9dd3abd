#include "protocol/lane_memory.h"

#include "protocol/check.h"

namespace diskferry {

uint32_t ShmLaneMemory::Count(proto::Lane lane) const {
  return lane == proto::Lane::Batch ? layout_.batch_slots : layout_.stream_chunks;
}

uint64_t ShmLaneMemory::Capacity(proto::Lane lane) const {
  return lane == proto::Lane::Batch ? layout_.batch_slot_size : layout_.stream_chunk_size;
}

std::span<uint8_t> ShmLaneMemory::Buffer(proto::Lane lane, uint32_t index) {
  DF_CHECK(index < Count(lane));
  const uint64_t first =
      lane == proto::Lane::Batch ? layout_.batch_offset : layout_.stream_offset;
  const uint64_t size = Capacity(lane);
  // ComputeShmLayout keeps every buffer inside the region, so this cannot overflow.
  return {base_ + first + uint64_t{index} * size, static_cast<size_t>(size)};
}

HeapLaneMemory::HeapLaneMemory(uint32_t batch_count, uint64_t batch_size, uint32_t stream_count,
                               uint64_t chunk_size)
    : batch_(batch_count, std::vector<uint8_t>(batch_size)),
      stream_(stream_count, std::vector<uint8_t>(chunk_size)) {}

uint32_t HeapLaneMemory::Count(proto::Lane lane) const {
  return static_cast<uint32_t>(lane == proto::Lane::Batch ? batch_.size() : stream_.size());
}

uint64_t HeapLaneMemory::Capacity(proto::Lane lane) const {
  const auto& buffers = lane == proto::Lane::Batch ? batch_ : stream_;
  return buffers.empty() ? 0 : buffers.front().size();
}

std::span<uint8_t> HeapLaneMemory::Buffer(proto::Lane lane, uint32_t index) {
  DF_CHECK(index < Count(lane));
  auto& buffers = lane == proto::Lane::Batch ? batch_ : stream_;
  return buffers[index];
}

}  // namespace diskferry
