#include "runner/appliance_pool.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <thread>
#include <utility>

#include "protocol/check.h"
#include "protocol/shm_layout.h"
#include "sinks/host_system.h"

namespace diskferry {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr uint64_t kMibPerAppliance = 512;
constexpr int kMaxDefaultPoolSize = 8;

// The heartbeat ticks about once a second, so looking more often than that only matters
// for short (test) timeouts.
milliseconds WatchdogPeriod(milliseconds hang_timeout) {
  return std::clamp(hang_timeout / 4, milliseconds(10), milliseconds(1000));
}

PoolEvent MakeEvent(PoolEventKind kind, int slot, int64_t pid, std::string image,
                    std::string message = "") {
  PoolEvent event;
  event.kind = kind;
  event.slot = slot;
  event.pid = pid;
  event.image = std::move(image);
  event.message = std::move(message);
  return event;
}

Status CancelledStatus() { return Status(Code::kCancelled, "appliance pool cancelled"); }

class ImageSessionAdapter final : public PooledSession {
 public:
  explicit ImageSessionAdapter(std::unique_ptr<ImageSession> session)
      : session_(std::move(session)),
        pid_(session_->appliance().qemu_pid()),
        control_(&session_->appliance().control()) {
    // The mapping lives until Close(), and the pool reads the heartbeat only before it.
    ShmRegion* shm = session_->appliance().shm();
    if (shm != nullptr && shm->size() >= kShmHeaderSize) {
      header_ = reinterpret_cast<const ShmHeader*>(shm->data());
    }
  }

  ImageSession* session() override { return session_.get(); }
  std::string launch_kind() const override {
    return session_->appliance().templated() ? "templated" : "cold";
  }
  std::string launch_note() const override { return session_->appliance().template_note(); }
  bool built_template() const override { return session_->appliance().built_template(); }
  int64_t pid() const override { return pid_; }
  std::optional<uint64_t> heartbeat() const override {
    if (header_ == nullptr) return std::nullopt;
    return header_->guest_heartbeat.load(std::memory_order_relaxed);
  }
  std::optional<ChannelActivity> activity() const override { return control_->activity(); }
  // QEMU is reaped only in Close(), so until then the pid cannot name another process.
  void Kill() override { KillProcessNow(pid_); }
  Status Close() override {
    header_ = nullptr;
    return session_->Close();
  }

 private:
  std::unique_ptr<ImageSession> session_;
  int64_t pid_ = 0;
  // The appliance's, alive until Close(); only its atomics are read from other threads.
  const ControlClient* control_ = nullptr;
  const ShmHeader* header_ = nullptr;
};

// A factory that throws must not leave its slot in kLaunching for ever.
Result<std::unique_ptr<PooledSession>> OpenCatching(const SessionFactory& open,
                                                    const ImageSessionConfig& config) {
  try {
    return open(config);
  } catch (const std::exception& e) {
    return Status(Code::kInternal, config.image + ": opening the session threw: " + e.what());
  }
}

}  // namespace

SessionKey SessionKeyOf(const ImageSessionConfig& config) {
  return SessionKey{config.image,  SessionDisks(config), config.filesystem, config.writable,
                    config.replay, config.keys,          config.mount,      config.build.kernel};
}

Result<std::unique_ptr<PooledSession>> OpenPooledImageSession(const ImageSessionConfig& config) {
  auto session = ImageSession::Open(config);
  if (!session.ok()) return session.status();
  return std::unique_ptr<PooledSession>(new ImageSessionAdapter(std::move(*session)));
}

std::string_view PoolEventKindName(PoolEventKind kind) {
  switch (kind) {
    case PoolEventKind::kLaunched:
      return "launched";
    case PoolEventKind::kReused:
      return "reused";
    case PoolEventKind::kLaunchFailed:
      return "launch_failed";
    case PoolEventKind::kHung:
      return "hung";
    case PoolEventKind::kKilled:
      return "killed";
    case PoolEventKind::kClosed:
      return "closed";
  }
  return "unknown";
}

// ---- Lease ----

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      slot_(std::exchange(other.slot_, -1)),
      session_(std::exchange(other.session_, nullptr)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    slot_ = std::exchange(other.slot_, -1);
    session_ = std::exchange(other.session_, nullptr);
  }
  return *this;
}

ImageSession& Lease::session() {
  DF_CHECK(valid() && session_->session() != nullptr);
  return *session_->session();
}

PooledSession& Lease::pooled() {
  DF_CHECK(valid());
  return *session_;
}

