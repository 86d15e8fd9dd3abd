// Internal to ControlClient: copies verified reply tables into the plain structs of
// guest_types.h, checking what the Verifier cannot (the protocol's own promises).
// Pure functions; thread-safe.
#ifndef DISKFERRY_APPLIANCE_CONTROL_REPLIES_H_
#define DISKFERRY_APPLIANCE_CONTROL_REPLIES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/control_client.h"
#include "appliance/guest_types.h"
#include "protocol/frame.h"
#include "protocol/status.h"

namespace diskferry::internal {

// Status(kGuestError, "<ERRNO>: <message>"). A code that is not a plausible errno name
// ('E' then up to 15 of [A-Z0-9]) becomes "EPROTO".
Status GuestErrorStatus(const proto::Error& error);

HelloInfo ToHelloInfo(const proto::HelloReply& reply);
std::vector<FilesystemInfo> ToFilesystems(const proto::ListFilesystemsReply& reply);
MountInfo ToMountInfo(const proto::MountReply& reply);
// kProtocolError for a page longer than asked, an entry without a name or with a name
// that is ".", ".." or holds '/' or NUL, or a page that ends without eof yet does not move
// `next` past `start`.
Result<DirPage> ToDirPage(const proto::ReadDirReply& reply, uint64_t start, uint32_t max_entries);
// kProtocolError for more than kMaxSurveyCheckpoints checkpoints, a checkpoint path that
// fails ValidateRelativePath or does not come strictly after the previous one in walk
// order, or cumulative numbers that decrease or pass the reply's totals.
Result<SurveyResult> ToSurveyResult(const proto::SurveyReply& reply);

}  // namespace diskferry::internal

#endif  // DISKFERRY_APPLIANCE_CONTROL_REPLIES_H_
