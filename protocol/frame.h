// Framing for the control channel: each frame is a 4-byte little-endian length followed by
// that many bytes of FlatBuffer (a Request from host to guest, a Response back).
//
// Everything here is pure logic over byte buffers: no I/O, no threads. The receive side
// refuses a frame before allocating for it when its declared length is zero or above
// kMaxFrameSize, and refuses any body the FlatBuffers Verifier rejects.
#ifndef DISKFERRY_PROTOCOL_FRAME_H_
#define DISKFERRY_PROTOCOL_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/diskferry_generated.h"
#include "protocol/status.h"

namespace diskferry {

inline constexpr uint32_t kFrameHeaderSize = 4;
// Largest frame body either side sends or accepts. Data frames of the socket lane are
// kept well below this; a peer announcing more is treated as hostile.
inline constexpr uint32_t kMaxFrameSize = 16u << 20;

// Appends the length prefix and `body` to `out`. `body` must be non-empty and at most
// kMaxFrameSize (a DF_CHECK: our own messages never exceed it).
void AppendFrame(std::span<const uint8_t> body, std::vector<uint8_t>* out);

// Reassembles frames from a byte stream. Feed() whatever arrived; Next() yields complete
// frame bodies in order. After Next() returns an error the stream is unusable (framing is
// lost), and every later call returns the same error. A frame's bytes are wiped from the
// reader's buffer once Next() has returned them (an UnlockRequest carries a key).
class FrameReader {
 public:
  FrameReader() = default;
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;
  FrameReader(FrameReader&&) = default;
  FrameReader& operator=(FrameReader&& other) noexcept;
  ~FrameReader();

  void Feed(std::span<const uint8_t> bytes);
  // A complete body, std::nullopt if more bytes are needed, or kProtocolError.
  Result<std::optional<std::vector<uint8_t>>> Next();
  // Bytes received but not yet returned as frames.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  Status error_;
};

// Runs the Verifier over `body` and returns the root table, or kProtocolError naming what
// was wrong. The returned pointer aliases `body`.
Result<const proto::Request*> VerifyRequest(std::span<const uint8_t> body);
Result<const proto::Response*> VerifyResponse(std::span<const uint8_t> body);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_FRAME_H_