void Lease::MarkBroken() {
  DF_CHECK(valid());
  pool_->MarkBroken(slot_);
}

bool Lease::broken() const {
  DF_CHECK(valid());
  return pool_->IsBroken(slot_);
}

Status Lease::Close() {
  DF_CHECK(valid());
  AppliancePool* pool = std::exchange(pool_, nullptr);
  session_ = nullptr;
  return pool->CloseLeased(std::exchange(slot_, -1));
}

void Lease::Release() {
  if (pool_ == nullptr) return;
  AppliancePool* pool = std::exchange(pool_, nullptr);
  session_ = nullptr;
  pool->Release(std::exchange(slot_, -1));
}

// ---- AppliancePool ----

AppliancePool::AppliancePool(PoolOptions options)
    : options_(std::move(options)), slots_(static_cast<size_t>(std::max(options_.size, 0))) {
  DF_CHECK(options_.size >= 1 && options_.open);
  if (options_.hang_timeout > milliseconds(0)) {
    watchdog_thread_ = std::thread([this] { WatchdogLoop(); });
  }
}

AppliancePool::~AppliancePool() { Close(); }

Result<Lease> AppliancePool::Acquire(const ImageSessionConfig& config) {
  const SessionKey key = SessionKeyOf(config);
  std::unique_lock lock(mu_);
  for (;;) {
    if (closed_) return Status(Code::kFailedPrecondition, "appliance pool is closed");
    if (cancelled_) return CancelledStatus();
    if (int slot = key.writable ? -1 : FindIdleLocked(key); slot >= 0) {
      ++stats_.reuses;
      Lease lease = LeaseSlotLocked(slot);  // kIdle --Acquire: same key--> kLeased
      PoolEvent reused = MakeEvent(PoolEventKind::kReused, slot, lease.pooled().pid(), key.image);
      lock.unlock();
      Emit({reused});
      return lease;
    }
    Closing evicted;
    int slot = FindEmptyLocked();
    if (slot < 0 && (slot = LeastRecentlyUsedIdleLocked()) >= 0) {
      evicted = TakeForClosingLocked(slot);
    }
    if (slot >= 0) {
      // kEmpty --Acquire: free slot--> kLaunching, or kIdle --Acquire: evict--> kLaunching
      slots_[slot].state = SlotState::kLaunching;
      slots_[slot].key = key;
      lock.unlock();
      return LaunchInto(slot, config, std::move(evicted));
    }
    changed_.wait(lock);
  }
}

Result<Lease> AppliancePool::LaunchInto(int slot, const ImageSessionConfig& config,
                                        Closing evicted) {
  if (evicted.session != nullptr) {
    Emit({CloseSession(std::move(evicted))});
    std::lock_guard lock(mu_);
    if (cancelled_) {
      FreeSlotLocked(slot);  // kLaunching --cancelled--> kEmpty
      return CancelledStatus();
    }
  }
  const auto start = steady_clock::now();
  auto opened = OpenCatching(options_.open, config);
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  return Opened(slot, std::move(opened), took);
}

Result<Lease> AppliancePool::Opened(int slot, Result<std::unique_ptr<PooledSession>> opened,
                                    milliseconds took) {
  std::unique_lock lock(mu_);
  const std::string image = slots_[slot].key.image;
  if (!opened.ok()) {
    ++stats_.launch_failures;
    FreeSlotLocked(slot);  // kLaunching --open failed--> kEmpty
    lock.unlock();
    PoolEvent failed =
        MakeEvent(PoolEventKind::kLaunchFailed, slot, 0, image, opened.status().ToString());
    failed.launch_time = took;
    Emit({failed});
    return opened.status();
  }
  DF_CHECK(*opened != nullptr);
  ++stats_.launches;
  PoolEvent launched = MakeEvent(PoolEventKind::kLaunched, slot, (*opened)->pid(), image);
  launched.launch_time = took;
  launched.launch = (*opened)->launch_kind();
  launched.launch_note = (*opened)->launch_note();
  launched.built_template = (*opened)->built_template();
  if (cancelled_) {
    ++stats_.closes;
    lock.unlock();
    Emit({launched, CloseSession({slot, image, std::move(*opened)})});
    lock.lock();
    FreeSlotLocked(slot);  // kLaunching --cancelled--> kEmpty
    return CancelledStatus();
  }
  slots_[slot].session = std::move(*opened);
  Lease lease = LeaseSlotLocked(slot);  // kLaunching --opened--> kLeased
  lock.unlock();
  Emit({launched});
  return lease;
}

