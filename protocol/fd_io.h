// Blocking frame I/O over a stream: on Linux a file descriptor (a unix or TCP socket on
// the host, the virtio-serial port in the guest; fd_io.cc); on Windows a connected SOCKET
// held in the int (qemu-win/fd_io_win.cc, with send/recv/select).
//
// Thread-compatible: one reader and one writer per descriptor at a time.
#ifndef DISKFERRY_PROTOCOL_FD_IO_H_
#define DISKFERRY_PROTOCOL_FD_IO_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/frame.h"
#include "protocol/status.h"

namespace diskferry {

// Writes every byte, retrying on EINTR and short writes. (Each host's own.)
Status WriteAll(int fd, std::span<const uint8_t> bytes);

// Writes every byte to a C runtime descriptor that is not the control channel (stdout, a
// pipe, a file), unchanged: on Windows in binary mode, through _write; on Linux WriteAll.
// Errors name `what` ("writing /etc/hostname: Broken pipe").
Status WriteAllToFile(int fd, std::span<const uint8_t> bytes, const std::string& what);

// Waits up to `wait_ms` (< 0: forever) for bytes and reads what is there into `buf`: the
// count, 0 at end of stream, or nullopt when nothing came (or the wait was interrupted).
// kIoError otherwise. The primitive under ReadFrame; each host's own.
Result<std::optional<size_t>> ReadSomeWithin(int fd, std::span<uint8_t> buf, int wait_ms);

// Writes `body` as one frame. The framed copy is wiped afterwards (a frame may carry a key).
Status WriteFrame(int fd, std::span<const uint8_t> body);

// Returns the next frame body from `fd`, reading into `reader` as needed.
// timeout_ms < 0 waits forever. Errors: kTimeout, kUnavailable when the peer closed the
// stream (EOF), kProtocolError for a bad frame header, kIoError otherwise.
Result<std::vector<uint8_t>> ReadFrame(int fd, FrameReader* reader, int timeout_ms);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_FD_IO_H_
