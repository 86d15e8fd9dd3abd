#include "daemon/serve.h"

#include <cerrno>
#include <span>

#include "daemon/dispatcher.h"
#include "daemon/log.h"
#include "protocol/fd_io.h"
#include "protocol/frame.h"
#include "protocol/wipe.h"

namespace diskferry::daemon {
namespace {

Status Send(int fd, const flatbuffers::DetachedBuffer& response) {
  return WriteFrame(fd, std::span<const uint8_t>(response.data(), response.size()));
}

}  // namespace

Result<ServeEnd> Serve(int fd, const DaemonContext& ctx) {
  FrameReader reader;
  Dispatcher dispatcher(ctx);
  for (;;) {
    Result<std::vector<uint8_t>> frame = ReadFrame(fd, &reader, /*timeout_ms=*/-1);
    if (!frame.ok()) {
      // kUnavailable with nothing buffered is a clean close between frames.
      if (frame.status().code() == Code::kUnavailable && reader.buffered() == 0) {
        return ServeEnd::kPeerClosed;
      }
      return frame.status();
    }
    Result<const proto::Request*> request = VerifyRequest(*frame);
    if (!request.ok()) {
      // The id cannot be trusted from an unverified buffer, so the reply uses id 0.
      LogWarning("%s", request.status().message().c_str());
      Status sent = Send(fd, Dispatcher::ErrorResponse(0, EPROTO, request.status().message()));
      if (!sent.ok()) return sent;
      continue;
    }
    const bool carries_key = (*request)->op_type() == proto::Op::Unlock;
    Dispatcher::Outcome outcome = dispatcher.Dispatch(**request);
    // An UnlockRequest holds a LUKS key: nothing of it may stay in the daemon's memory.
    if (carries_key) WipeBytes(frame->data(), frame->size());
    if (Status sent = Send(fd, outcome.response); !sent.ok()) return sent;
    if (outcome.shutdown) return ServeEnd::kShutdown;
  }
}

}  // namespace diskferry::daemon
