// ControlClient: the host end of the control channel (docs/design-notes.md, "Control channel").
// Sends Requests with fresh ids and returns the matching Responses, verified, as the
// plain structs of guest_types.h.
//
// Errors:
// - The daemon's own errors come back as Code::kGuestError with the message
//   "<ERRNO>: <daemon's message>", e.g. "ENOENT: /etc/fstab: no such file"; GuestErrno()
//   extracts the symbolic name. The channel stays usable.
// - Anything else breaks the channel for good (state kBroken) and every later call
//   returns kUnavailable naming the first failure: kTimeout (no reply in time: a late
//   reply would desynchronise the stream), kUnavailable (peer closed or reset the
//   socket: QEMU exited),
//   kProtocolError (bad frame, failed verification, unexpected id or reply type, a reply
//   that breaks the protocol's promises or passes a limit of control_replies.h, a request
//   that would pass kMaxFrameSize), kIoError. A kProtocolError message starts with
//   kMisbehavedPrefix ("protocol error: the appliance misbehaved: "); the CLI exits 70.
// - Every send has a deadline, the call's timeout: a guest that stops reading ends the
//   call with kTimeout (and breaks the channel) instead of blocking the host.
// Everything the daemon sends is untrusted: strings are bounded and stripped of control
// characters before they reach a Status; directory entries with impossible names are
// rejected.
//
// Sending to a peer that is gone fails with an error instead of raising SIGPIPE (blocked
// on the calling thread for the write), so callers need not ignore SIGPIPE.
//
// Threading: one caller at a time (the class is thread-compatible, not thread-safe), except
// activity(), which any thread may read at any time (a watchdog's).
// Send() may be called several times before the matching Receive()s (pipelining); the
// daemon answers in order, so Receive() expects ids in the order they were sent.
#ifndef DISKFERRY_APPLIANCE_CONTROL_CLIENT_H_
#define DISKFERRY_APPLIANCE_CONTROL_CLIENT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/guest_types.h"
#include "protocol/frame.h"
#include "protocol/glob.h"
#include "protocol/status.h"

namespace diskferry {

inline constexpr std::chrono::seconds kDefaultCallTimeout(30);
// ReadDirAll() gives up on directories larger than this (a hostile guest could page forever).
inline constexpr uint64_t kMaxReadDirAllEntries = uint64_t{1} << 24;
// ... or whose listing takes more host memory than this: each entry counts its names'
// bytes plus sizeof(DirEntryInfo). About five million entries with short names.
inline constexpr uint64_t kMaxReadDirAllBytes = uint64_t{1} << 30;

// The symbolic errno of a kGuestError status ("ENOENT"), or "" for any other status.
std::string_view GuestErrno(const Status& status);

// What the host saw of the guest on the control channel, on its own clock: for a watchdog
// that must not trust anything the guest writes (runner/appliance_pool.h).
struct ChannelActivity {
  // Requests sent whose Response has not arrived. 0 after Close() or a failure.
  uint32_t unanswered = 0;
  // When the guest last answered: the arrival of its last frame, or the sending of the
  // oldest unanswered request if that came later (steady_clock). The epoch before the first.
  std::chrono::steady_clock::time_point quiet_since;
  // How long the caller itself is prepared to wait: the timeout of the Call() in progress
  // (a Survey or an activation may take minutes), 0 for requests sent with Send() alone
  // (transfers, whose replies come within seconds). A watchdog waits at least this long.
  std::chrono::milliseconds patience{0};
};

struct DirPage {
  std::vector<DirEntryInfo> entries;
  uint64_t next = 0;  // start index of the next page
  bool eof = false;   // this page holds the last entry
};

// A verified Response together with the frame it lives in. Move-only.
class ResponseFrame {
 public:
  ResponseFrame(std::vector<uint8_t> body, const proto::Response* response)
      : body_(std::move(body)), response_(response) {}
  ResponseFrame(ResponseFrame&&) = default;
  ResponseFrame& operator=(ResponseFrame&&) = default;
  ResponseFrame(const ResponseFrame&) = delete;
  ResponseFrame& operator=(const ResponseFrame&) = delete;

  const proto::Response& response() const { return *response_; }

 private:
  std::vector<uint8_t> body_;  // response_ points into its heap buffer, which moves along
  const proto::Response* response_;
};

class ControlClient {
 public:
  // kOpen --transport, timeout or protocol failure--> kBroken
  // kOpen, kBroken --Close()--> kClosed
  enum class State { kOpen, kBroken, kClosed };

  // Builds the Op of a Request: returns its type and offset.
  using OpBuilder = std::function<std::pair<proto::Op, flatbuffers::Offset<void>>(
      flatbuffers::FlatBufferBuilder&)>;

  // Takes ownership of `fd`, a connected stream socket. `call_timeout` bounds each call
  // of the typed helpers that take no timeout.
  explicit ControlClient(int fd, std::chrono::milliseconds call_timeout = kDefaultCallTimeout);
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  ~ControlClient() { Close(); }

