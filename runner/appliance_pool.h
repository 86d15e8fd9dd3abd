// AppliancePool: at most N open image sessions (appliances), shared by the tasks of a run.
// A task leases a session for one image with Acquire(), works in it, and gives it back when
// the Lease ends; a healthy read-only session is then kept idle for the next task on the
// same image, so most tasks skip the few seconds an appliance takes to boot.
//
//   Acquire(config): 1. an idle session with the same SessionKey (never a writable one)
//                    2. else a free slot: open a new session in the calling thread
//                    3. else evict the least recently used idle session of another key
//                    4. else wait until a lease ends or the pool is cancelled
//
// A hang watchdog thread watches every leased session on two clocks. The host's own: a
// session whose control channel has had a request waiting for hang_timeout with no frame
// from the guest (ControlClient::activity(), measured on the host) has its QEMU killed,
// whatever else the guest does; a call that takes a longer timeout of its own (a Survey
// of a large tree, 120 s) is given that long, so that no honest call is killed. The guest's: a
// heartbeat (ShmHeader) that stays unchanged for hang_timeout kills it too, sooner when the guest
// hangs between calls. The heartbeat is written by the untrusted guest, so it can only hasten a
// kill, never keep a lease alive: a guest that keeps it ticking while it leaves a call unanswered
// is killed by the first rule. A killed session's leaseholder sees its blocked call fail at once,
// and the session is closed when the lease ends. Each call's timeout and each transfer's progress
// deadline (appliance/transfer_progress.h) still apply within a lease.
//
// Cancel() kills every leased session the same way and makes every Acquire fail with
// kCancelled: it is how Ctrl-C unblocks tasks stuck in guest calls.
//
// Threading: Acquire, Cancel, cancelled(), stats() and WatchOnce() may be called from any
// thread at once. Close() and the destructor are for the owner, once no Acquire is running and no
// Lease is outstanding (a Lease outstanding then is a bug: DF_CHECK). A Lease is used by
// one thread at a time (it may move between threads). on_event is called from any of these
// threads and from the watchdog, never under the pool's lock.
#ifndef DISKFERRY_RUNNER_APPLIANCE_POOL_H_
#define DISKFERRY_RUNNER_APPLIANCE_POOL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "appliance/control_client.h"
#include "appliance/image_session.h"
#include "protocol/status.h"

