// Fuzz target: what the daemon does with the bytes the host writes on the control channel:
// after the split byte of control_reply_fuzzer.cc, FrameReader, then VerifyRequest on each frame,
// then a read of the verified request's union (the dispatcher's first reads). The host is trusted,
// but the daemon must not crash on anything the channel carries: a crashed daemon is a hung
// appliance to the host.
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  FrameReader reader;
  if (size < 1) return 0;
  const std::span<const uint8_t> stream(data + 1, size - 1);
  const size_t split = data[0] % (stream.size() + 1);
  reader.Feed(stream.first(split));
  reader.Feed(stream.subspan(split));
  for (;;) {
    Result<std::optional<std::vector<uint8_t>>> frame = reader.Next();
    if (!frame.ok() || !frame->has_value()) break;
    Result<const proto::Request*> request = VerifyRequest(**frame);
    if (!request.ok()) continue;
    // The dispatcher's first reads. A union type without its table passes the Verifier;
    // the dispatcher checks for that (WithBody in daemon/dispatcher.cc).
    const proto::Request& r = **request;
    (void)proto::EnumNameOp(r.op_type());
    (void)r.id();
    (void)r.op();
  }
  return 0;
}
