// LanePacker: fills lane buffers from a TreeSource. The sending side of a transfer (the
// guest when extracting, the host when injecting).
//
// Files up to `stream_threshold` bytes, and every non-regular entry, go as records into a
// batch buffer; larger files get a kStreamFile record there and their bytes go through
// stream buffers, skipping holes (SEEK_DATA/SEEK_HOLE). A kStreamFile record is always
// returned in an earlier or the same Fill() as the first stream buffer of its file, and
// Fill() lists batch buffers before stream buffers: the receiver applies them in order.
// Thread-compatible.
#ifndef DISKFERRY_PROTOCOL_LANE_PACKER_H_
#define DISKFERRY_PROTOCOL_LANE_PACKER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "protocol/lane_memory.h"
#include "protocol/tree_io.h"

namespace diskferry {

struct PackerStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

class LanePacker {
 public:
  // Neither pointer is owned; both outlive the packer.
  LanePacker(TreeSource* source, LaneMemory* memory, uint64_t stream_threshold);
  ~LanePacker();

  // Fills free buffers: at most one batch buffer and at most `max_stream` stream buffers.
  // Returns them in apply order; empty when nothing is free or nothing is left.
  Result<std::vector<BufferDesc>> Fill(uint32_t max_stream);
  // The receiver has finished with a buffer; it may be filled again. Unknown or already
  // free buffers are kProtocolError (the peer said something impossible).
  Status Release(proto::Lane lane, uint32_t index);
  // The source is exhausted and every byte has been placed in a buffer.
  bool done() const;
  const PackerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_LANE_PACKER_H_
