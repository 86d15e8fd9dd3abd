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
#include "protocol/launch_secret.h"
#include "protocol/status.h"

namespace diskferry::internal {

// Status(kGuestError, "<ERRNO>: <message>"). A code that is not a plausible errno name
// ('E' then up to 15 of [A-Z0-9]) becomes "EPROTO".
Status GuestErrorStatus(const proto::Error& error);

// ---- Limits on one reply (docs/security.md, "Control replies: limits") ----------------
// FlatBuffers lets many vector elements share one offset, so a small reply that passes
// the Verifier can list one string (or table) millions of times. Every decoder here
// checks each vector's length against a cap, and each string's size against its field's
// cap and against the reply's byte budget, before it copies anything. Passing any limit
// is kProtocolError naming the reply and the limit.
//
// Every string a decoder copies out of one reply, summed (after cutting display fields):
// an honest reply never shares strings, so its strings fit in its frame.
inline constexpr size_t kMaxReplyStringBytes = kMaxFrameSize;
// A directory entry's name (NAME_MAX).
inline constexpr size_t kMaxNameBytes = 255;
// A path or a symlink target (PATH_MAX, with its NUL: the kernel's longest is 4095).
inline constexpr size_t kMaxPathBytes = 4096;
// Hello: filesystem types the guest kernel offers (a kernel has about a hundred).
inline constexpr size_t kMaxHelloFilesystems = 1024;
// Hello: the launch secret echoed back is at most kMaxLaunchSecretBytes (64;
// protocol/launch_secret.h, shared with the daemon: the host draws 32).
// ListFilesystems and MountOs.
inline constexpr size_t kMaxListedFilesystems = 4096;
inline constexpr size_t kMaxAliases = 32;
inline constexpr size_t kMaxDevicePathBytes = 1024;
inline constexpr size_t kMaxReplyNotes = 256;  // problems, skipped entries, warnings
inline constexpr size_t kMaxOsMounts = 1024;
// ExtractNext buffers and InjectPut releases: lane buffers named in one reply. The shared
// region has a few hundred at most (shm_layout.h), and the daemon lists each buffer once.
inline constexpr size_t kMaxReplyBuffers = 4096;
// FileErrors in one InjectPut or TransferEnd reply (the byte budget bounds them too).
inline constexpr size_t kMaxReplyFileErrors = 65536;
// A FileError's message is cut to this many bytes.
inline constexpr size_t kMaxFileErrorMessageBytes = 1024;

// kProtocolError for more than kMaxHelloFilesystems filesystems, a launch secret longer
// than kMaxLaunchSecretBytes or strings past the budget; the versions are cut to 256 bytes and escaped, each filesystem to 64.
Result<HelloInfo> ToHelloInfo(const proto::HelloReply& reply);

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
// that is ".", ".." or holds '/' or NUL or is longer than kMaxNameBytes, a link target
// longer than kMaxPathBytes, or a page that ends without eof yet does not move `next`
// past `start`.
Result<DirPage> ToDirPage(const proto::ReadDirReply& reply, uint64_t start, uint32_t max_entries);
// kProtocolError for more than kMaxSurveyCheckpoints checkpoints, a checkpoint path that
// is longer than kMaxPathBytes or fails ValidateRelativePath or does not come strictly after the
// previous one in walk order, or cumulative numbers that decrease or pass the reply's totals.
Result<SurveyResult> ToSurveyResult(const proto::SurveyReply& reply);
// A Readlink reply's target, raw bytes. kProtocolError when it is missing or longer than
// kMaxPathBytes.
Result<std::string> ToSymlinkTarget(const proto::ReadlinkReply& reply);

// One per-file problem of a transfer (a FileError): the path as the daemon sent it
// (raw, at most kMaxPathBytes) and its message (raw, cut to kMaxFileErrorMessageBytes).
struct ReplyFileError {
  std::string path;
  std::string message;
};
// The FileErrors of an InjectPut or TransferEnd reply (`what` names it). kProtocolError
// for more than kMaxReplyFileErrors, a path longer than kMaxPathBytes, or strings past
// the budget. A null vector is no errors.
Result<std::vector<ReplyFileError>> ToFileErrors(
    const flatbuffers::Vector<flatbuffers::Offset<proto::FileError>>* errors,
    const std::string& what);
// kProtocolError for more than kMaxReplyBuffers buffers in an ExtractNext reply, or more
// than kMaxReplyBuffers releases or kMaxReplyFileErrors errors in an InjectPut reply.
// Check before acting on any element (each buffer queues a release in the next request).
Status CheckExtractNextReply(const proto::ExtractNextReply& reply);
Status CheckInjectPutReply(const proto::InjectPutReply& reply);

}  // namespace diskferry::internal

#endif  // DISKFERRY_APPLIANCE_CONTROL_REPLIES_H_