  // Sends one Request with a fresh id; returns the id. The write must end within
  // `timeout` (kTimeout otherwise, breaking the channel). A request larger than
  // kMaxFrameSize (only a guest can make one grow so, e.g. by listing buffers to release)
  // is kProtocolError, not sent.
  Result<uint64_t> Send(const OpBuilder& build, std::chrono::milliseconds timeout);
  // Send() within the client's call timeout.
  Result<uint64_t> Send(const OpBuilder& build) { return Send(build, call_timeout_); }
  // Waits up to `timeout` for the next Response, which must carry `id`.
  // A guest error is returned as kGuestError (the channel stays open).
  Result<ResponseFrame> Receive(uint64_t id, std::chrono::milliseconds timeout);
  // Send() then Receive(), each within `timeout`.
  Result<ResponseFrame> Call(const OpBuilder& build, std::chrono::milliseconds timeout);
  // Call(), then kProtocolError (breaking the channel) unless the reply is of `type`.
  Result<ResponseFrame> CallExpecting(const OpBuilder& build, proto::Reply type,
                                      std::chrono::milliseconds timeout);
  // For callers that decode a reply themselves (transfers, GuestFs): the reply broke the
  // protocol. Breaks the channel and returns kProtocolError "<kMisbehavedPrefix><what>".
  Status Misbehaved(std::string_view what);

  // Typed requests. Hello takes its own timeout: it spans the guest's boot.
  // It carries the host's clock and 32 random bytes for the guest's entropy pool.
  Result<HelloInfo> Hello(std::chrono::milliseconds timeout, const HelloOptions& options = {});
  Result<uint64_t> Ping(uint64_t payload);
  Result<std::vector<FilesystemInfo>> ListFilesystems();
  // ListFilesystems with the storage stack (docs/protocol.md): with `activate`, md arrays
  // are assembled and LVM volume groups activated first (read-write only with
  // `read_write`). Activation runs guest tools, hence `timeout`.
  Result<StorageListing> ListStorage(bool activate, bool read_write,
                                     std::chrono::milliseconds timeout);
  // Opens the LUKS container `device` with `key` (sent only in this message; the
  // request buffer is wiped after sending). Returns the plaintext device's name. A wrong
  // key is kGuestError with EKEYREJECTED. Key derivation (argon2) under TCG is slow,
  // hence `timeout`.
  Result<std::string> Unlock(const std::string& device, std::span<const uint8_t> key,
                             bool read_write, std::chrono::milliseconds timeout);
  // Mounts a whole OS tree (docs/protocol.md, MountOs). `root` empty: the daemon finds it.
  Result<OsTreeInfo> MountOs(bool read_write, bool replay, const std::string& root,
                             std::chrono::milliseconds timeout);
  // `fstype` empty: as probed by the daemon. `replay`: read-only mounts may replay a
  // journal (the device must be a throw-away overlay: docs/protocol.md, Mount).
  Result<MountInfo> Mount(const std::string& device, bool read_write, const std::string& fstype,
                          bool replay = false);
  Result<DirPage> ReadDir(const std::string& path, uint64_t start, uint32_t max_entries = 1024);
  // Every entry, paging through ReadDir. kProtocolError if the daemon stops making
  // progress or the directory exceeds `max_entries` or `max_bytes` (as kMaxReadDirAllBytes
  // counts them).
  Result<std::vector<DirEntryInfo>> ReadDirAll(const std::string& path,
                                               uint64_t max_entries = kMaxReadDirAllEntries,
                                               uint64_t max_bytes = kMaxReadDirAllBytes);
  // A metadata-only walk of `path` (absolute in the mounted filesystem) for planning
  // ranges: see SurveyResult and docs/protocol.md. A walk of a large filesystem takes a
  // while, hence its own timeout. The reply is checked (kProtocolError, breaking the
  // channel): at most kMaxSurveyCheckpoints checkpoints, each a valid relative path,
  // strictly increasing in walk order, with cumulative numbers that never decrease nor
  // exceed the totals. With `select`, only what it selects is counted (the guest walks
  // only there).
  Result<SurveyResult> Survey(const std::string& path, uint64_t checkpoint_weight,
                              uint64_t entry_weight, std::chrono::milliseconds timeout,
                              const SelectPatterns& select = {});
  // Asks the daemon to power the guest off. Ok once it acknowledged.
  Status Shutdown(std::chrono::milliseconds timeout);

  // Called once, on the caller's thread, when the channel goes kOpen --> kBroken, with the
  // failure. The appliance uses it to kill QEMU.
  void SetBrokenHook(std::function<void(const Status&)> hook) { broken_hook_ = std::move(hook); }

  // Closes the socket. Idempotent.
  void Close();

  State state() const { return state_; }
  std::chrono::milliseconds call_timeout() const { return call_timeout_; }
  // Any thread, concurrently with the caller's calls.
  ChannelActivity activity() const;

 private:
  // Every failure except a guest error goes through here: the stream is unusable after it.
  Status Break(Status why);
  Status CheckUsable() const;

  int fd_;
  std::chrono::milliseconds call_timeout_;
  State state_ = State::kOpen;
  Status broken_;  // why kBroken
  std::function<void(const Status&)> broken_hook_;
  uint64_t next_id_ = 1;
  FrameReader reader_;
  // activity(): written by the caller's thread only, read by any. quiet_since_ns_ is
  // stored before unanswered_ changes, so a reader that sees the count sees the time.
  std::atomic<uint32_t> unanswered_{0};
  std::atomic<int64_t> quiet_since_ns_{0};
  std::atomic<int64_t> patience_ms_{0};
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CONTROL_CLIENT_H_
