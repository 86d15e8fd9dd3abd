// Appliances without a VM for whole-run tests (RunManifest over RunSeams::open): the
// daemon's serve loop on a thread of its own, serving a scratch directory over a
// socketpair, optionally behind a ChannelTap that sees every frame between the host and
// the daemon and can cut the channel (as QEMU dying would) or hold it (as a hung guest
// would) at a chosen frame. Used by tests/runner/hostile_run_test.cc (the honest job) and
// tests/runner/run_manifest_test.cc (resume, retries, split, fail_fast, cancellation).
//
// Threading: InProcessDaemon and ChannelTap each run their own threads; their public
// methods may be called from any thread. A TapScript's functions are called on the tap's
// threads (one for requests, one for replies), so what they touch must be guarded.
#ifndef DISKFERRY_TESTS_RUNNER_DAEMON_SESSIONS_H_
#define DISKFERRY_TESTS_RUNNER_DAEMON_SESSIONS_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "appliance/image_session.h"
#include "daemon/daemon_context.h"
#include "protocol/diskferry_generated.h"
#include "protocol/status.h"
#include "runner/appliance_pool.h"

namespace diskferry::testing {

// The daemon's serve loop over a socketpair, against `root`, on its own thread.
class InProcessDaemon {
 public:
  explicit InProcessDaemon(const std::string& root);
  ~InProcessDaemon();
  InProcessDaemon(const InProcessDaemon&) = delete;
  InProcessDaemon& operator=(const InProcessDaemon&) = delete;

  // The host's end; the caller owns it (a ControlClient or a ChannelTap).
  int TakeHostFd();
  // Hangs up the daemon's end: its serve loop ends, the host sees the peer close.
  void HangUp();

 private:
  daemon::DaemonContext ctx_;
  int host_fd_ = -1;
  int guest_fd_ = -1;
  std::thread thread_;
};

// What a tap does with a reply from the daemon.
enum class TapAction {
  kForward,         // passes it on
  kForwardThenCut,  // passes it on, then hangs up both ends (the appliance died)
  kHold,            // passes neither it nor anything after it on, until Cut()
};

struct TapScript {
  // Each request from the host, before it is passed on. Optional.
  std::function<void(const proto::Request&)> on_request;
  // Each reply from the daemon. Optional: every reply is passed on.
  std::function<TapAction(const proto::Response&)> on_reply;
};

// Sits between a host end of its own (TakeHostFd) and the daemon's host end, passing
// whole frames on after showing them to the script.
class ChannelTap {
 public:
  // Takes ownership of `daemon_fd`.
  ChannelTap(int daemon_fd, TapScript script);
  // Cut(), then joins its threads.
  ~ChannelTap();
  ChannelTap(const ChannelTap&) = delete;
  ChannelTap& operator=(const ChannelTap&) = delete;

  // The end for the host's ControlClient, which owns it.
  int TakeHostFd();
  // Hangs up both ends at once; a held reply is dropped. Idempotent.
  void Cut();

 private:
  void Upstream();
  void Downstream();

  const TapScript script_;
  int host_fd_ = -1;    // the host's end, until taken
  int near_fd_ = -1;    // the tap's end of the host's socketpair
  int daemon_fd_ = -1;  // the daemon's host end
  std::mutex mu_;
  std::condition_variable cut_cv_;
  bool cut_ = false;  // guarded by mu_
  std::thread up_;
  std::thread down_;
};

// The batch records a reply carries (an ExtractNext reply's batch buffers: files and
// directories that are whole once applied); 0 for any other reply.
uint32_t BatchRecordsOf(const proto::Response& reply);

// One appliance of the run as the pool sees it. The peer (daemon, tap or fake guest)
// outlives the session's Close(), which may still talk to it. Kill() calls `hang_up`.
class TestSession final : public PooledSession {
 public:
  TestSession(std::unique_ptr<ImageSession> session, std::function<void()> hang_up,
              std::shared_ptr<void> peer, int64_t pid);
  ImageSession* session() override { return session_.get(); }
  int64_t pid() const override { return pid_; }
  std::optional<uint64_t> heartbeat() const override { return std::nullopt; }
  std::optional<ChannelActivity> activity() const override;
  void Kill() override { hang_up_(); }
  Status Close() override;

 private:
  std::unique_ptr<ImageSession> session_;
  std::function<void()> hang_up_;
  std::shared_ptr<void> peer_;
  int64_t pid_;
};

// A session over an InProcessDaemon serving `root`, behind a ChannelTap running `script`
// when one is given; Kill() hangs up the daemon (and cuts the tap). Errors: the Hello's.
Result<std::unique_ptr<PooledSession>> OpenDaemonSession(const std::string& root, int64_t pid,
                                                         std::optional<TapScript> script = {});

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_RUNNER_DAEMON_SESSIONS_H_
