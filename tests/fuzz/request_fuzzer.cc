// Fuzz target: what the daemon does with the bytes the host writes on the control channel:
// frames split as frames.h says, then VerifyRequest on each frame, then a read of the
// verified request's union (the dispatcher's first reads). The host is trusted, but the
// daemon must not crash on anything the channel carries: a crashed daemon is a hung
// appliance to the host.
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/frame.h"
#include "tests/fuzz/frames.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  ForEachFrame(data, size, [](std::span<const uint8_t> frame) {
    Result<const proto::Request*> request = VerifyRequest(frame);
    if (!request.ok()) return;
    // The dispatcher's first reads. A union type without its table passes the Verifier;
    // the dispatcher checks for that (WithBody in daemon/dispatcher.cc).
    const proto::Request& r = **request;
    (void)proto::EnumNameOp(r.op_type());
    (void)r.id();
    (void)r.op();
  });
  return 0;
}