namespace diskferry {

// Which sessions are interchangeable. Paths are compared as written. The rest of an
// ImageSessionConfig (memory, shm size, timeouts, ...) is expected to be the same for
// every Acquire of one pool.
struct SessionKey {
  std::string image;
  std::vector<DiskConfig> disks;  // every disk, the first one included
  std::string filesystem;         // the --fs argument
  bool writable = false;
  bool replay = true;
  std::vector<KeyFileSpec> keys;
  bool mount = true;
  std::string kernel;
  friend bool operator==(const SessionKey&, const SessionKey&) = default;
};

SessionKey SessionKeyOf(const ImageSessionConfig& config);

// One open session as the pool sees it. The real one wraps an ImageSession
// (OpenPooledImageSession); tests use fakes. The pool guarantees that Kill(),
// heartbeat() and activity() are only called before Close(), and Close() only once.
class PooledSession {
 public:
  virtual ~PooledSession() = default;
  // The session for the leaseholder's thread; may be null for fakes.
  virtual ImageSession* session() = 0;
  // QEMU's pid, constant for the session's life. Any thread.
  virtual int64_t pid() const = 0;
  // The guest's heartbeat counter, or nullopt when there is none (no shm). Any thread,
  // concurrently with the leaseholder using session().
  virtual std::optional<uint64_t> heartbeat() const = 0;
  // The control channel as the host saw it (ControlClient::activity()), or nullopt when
  // there is none to watch. Any thread, concurrently with the leaseholder.
  virtual std::optional<ChannelActivity> activity() const = 0;
  // Kills QEMU at once (SIGKILL) without reaping it; the leaseholder's calls then fail.
  // Any thread, concurrently with the leaseholder.
  virtual void Kill() = 0;
  // Powers the appliance off and releases everything (ImageSession::Close).
  virtual Status Close() = 0;
  // How the appliance started, for the run report: "templated" (restored from an
  // appliance template), "cold", or "" when unknown (fakes). Any thread.
  virtual std::string launch_kind() const { return std::string(); }
  // Why a launch that could have used a template booted cold; "" otherwise.
  virtual std::string launch_note() const { return std::string(); }
  // The launch built the template first: its time is no measure of a launch.
  virtual bool built_template() const { return false; }
};

// Returns an open session (never null) or the error that prevented it. Called in the
// acquiring threads, several at once.
using SessionFactory =
    std::function<Result<std::unique_ptr<PooledSession>>(const ImageSessionConfig&)>;

// ImageSession::Open, wrapped. heartbeat() reads the shm header's guest_heartbeat,
// activity() the appliance's ControlClient; Kill() is kill(pid, SIGKILL), safe because QEMU is only
// reaped in Close().
Result<std::unique_ptr<PooledSession>> OpenPooledImageSession(const ImageSessionConfig& config);

enum class PoolEventKind {
  kLaunched,      // a new session is open: pid, launch_time
  kReused,        // an idle session was leased again
  kLaunchFailed,  // opening failed: message is the error
  kHung,          // the watchdog killed a leased session: message says which rule
  kKilled,        // Cancel() killed a leased session
  kClosed,        // a session was closed (message: the Close() error, if any)
};

// "launched", "reused", "launch_failed", "hung", "killed", "closed".
std::string_view PoolEventKindName(PoolEventKind kind);

struct PoolEvent {
  PoolEventKind kind = PoolEventKind::kLaunched;
  int slot = 0;     // 0 .. size-1
  int64_t pid = 0;  // QEMU's; 0 for kLaunchFailed
  std::string image;
  std::chrono::milliseconds launch_time{0};  // kLaunched: how long opening took
  std::string message;
  std::string launch;           // kLaunched: PooledSession::launch_kind()
  std::string launch_note;      // kLaunched: PooledSession::launch_note()
  bool built_template = false;  // kLaunched: PooledSession::built_template()
};

inline constexpr std::chrono::milliseconds kDefaultHangTimeout = std::chrono::seconds(60);

struct PoolOptions {
  int size = 1;  // N >= 1 (DF_CHECK): the caller validates user input
  // How long a leased session may leave a request unanswered (or longer, for a call
  // with a longer timeout), or its heartbeat stand still, before its QEMU is killed (see
  // the top of this file). Zero disables the watchdog.
  std::chrono::milliseconds hang_timeout = kDefaultHangTimeout;
  // The watchdog's clock; null: std::chrono::steady_clock::now. activity() times are
  // steady_clock's, so a test clock must read on that scale.
  std::function<std::chrono::steady_clock::time_point()> clock;
  SessionFactory open = OpenPooledImageSession;
  std::function<void(const PoolEvent&)> on_event;  // optional; must not throw
};

struct PoolStats {
  uint64_t launches = 0;  // sessions opened
  uint64_t reuses = 0;    // leases of an idle session
  uint64_t launch_failures = 0;
  uint64_t kills = 0;   // by the watchdog or by Cancel()
  uint64_t closes = 0;  // sessions closed
};

class AppliancePool;

// A leased session. Move-only; the destructor (or Release()) gives it back to the pool.
class Lease {
 public:
  Lease() = default;  // holds nothing
  Lease(Lease&& other) noexcept;
  // Releases the lease this object held before taking over `other`'s.
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { Release(); }

  bool valid() const { return pool_ != nullptr; }
  // The open session; DF_CHECKs valid() and a real (non-fake) session. The pool owns it:
  // never Close() or Shutdown() it, MarkBroken() instead.
  ImageSession& session();
  // The pool's view of it (pid, heartbeat); DF_CHECKs valid().
  PooledSession& pooled();
  int slot() const { return slot_; }
  // The caller saw the appliance fail: it is closed on release, never reused.
  void MarkBroken();
  // Broken by MarkBroken(), the watchdog or Cancel().
  bool broken() const;
  // Gives the session back: kept idle if healthy and read-only, else closed here (in the
  // calling thread; Close() errors only go to the kClosed event). Idempotent.
  void Release();
  // Gives the session back closed, and says how the close went: for a writable session
  // whose image must be flushed (an inject job). The lease holds nothing afterwards.
  Status Close();

 private:
  friend class AppliancePool;
  Lease(AppliancePool* pool, int slot, PooledSession* session)
      : pool_(pool), slot_(slot), session_(session) {}

  AppliancePool* pool_ = nullptr;
  int slot_ = -1;
  PooledSession* session_ = nullptr;
};

class AppliancePool {
 public:
  explicit AppliancePool(PoolOptions options);
  AppliancePool(const AppliancePool&) = delete;
  AppliancePool& operator=(const AppliancePool&) = delete;
  // Close(); DF_CHECKs that no lease is outstanding.
  ~AppliancePool();

  // Blocks until a session for `config` can be leased (see the top of this file). Errors:
  // those of the factory (the launch failed; the slot is free again), kCancelled once
  // Cancel() was called (also for a launch that finishes afterwards: that session is
  // closed), kFailedPrecondition after Close(). Waiting has no deadline of its own: every
  // lease ends, because guest calls have timeouts and transfers a progress deadline.
  Result<Lease> Acquire(const ImageSessionConfig& config);

