// The platform bits of a control-channel stream socket that ControlClient needs beyond
// frame I/O (protocol/fd_io.h): closing it, asking whether the peer is gone, and writing
// without being killed by SIGPIPE. Internal to the launcher (control_client.cc, tests).
// control_stream_posix.cc is the Linux half (an AF_UNIX or TCP descriptor);
// qemu-win/control_stream_win.cc the Windows one (a SOCKET cast to int).
//
// Thread-safe: the functions act on the descriptor they are given only.
#ifndef DISKFERRY_APPLIANCE_CONTROL_STREAM_H_
#define DISKFERRY_APPLIANCE_CONTROL_STREAM_H_

#include <chrono>
#include <cstdint>
#include <span>

#include "protocol/status.h"

namespace diskferry {

// Writes every byte of `bytes` to the stream socket `fd` within `timeout`, retrying on
// EINTR and short writes, without ever blocking past the deadline (a guest that stops
// reading must not hold the host). kTimeout "... did not read ..." when the deadline
// passes with bytes left (the stream is then mid-frame: unusable), kIoError for a failed
// send (EPIPE when the peer is gone: no SIGPIPE is raised).
Status WriteStreamWithin(int fd, std::span<const uint8_t> bytes, std::chrono::milliseconds timeout);

// Closes the stream socket `fd` (ignored when negative).
void CloseStream(int fd);

// True when the other end of `fd` has hung up or reset the connection, so that a failed
// write or read means "QEMU exited" rather than an I/O error. Does not block, and
// consumes no data.
bool StreamPeerGone(int fd);

// While alive, writing to a stream whose peer is gone fails with an error (EPIPE on
// Linux) instead of raising SIGPIPE, which would end diskferry: on Linux SIGPIPE is
// blocked on the calling thread, and a SIGPIPE raised during the guard's life is
// swallowed at its end (one already pending before it stays pending). On Windows send()
// raises no signal and the guard does nothing. Not copyable nor movable: a scope guard.
class WriteGuard {
 public:
  WriteGuard();
  ~WriteGuard();
  WriteGuard(const WriteGuard&) = delete;
  WriteGuard& operator=(const WriteGuard&) = delete;

 private:
  bool was_blocked_ = false;  // SIGPIPE was already blocked: leave it so
  bool was_pending_ = false;  // SIGPIPE was already pending: not ours to swallow
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CONTROL_STREAM_H_
