#include "protocol/fd_io.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace diskferry {

Status WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      return ErrnoStatus(errno, "write to control channel");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WriteFrame(int fd, std::span<const uint8_t> body) {
  std::vector<uint8_t> out;
  out.reserve(body.size() + kFrameHeaderSize);
  AppendFrame(body, &out);
  return WriteAll(fd, out);
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
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "poll control channel");
    }
    if (r == 0) continue;  // the deadline check above reports the timeout
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ErrnoStatus(errno, "read control channel");
    }
    if (n == 0) {
      return Status(Code::kUnavailable, "control channel closed by the peer" +
                                            std::string(reader->buffered() ? " mid-frame" : ""));
    }
    reader->Feed(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
  }
}

}  // namespace diskferry
