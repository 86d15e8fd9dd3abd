// Tree transfers between the host and a running appliance's mounted filesystem, through
// the shared-memory lanes or the socket lane (protocol/lane_*.h; docs/protocol.md).
//
//   ExtractTree: guest paths --(guest LanePacker)--> buffers --(LaneUnpacker)--> TreeSink
//   InjectTree:  TreeSource --(LanePacker)--> buffers --(guest LaneUnpacker)--> guest dir
//
// Both keep `in_flight` requests outstanding so that one side fills buffers while the
// other drains them. Per-file problems (unreadable files, failed chmods in the guest) are
// collected in the result, not fatal; a protocol error or a dead appliance ends the
// transfer with an error. Threading: uses the appliance's ControlClient, so one transfer
// per appliance at a time, from one thread.
//
// The guest is untrusted (docs/security.md): a reply that breaks the protocol, a transfer
// that stops making progress (transfer_progress.h) or a file announced larger than
// max_file_size ends the transfer with kProtocolError "protocol error: the appliance
// misbehaved: ...", and closes the control channel: the appliance serves no other
// transfer.
#ifndef DISKFERRY_APPLIANCE_TRANSFER_H_
#define DISKFERRY_APPLIANCE_TRANSFER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "appliance/appliance.h"
#include "appliance/transfer_progress.h"
#include "protocol/glob.h"
#include "protocol/shm_layout.h"
#include "protocol/size_checking_sink.h"
#include "protocol/status.h"
#include "protocol/tree_io.h"
#include "protocol/walk_order.h"

namespace diskferry {

struct TransferOptions {
  bool use_shm = true;        // false, or no shm region: the socket lane
  bool xattrs = false;
  bool owners = true;         // inject: apply uid/gid in the guest
  uint64_t stream_threshold = 256u << 10;  // files above this go by the stream lane
  uint32_t in_flight = 2;
  std::chrono::milliseconds call_timeout = std::chrono::seconds(120);
  // Extract only: a range of the walk (protocol/walk_order.h), for splitting one large
  // extraction over several appliances or resuming one after the last path known done.
  // Bounds are relative entry paths as the records carry them ("etc/hostname" for the
  // start path "/etc"; "bin/ls" for "/"). The sink receives the directories on the way to
  // `after` first (outside the range, so that the range's parents exist; they may already
  // have been sent by the previous range), then exactly the entries after < e <= until.
  // A hard link whose first path is outside the range arrives as a file. A bounded range
  // needs exactly one guest path; the guest refuses it otherwise (kGuestError, EINVAL).
  WalkRange range;
  // Extract only: the guest walks only what these select (protocol/glob.h, anchored at the
  // guest root) and the directories on the way to it. The sink must still check each
  // record: the guest is untrusted. Empty: everything.
  SelectPatterns select;
  // Extract only: instead of walking guest paths, the guest sends the deleted files The
  // Sleuth Kit finds on the filesystem mounted at its root, at their original paths
  // (daemon/deleted_files.h); kError records stand for those it cannot recover. Range and
  // selection are ignored. The guest runs fls in ExtractStart and two icat per file in
  // ExtractNext: give call_timeout room.
  bool recover_deleted = false;
  // No new byte, record or file end for this long ends the transfer (transfer_progress.h).
  std::chrono::milliseconds progress_deadline = kDefaultProgressDeadline;
  // This many replies in a row without progress end the transfer.
  uint32_t max_idle_replies = kDefaultMaxIdleReplies;
  // Extract: a file announced larger than this ends the transfer.
  uint64_t max_file_size = kDefaultMaxFileSize;
  // The progress deadline's clock; null: std::chrono::steady_clock::now. For tests.
  SteadyClock clock;
};

// What a transfer uses of an appliance. Tests build one from a socketpair and a
// shared-memory file.
struct TransferChannel {
  ControlClient* control = nullptr;  // never null
  ShmRegion* shm = nullptr;          // null: the socket lane only
  uint64_t hello_shm_size = 0;       // the region size the guest announced at hello
};

TransferChannel ChannelOf(Appliance& appliance);

struct GuestProblem {
  std::string path;
  std::string message;
};

// The guest problems one transfer keeps, at most (replies add up: a TransferEnd reply may
// list kMaxReplyFileErrors, and an injection gets a list with every InjectPut reply).
inline constexpr size_t kMaxTransferProblems = 10000;
// Their path and message bytes, at most.
inline constexpr size_t kMaxTransferProblemBytes = size_t{4} << 20;

struct TransferResult {
  uint64_t files = 0;
  uint64_t bytes = 0;  // file bytes: small files' (in batches) and streamed ones
  bool used_shm = false;
  // The guest's per-file problems, in the order reported. Past kMaxTransferProblems entries
  // or kMaxTransferProblemBytes bytes the rest are only counted: the last entry then has an
  // empty path and the message "N more problems not listed".
  std::vector<GuestProblem> problems;
  uint64_t problems_not_listed = 0;  // counted in that last entry
  uint64_t problem_bytes = 0;        // path and message bytes of the listed problems

  // The problems the guest reported, listed or not.
  uint64_t problem_count() const {
    return problems_not_listed == 0 ? problems.size() : problems.size() - 1 + problems_not_listed;
  }
};

// Copies `guest_paths` (absolute in the mounted filesystem) into `sink`.
Result<TransferResult> ExtractTree(const TransferChannel& channel,
                                   const std::vector<std::string>& guest_paths, TreeSink* sink,
                                   const TransferOptions& options);
Result<TransferResult> ExtractTree(Appliance& appliance, const std::vector<std::string>& guest_paths,
                                   TreeSink* sink, const TransferOptions& options);

// Copies what `source` yields under `guest_root` (created if missing).
Result<TransferResult> InjectTree(const TransferChannel& channel, TreeSource* source,
                                  const std::string& guest_root, const TransferOptions& options);
Result<TransferResult> InjectTree(Appliance& appliance, TreeSource* source,
                                  const std::string& guest_root, const TransferOptions& options);

// The lane layout of the channel's region, after checking that the guest stamped the
// same layout the host computes. kProtocolError otherwise; kUnavailable with no region.
Result<ShmLayout> CheckedShmLayout(const TransferChannel& channel);
Result<ShmLayout> CheckedShmLayout(Appliance& appliance);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_TRANSFER_H_
