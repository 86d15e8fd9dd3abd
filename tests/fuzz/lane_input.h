// The lane fuzzers' common input (lane_fuzzer.cc, writer_fuzzer.cc): buffers until the
// input ends, each a 24-byte little-endian header
//   u8 lane (0 batch, else stream) | u8 flags (bit 0 eof) | u16 records | u32 index |
//   u32 length | u32 file_id | u64 offset
// followed by up to `length` bytes of data (fewer if the input ends). FeedLaneBuffers
// gives each to `unpacker` as the host would: on the shared-memory lane (`memory` given)
// the bytes are first copied into the buffer the header names, if it exists; on the
// socket lane they come with the descriptor. It returns false at the first buffer the
// unpacker refuses, which ends a transfer on the host too.
#ifndef DISKFERRY_TESTS_FUZZ_LANE_INPUT_H_
#define DISKFERRY_TESTS_FUZZ_LANE_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "protocol/lane_memory.h"
#include "protocol/lane_unpacker.h"

namespace diskferry {

inline constexpr size_t kLaneInputHeaderSize = 24;

template <typename T>
T LoadLittleEndian(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);  // x86-64 and the wire are little-endian
  return value;
}

inline bool FeedLaneBuffers(const uint8_t* data, size_t size, HeapLaneMemory* memory,
                            LaneUnpacker& unpacker) {
  size_t pos = 0;
  while (size - pos >= kLaneInputHeaderSize) {
    const uint8_t* h = data + pos;
    BufferDesc desc;
    desc.lane = h[0] == 0 ? proto::Lane::Batch : proto::Lane::Stream;
    desc.eof = (h[1] & 1) != 0;
    desc.records = LoadLittleEndian<uint16_t>(h + 2);
    desc.index = LoadLittleEndian<uint32_t>(h + 4);
    desc.length = LoadLittleEndian<uint32_t>(h + 8);
    desc.file_id = LoadLittleEndian<uint32_t>(h + 12);
    desc.offset = LoadLittleEndian<uint64_t>(h + 16);
    pos += kLaneInputHeaderSize;
    const size_t n = std::min<uint64_t>(desc.length, size - pos);
    std::span<const uint8_t> bytes(data + pos, n);
    pos += n;
    Status applied;
    if (memory != nullptr) {
      if (desc.index < memory->Count(desc.lane)) {
        std::span<uint8_t> buffer = memory->Buffer(desc.lane, desc.index);
        std::memcpy(buffer.data(), bytes.data(), std::min<size_t>(bytes.size(), buffer.size()));
      }
      applied = unpacker.Apply(desc, {});
    } else {
      applied = unpacker.Apply(desc, bytes);
    }
    if (!applied.ok()) return false;
  }
  return true;
}

}  // namespace diskferry

#endif  // DISKFERRY_TESTS_FUZZ_LANE_INPUT_H_
