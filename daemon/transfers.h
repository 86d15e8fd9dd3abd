// Transfers: the one extraction or injection in progress on a connection, and its lanes.
//
// Extraction: a GuestTreeReader (or, for deleted files, a DeletedFilesReader) feeds a LanePacker
// that fills the shared-memory lanes (ShmLaneMemory over the ivshmem region) or, without shm or
// when the host asks for the socket lane, HeapLaneMemory buffers whose bytes travel inline in the
// replies. Injection: a LaneUnpacker applies the host's buffers to a GuestTreeWriter. One transfer
// at a time: a second Start while one is active is EBUSY. A transfer ends with End(), or on the
// first failure that leaves it unusable (the host said something impossible, or the writer hit
// EROFS): the call fails and the transfer is dropped.
//
// Owned by the Dispatcher; called from the serving thread only (thread-compatible).
#ifndef DISKFERRY_DAEMON_TRANSFERS_H_
#define DISKFERRY_DAEMON_TRANSFERS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/daemon_context.h"
#include "daemon/guest_tree_writer.h"
#include "daemon/op_result.h"
#include "protocol/lane_memory.h"
#include "protocol/walk_order.h"

namespace diskferry::daemon {

// Stream buffers one ExtractNext fills at most: with shm the host keeps several requests
// in flight; on the socket lane every buffer travels in the reply, which must stay far
// below kMaxFrameSize (one batch plus one chunk is 2 MiB).
inline constexpr uint32_t kShmStreamPerFill = 4;
inline constexpr uint32_t kSocketStreamPerFill = 1;
// Socket-lane staging buffers of an extraction.
inline constexpr uint32_t kSocketBatchBuffers = 2;
inline constexpr uint32_t kSocketStreamBuffers = 4;

struct ExtractParams {
  std::vector<std::string> paths;
  uint64_t stream_threshold = 256 << 10;
  bool xattrs = false;
  bool use_shm = true;
  WalkRange range;  // unbounded: the whole walk (see GuestTreeReader)
  // The selection's patterns as the host sent them (checked by StartExtract).
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  // The deleted files of the filesystem at the sysroot (DeletedFilesReader) instead of a
  // walk of `paths`.
  bool recover_deleted = false;
};

struct InjectParams {
  std::string root;
  bool xattrs = false;
  bool use_shm = true;
  bool owners = true;
};

struct BufferRef {
  proto::Lane lane = proto::Lane::Batch;
  uint32_t index = 0;
};

// A lane buffer crossing the control channel. On the socket lane its bytes are
// `inline_data` (and desc.index is 0); on the shm lane inline_data is empty.
struct WireBuffer {
  BufferDesc desc;
  std::span<const uint8_t> inline_data;
};

struct ExtractBatch {
  std::vector<WireBuffer> buffers;  // inline_data valid until the next call on Transfers
  bool done = false;                // the walk is complete and everything was sent
};

struct InjectProgress {
  std::vector<BufferRef> release;  // every buffer applied, in order
  std::vector<FileError> errors;   // per-file failures since the last report
};

struct TransferSummary {
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::vector<FileError> errors;  // not yet reported
};

class Transfers {
 public:
  // `ctx` must outlive the Transfers; its shm mapping (if any) holds the lanes.
  explicit Transfers(const DaemonContext& ctx);
  ~Transfers();
  Transfers(const Transfers&) = delete;
  Transfers& operator=(const Transfers&) = delete;

  bool active() const { return state_ != State::kIdle; }

  // EBUSY while a transfer is active; those of DeletedFilesReader::Create and MountedDevice
  // when recovering deleted files; EINVAL for bad paths, a bad range (one that is
  // bounded with other than one path, or whose bounds are not relative entry paths) or a
  // bad selection (CheckSelection).
  // Returns the transfer id.
  OpResult<uint64_t> StartExtract(ExtractParams params);
  // Releases `release` (shm lane; the socket lane's buffers are released by the daemon
  // itself once in a reply, and a release list there is ignored), then fills what is
  // free. EPROTO for an impossible release; the walk's own failure ends the transfer.
  OpResult<ExtractBatch> ExtractNext(uint64_t id, std::span<const BufferRef> release);

  // Creates the root (mkdir -p); errors name it. Returns the transfer id.
  OpResult<uint64_t> StartInject(const InjectParams& params);
  // Applies the buffers in order. EPROTO when the unpacker refuses one (bad descriptor,
  // bad record), EROFS when the filesystem is read-only; both end the transfer.
  OpResult<InjectProgress> InjectPut(uint64_t id, std::span<const WireBuffer> buffers);

  // Ends the transfer. For an injection, finishes it first (directory metadata, syncfs);
  // EPROTO when stream files were left unfinished.
  OpResult<TransferSummary> End(uint64_t id);

 private:
  // kIdle --StartExtract--> kExtracting --End / failure--> kIdle
  // kIdle --StartInject--> kInjecting --End / failure--> kIdle
  enum class State { kIdle, kExtracting, kInjecting };
  struct Extract;
  struct Inject;

  OpResult<bool> Check(uint64_t id, State wanted) const;
  OpResult<bool> CheckIdle() const;
  // Drops the transfer.
  void Reset();
  // Drops the transfer and returns `error`.
  OpError Abort(OpError error);
  OpResult<ExtractBatch> Fill();

  const DaemonContext& ctx_;
  LaneMemory* ShmLanes();
  std::unique_ptr<LaneMemory> shm_;  // over ctx_.shm_base; null without shm
  State state_ = State::kIdle;
  uint64_t id_ = 0;
  uint64_t last_id_ = 0;
  std::unique_ptr<Extract> extract_;
  std::unique_ptr<Inject> inject_;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_TRANSFERS_H_