  // Fails every waiting and later Acquire with kCancelled and kills the QEMU of every
  // leased session (their leases become broken). Does not wait for launches in progress.
  // Idempotent.
  void Cancel();
  bool cancelled() const;

  // Closes the idle sessions, in parallel, and stops the watchdog. Idempotent.
  void Close();

  int size() const { return static_cast<int>(slots_.size()); }
  PoolStats stats() const;
  // Whether an idle session for `key` is waiting to be reused (a scheduler's hint: it may
  // be taken by the time the caller acquires).
  bool HasIdle(const SessionKey& key) const;

  // One round of the watchdog in the calling thread, as the watchdog thread runs every
  // period: for tests that move options.clock on instead of waiting.
  void WatchOnce();

 private:
  friend class Lease;

  // One place for one session. Edges (all under mu_):
  //   kEmpty     --Acquire: free slot-------> kLaunching  the caller opens outside the lock
  //   kIdle      --Acquire: evict-----------> kLaunching  the caller closes the old session
  //                                                       outside the lock, then opens
  //   kLaunching --opened------------------> kLeased     heartbeat baseline taken
  //   kLaunching --open failed / cancelled-> kEmpty      (a session opened after Cancel()
  //                                                       is closed first)
  //   kIdle      --Acquire: same key-------> kLeased
  //   kLeased    --Release: healthy, ro----> kIdle
  //   kLeased    --Release: broken or rw---> kClosing    the releaser closes outside the lock
  //   kIdle      --Close()-----------------> kClosing
  //   kClosing   --closed------------------> kEmpty
  // Only kLeased sessions are watched and killed; the session object is moved out of the
  // slot before any Close(), so nothing touches it during one.
  enum class SlotState { kEmpty, kLaunching, kIdle, kLeased, kClosing };

  struct Slot {
    SlotState state = SlotState::kEmpty;
    SessionKey key;
    std::unique_ptr<PooledSession> session;
    bool broken = false;     // kLeased: MarkBroken(), watchdog or Cancel()
    bool killed = false;     // kLeased: QEMU was killed by the watchdog or Cancel()
    uint64_t last_used = 0;  // release order, for eviction
    std::optional<uint64_t> heartbeat;
    std::chrono::steady_clock::time_point heartbeat_changed_at;
  };

  // A session taken out of its slot to be closed outside the lock.
  struct Closing {
    int slot = 0;
    std::string image;
    std::unique_ptr<PooledSession> session;
  };

  Result<Lease> LaunchInto(int slot, const ImageSessionConfig& config, Closing evicted);
  Result<Lease> Opened(int slot, Result<std::unique_ptr<PooledSession>> opened,
                       std::chrono::milliseconds took);
  Lease LeaseSlotLocked(int slot);
  Closing TakeForClosingLocked(int slot);
  void FreeSlotLocked(int slot);
  int FindIdleLocked(const SessionKey& key) const;
  int FindEmptyLocked() const;
  int LeastRecentlyUsedIdleLocked() const;
  void Release(int slot);
  Status CloseLeased(int slot);
  void MarkBroken(int slot);
  bool IsBroken(int slot) const;
  void WatchdogLoop();
  void CheckLeasedLocked(std::vector<PoolEvent>* events);
  // The rule `slot` breaks at `now`, as the kHung message; "" for none.
  std::string HangOfLocked(Slot& slot, std::chrono::steady_clock::time_point now) const;
  std::chrono::steady_clock::time_point Now() const;
  void Emit(const std::vector<PoolEvent>& events) const;
  // `status`, if given, receives what Close() returned.
  static PoolEvent CloseSession(Closing closing, Status* status = nullptr);

  const PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;   // a slot was freed, a lease ended, or Cancel()
  std::condition_variable watchdog_;  // wakes the watchdog to stop
  std::vector<Slot> slots_;           // guarded by mu_
  bool cancelled_ = false;            // guarded by mu_
  bool closed_ = false;               // guarded by mu_
  bool stopping_ = false;             // guarded by mu_: the watchdog must end
  uint64_t release_counter_ = 0;      // guarded by mu_
  PoolStats stats_;                   // guarded by mu_
  std::thread watchdog_thread_;       // runs only when hang_timeout > 0
};

// How many appliances fit: max(1, min(cpus, mem_available_mib / 512, 8)).
int PoolSizeFor(int cpus, uint64_t mem_available_mib);
// PoolSizeFor(online CPUs, MemAvailable). When /proc/meminfo cannot be read, memory is
// taken as no limit (CPUs and the cap of 8 still apply).
int DefaultPoolSize();

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_APPLIANCE_POOL_H_
