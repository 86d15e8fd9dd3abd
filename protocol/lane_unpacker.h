// LaneUnpacker: applies received lane buffers to a TreeSink. The receiving side of a
// transfer, and the trust boundary for the buffers: every descriptor is checked against
// the lane's limits (index < count, length <= capacity), batch bytes are copied out of
// shared memory before they are decoded (RecordReader), and stream buffers must belong to
// a file announced by a kStreamFile record and not yet ended, with offset + length inside
// its announced size (overflow-safe). A failure names the buffer and, when known, the file.
// Stream data reaches the sink from a buffer that starts at a kStreamDataAlignment
// boundary, so a sink may write it with O_DIRECT. Thread-compatible.
#ifndef DISKFERRY_PROTOCOL_LANE_UNPACKER_H_
#define DISKFERRY_PROTOCOL_LANE_UNPACKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "protocol/lane_memory.h"
#include "protocol/page_aligned_allocator.h"
#include "protocol/tree_io.h"

namespace diskferry {

// The alignment of the bytes LaneUnpacker hands to TreeSink::OnStreamData.
inline constexpr size_t kStreamDataAlignment = kPageAlignment;

class LaneUnpacker {
 public:
  // `memory` holds the buffers for the shm lane; nullptr for the socket lane, where every
  // buffer's bytes arrive in `inline_data`. Neither pointer is owned.
  LaneUnpacker(TreeSink* sink, LaneMemory* memory);
  ~LaneUnpacker();

  // Applies one buffer. With `memory`, inline_data must be empty; without, desc.index is
  // ignored and desc.length must equal inline_data.size().
  Status Apply(const BufferDesc& desc, std::span<const uint8_t> inline_data);
  // Every announced stream file has ended; then sink->Finish().
  Status Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_LANE_UNPACKER_H_