Lease AppliancePool::LeaseSlotLocked(int slot) {
  Slot& s = slots_[slot];
  s.state = SlotState::kLeased;
  s.broken = false;
  s.killed = false;
  s.heartbeat = s.session->heartbeat();
  s.heartbeat_changed_at = Now();
  return Lease(this, slot, s.session.get());
}

AppliancePool::Closing AppliancePool::TakeForClosingLocked(int slot) {
  ++stats_.closes;
  return Closing{slot, slots_[slot].key.image, std::move(slots_[slot].session)};
}

void AppliancePool::FreeSlotLocked(int slot) {
  slots_[slot] = Slot();
  changed_.notify_all();
}

int AppliancePool::FindIdleLocked(const SessionKey& key) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state == SlotState::kIdle && slots_[i].key == key) return static_cast<int>(i);
  }
  return -1;
}

int AppliancePool::FindEmptyLocked() const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state == SlotState::kEmpty) return static_cast<int>(i);
  }
  return -1;
}

int AppliancePool::LeastRecentlyUsedIdleLocked() const {
  int found = -1;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state != SlotState::kIdle) continue;
    if (found < 0 || slots_[i].last_used < slots_[found].last_used) found = static_cast<int>(i);
  }
  return found;
}

void AppliancePool::Release(int slot) {
  std::unique_lock lock(mu_);
  Slot& s = slots_[slot];
  DF_CHECK(s.state == SlotState::kLeased);
  if (!s.broken && !s.key.writable) {
    s.state = SlotState::kIdle;  // kLeased --Release: healthy, ro--> kIdle
    s.last_used = ++release_counter_;
    changed_.notify_all();
    return;
  }
  s.state = SlotState::kClosing;  // kLeased --Release: broken or rw--> kClosing
  Closing closing = TakeForClosingLocked(slot);
  lock.unlock();
  Emit({CloseSession(std::move(closing))});
  lock.lock();
  FreeSlotLocked(slot);  // kClosing --closed--> kEmpty
}

Status AppliancePool::CloseLeased(int slot) {
  std::unique_lock lock(mu_);
  DF_CHECK(slots_[slot].state == SlotState::kLeased);
  slots_[slot].state = SlotState::kClosing;  // kLeased --Lease::Close--> kClosing
  Closing closing = TakeForClosingLocked(slot);
  lock.unlock();
  Status st;
  Emit({CloseSession(std::move(closing), &st)});
  lock.lock();
  FreeSlotLocked(slot);  // kClosing --closed--> kEmpty
  return st;
}

void AppliancePool::MarkBroken(int slot) {
  std::lock_guard lock(mu_);
  DF_CHECK(slots_[slot].state == SlotState::kLeased);
  slots_[slot].broken = true;
}

bool AppliancePool::IsBroken(int slot) const {
  std::lock_guard lock(mu_);
  DF_CHECK(slots_[slot].state == SlotState::kLeased);
  return slots_[slot].broken;
}

void AppliancePool::Cancel() {
  std::vector<PoolEvent> events;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      if (s.state != SlotState::kLeased || s.killed) continue;
      s.session->Kill();
      s.broken = s.killed = true;
      ++stats_.kills;
      events.push_back(MakeEvent(PoolEventKind::kKilled, static_cast<int>(i), s.session->pid(),
                                 s.key.image, "cancelled; QEMU killed"));
    }
    changed_.notify_all();
  }
  Emit(events);
}

bool AppliancePool::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

bool AppliancePool::HasIdle(const SessionKey& key) const {
  std::lock_guard lock(mu_);
  for (const Slot& slot : slots_) {
    if (slot.state == SlotState::kIdle && slot.key == key) return true;
  }
  return false;
}

PoolStats AppliancePool::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void AppliancePool::Close() {
  std::vector<Closing> idle;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = stopping_ = true;
    watchdog_.notify_all();
    for (size_t i = 0; i < slots_.size(); ++i) {
      // A lease still out, or an Acquire still running, would outlive the pool.
      DF_CHECK(slots_[i].state == SlotState::kEmpty || slots_[i].state == SlotState::kIdle);
      if (slots_[i].state != SlotState::kIdle) continue;
      slots_[i].state = SlotState::kClosing;  // kIdle --Close()--> kClosing
      idle.push_back(TakeForClosingLocked(static_cast<int>(i)));
    }
  }
  if (watchdog_thread_.joinable()) watchdog_thread_.join();
  // Each shutdown waits for its guest to power off: seconds under TCG, so in parallel.
  std::vector<PoolEvent> events(idle.size());
  std::vector<std::thread> closers;
  for (size_t i = 0; i < idle.size(); ++i) {
    closers.emplace_back([&, i] { events[i] = CloseSession(std::move(idle[i])); });
  }
  for (std::thread& t : closers) t.join();
  Emit(events);
  std::lock_guard lock(mu_);
  for (const PoolEvent& e : events) FreeSlotLocked(e.slot);  // kClosing --closed--> kEmpty
}

