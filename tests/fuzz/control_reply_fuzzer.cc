// Fuzz target: what the host does with the bytes a guest writes on the control channel.
// The input is that of frames.h: FrameReader splits it into frames, VerifyResponse checks
// each body, and the reply decoders of appliance/control_replies.h read the verified tables,
// as ControlClient does. A crash, a sanitizer report or an exception is a finding; a refused
// frame is the expected outcome for most inputs.
#include <cstddef>
#include <cstdint>
#include <span>

#include "appliance/control_replies.h"
#include "protocol/frame.h"
#include "tests/fuzz/frames.h"

namespace diskferry {
namespace {

// A ReadDir page is decoded against what was asked: a start and a page size from the
// request id, so the fuzzer reaches both "page longer than asked" and "does not advance".
void DecodeReply(const proto::Response& response) {
  if (response.error() != nullptr) (void)internal::GuestErrorStatus(*response.error());
  if (const auto* r = response.reply_as_Hello()) (void)internal::ToHelloInfo(*r);
  if (const auto* r = response.reply_as_ListFilesystems()) (void)internal::ToStorageListing(*r);
  if (const auto* r = response.reply_as_Unlock()) (void)internal::ToUnlockedDevice(*r);
  if (const auto* r = response.reply_as_MountOs()) (void)internal::ToOsTreeInfo(*r);
  if (const auto* r = response.reply_as_Mount()) (void)internal::ToMountInfo(*r);
  if (const auto* r = response.reply_as_ReadDir()) {
    const uint64_t id = response.id();
    (void)internal::ToDirPage(*r, id & 0xffff, static_cast<uint32_t>((id >> 16) & 0xfff) + 1);
  }
  if (const auto* r = response.reply_as_Survey()) (void)internal::ToSurveyResult(*r);
}

}  // namespace
}  // namespace diskferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  ForEachFrame(data, size, [](std::span<const uint8_t> frame) {
    Result<const proto::Response*> response = VerifyResponse(frame);
    if (response.ok()) DecodeReply(**response);
  });
  return 0;
}
