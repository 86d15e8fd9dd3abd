// The control fuzzers' common input: one byte saying where to split the rest into two
// reads (so that reassembly across reads is covered), then a byte stream that FrameReader
// splits into frames. ForEachFrame calls `body` with each whole frame, in order, until the
// stream ends or a frame header is refused.
#ifndef DISKFERRY_TESTS_FUZZ_FRAMES_H_
#define DISKFERRY_TESTS_FUZZ_FRAMES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/frame.h"

namespace diskferry {

template <typename Body>
void ForEachFrame(const uint8_t* data, size_t size, Body body) {
  if (size < 1) return;
  FrameReader reader;
  const std::span<const uint8_t> stream(data + 1, size - 1);
  const size_t split = data[0] % (stream.size() + 1);
  reader.Feed(stream.first(split));
  reader.Feed(stream.subspan(split));
  for (;;) {
    Result<std::optional<std::vector<uint8_t>>> frame = reader.Next();
    if (!frame.ok() || !frame->has_value()) return;
    body(std::span<const uint8_t>(**frame));
  }
}

}  // namespace diskferry

#endif  // DISKFERRY_TESTS_FUZZ_FRAMES_H_
