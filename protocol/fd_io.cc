// protocol/fd_io.h's frames, on either host's primitives (fd_io_posix.cc,
// qemu-win/fd_io_win.cc).
#include "protocol/fd_io.h"

#include <chrono>
#include <string>

#include "protocol/wipe.h"

namespace diskferry {

Status WriteFrame(int fd, std::span<const uint8_t> body) {
  std::vector<uint8_t> out;
  out.reserve(body.size() + kFrameHeaderSize);
  AppendFrame(body, &out);
  Status written = WriteAll(fd, out);
  WipeBytes(out);  // a frame may carry a key (UnlockRequest)
  return written;
}

Result<std::vector<uint8_t>> ReadFrame(int fd, FrameReader* reader, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  uint8_t buf[64 * 1024];
  for (;;) {
    auto next = reader->Next();
    if (!next.ok()) return next.status();
    if (next->has_value()) return std::move(**next);

    int wait_ms = -1;
    if (timeout_ms >= 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Status(Code::kTimeout, "no reply on the control channel in time");
      wait_ms = static_cast<int>(left);
    }
    Result<std::optional<size_t>> got = ReadSomeWithin(fd, buf, wait_ms);
    if (!got.ok()) return got.status();
    if (!got->has_value()) continue;  // the deadline check above reports the timeout
    if (**got == 0) {
      return Status(Code::kUnavailable, "control channel closed by the peer" +
                                            std::string(reader->buffered() ? " mid-frame" : ""));
    }
    reader->Feed(std::span<const uint8_t>(buf, **got));
    WipeBytes(buf, **got);  // as FrameReader does: a frame may carry a key
  }
}

}  // namespace diskferry
