// Serve: the daemon's request loop over one control channel (the virtio-serial port in
// the appliance, a socket in tests).
//
// Blocking; runs on the calling thread and owns the Dispatcher for the session. The fd
// stays owned by the caller. SIGPIPE must be ignored by the process if `fd` is a socket
// (main does so), or a peer that closes early would kill it.
#ifndef DISKFERRY_DAEMON_SERVE_H_
#define DISKFERRY_DAEMON_SERVE_H_

#include "daemon/daemon_context.h"
#include "protocol/status.h"

namespace diskferry::daemon {

enum class ServeEnd {
  kPeerClosed,  // EOF between frames: the host went away
  kShutdown,    // a Shutdown request was answered
};

// Reads frames from `fd`, verifies each as a Request, dispatches it and writes the one
// Response. A frame that fails verification is answered with an Error (id 0, EPROTO) and
// the loop goes on. Waits for requests without a timeout: an idle host is normal, and the
// host notices a hung guest by the shm heartbeat and request timeouts.
// Errors end the loop: kProtocolError for a bad frame header (zero or oversized length:
// framing is lost), kUnavailable for EOF in the middle of a frame, kIoError when reading
// or writing fails.
Result<ServeEnd> Serve(int fd, const DaemonContext& ctx);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_SERVE_H_
