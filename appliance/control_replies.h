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
// Limits on what one ListFilesystems or MountOs reply may hold; more is kProtocolError.
inline constexpr size_t kMaxListedFilesystems = 4096;
inline constexpr size_t kMaxAliases = 32;
inline constexpr size_t kMaxDevicePathBytes = 1024;
inline constexpr size_t kMaxReplyNotes = 256;  // problems, skipped entries, warnings
inline constexpr size_t kMaxOsMounts = 1024;

// kProtocolError for more entries than the limits above, or a device name (or alias)
// that is empty, longer than kMaxDevicePathBytes, not under /dev/ or holding a byte
// outside printable ASCII. Labels, notes and problems are cut and escaped.
Result<StorageListing> ToStorageListing(const proto::ListFilesystemsReply& reply);
// The device Unlock opened: a device name as ToStorageListing checks it.
Result<std::string> ToUnlockedDevice(const proto::UnlockReply& reply);
// kProtocolError for more entries than the limits above, no mount, or a mount whose
// device fails the device-name check or whose mount point is not absolute.
Result<OsTreeInfo> ToOsTreeInfo(const proto::MountOsReply& reply);
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