void AppliancePool::WatchdogLoop() {
  const milliseconds period = WatchdogPeriod(options_.hang_timeout);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    watchdog_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) return;
    std::vector<PoolEvent> events;
    CheckLeasedLocked(&events);
    if (events.empty()) continue;
    lock.unlock();
    Emit(events);
    lock.lock();
  }
}

void AppliancePool::WatchOnce() {
  std::vector<PoolEvent> events;
  {
    std::lock_guard lock(mu_);
    CheckLeasedLocked(&events);
  }
  Emit(events);
}

steady_clock::time_point AppliancePool::Now() const {
  return options_.clock ? options_.clock() : steady_clock::now();
}

void AppliancePool::CheckLeasedLocked(std::vector<PoolEvent>* events) {
  const auto now = Now();
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.state != SlotState::kLeased || s.killed) continue;
    std::string why = HangOfLocked(s, now);
    if (why.empty()) continue;
    s.session->Kill();
    s.broken = s.killed = true;
    ++stats_.kills;
    events->push_back(MakeEvent(PoolEventKind::kHung, static_cast<int>(i), s.session->pid(),
                                s.key.image, std::move(why) + "; QEMU killed"));
  }
}

std::string AppliancePool::HangOfLocked(Slot& s, steady_clock::time_point now) const {
  // The host's clock: a request the guest leaves unanswered. No guest write changes it.
  if (const std::optional<ChannelActivity> a = s.session->activity(); a && a->unanswered > 0) {
    const auto quiet = std::chrono::duration_cast<milliseconds>(now - a->quiet_since);
    // A call that said it may take long (a Survey, an activation) is given that long.
    if (quiet >= std::max(options_.hang_timeout, a->patience)) {
      return "no reply from the guest for " + std::to_string(quiet.count()) + " ms with " +
             std::to_string(a->unanswered) + " request(s) waiting";
    }
  }
  // The guest's heartbeat: only ever an earlier kill.
  const std::optional<uint64_t> beat = s.session->heartbeat();
  if (!beat) return "";  // no shm: nothing to watch
  if (beat != s.heartbeat) {
    s.heartbeat = beat;
    s.heartbeat_changed_at = now;
    return "";
  }
  const auto still = std::chrono::duration_cast<milliseconds>(now - s.heartbeat_changed_at);
  if (still < options_.hang_timeout) return "";
  return "guest heartbeat stood still for " + std::to_string(still.count()) + " ms";
}

void AppliancePool::Emit(const std::vector<PoolEvent>& events) const {
  if (!options_.on_event) return;
  for (const PoolEvent& e : events) options_.on_event(e);
}

PoolEvent AppliancePool::CloseSession(Closing closing, Status* status) {
  PoolEvent closed =
      MakeEvent(PoolEventKind::kClosed, closing.slot, closing.session->pid(), closing.image);
  Status s = closing.session->Close();
  if (!s.ok()) closed.message = s.ToString();
  if (status != nullptr) *status = s;
  closing.session.reset();
  return closed;
}

// ---- Sizing ----

int PoolSizeFor(int cpus, uint64_t mem_available_mib) {
  const uint64_t by_memory = mem_available_mib / kMibPerAppliance;
  const uint64_t by_cpu = static_cast<uint64_t>(std::max(cpus, 0));
  const uint64_t n = std::min({by_cpu, by_memory, static_cast<uint64_t>(kMaxDefaultPoolSize)});
  return std::max(1, static_cast<int>(n));
}

// hardware_concurrency() is the online CPU count (glibc's get_nprocs(); Windows: the
// processors of the process's group).
int DefaultPoolSize() {
  const unsigned cpus = std::thread::hardware_concurrency();
  const std::optional<uint64_t> mib = AvailableMemoryMib();
  return PoolSizeFor(cpus > 0 ? static_cast<int>(cpus) : 1,
                     mib.value_or(std::numeric_limits<uint64_t>::max()));
}

}  // namespace diskferry
