#include "runner/appliance_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sinks/host_system.h"

namespace diskferry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Long enough never to expire on a loaded machine unless something is really stuck.
constexpr milliseconds kPatience = seconds(20);

// What a test can still see of a fake session after the pool has destroyed it.
struct FakeState {
  int64_t pid = 0;
  std::atomic<bool> has_heartbeat{false};
  std::atomic<uint64_t> beat{0};
  std::atomic<bool> has_channel{false};
  std::atomic<uint32_t> unanswered{0};
  std::atomic<int64_t> quiet_since_ns{0};  // steady_clock
  std::atomic<int64_t> patience_ms{0};
  std::atomic<bool> killed{false};
  std::atomic<bool> closed{false};
};

// The factory's side: every session it made, how many are open, and hooks.
class FakeWorld {
 public:
  // Runs in the factory, in the acquiring thread; a non-ok Status fails the launch.
  std::function<Status(const ImageSessionConfig&)> before_open;
  // Runs in the fake's Close(), in the closing thread.
  std::function<void()> on_close;
  bool heartbeats = false;

  SessionFactory Factory();
  std::shared_ptr<FakeState> State(int64_t pid) {
    std::lock_guard lock(mu_);
    return states_.at(pid);
  }
  int open_now() const { return open_; }
  int max_open() const { return max_open_; }
  int launches() const { return launches_; }

 private:
  friend class FakeSession;
  std::mutex mu_;
  std::map<int64_t, std::shared_ptr<FakeState>> states_;
  std::atomic<int> open_{0};
  std::atomic<int> max_open_{0};
  std::atomic<int> launches_{0};
  std::atomic<int64_t> next_pid_{1000};
};

class FakeSession final : public PooledSession {
 public:
  FakeSession(FakeWorld* world, std::shared_ptr<FakeState> state)
      : world_(world), state_(std::move(state)) {}
  ImageSession* session() override { return nullptr; }
  int64_t pid() const override { return state_->pid; }
  std::optional<uint64_t> heartbeat() const override {
    if (!state_->has_heartbeat) return std::nullopt;
    return state_->beat.load();
  }
  std::optional<ChannelActivity> activity() const override {
    if (!state_->has_channel) return std::nullopt;
    ChannelActivity a;
    a.unanswered = state_->unanswered;
    a.quiet_since = std::chrono::steady_clock::time_point(
        std::chrono::nanoseconds(state_->quiet_since_ns.load()));
    a.patience = std::chrono::milliseconds(state_->patience_ms.load());
    return a;
  }
  void Kill() override { state_->killed = true; }
  Status Close() override {
    if (world_->on_close) world_->on_close();
    EXPECT_FALSE(state_->closed.exchange(true)) << "closed twice";
    --world_->open_;
    return Status::Ok();
  }

 private:
  FakeWorld* world_;
  std::shared_ptr<FakeState> state_;
};

SessionFactory FakeWorld::Factory() {
  return [this](const ImageSessionConfig& config) -> Result<std::unique_ptr<PooledSession>> {
    const int now = ++open_;
    int seen = max_open_;
    while (now > seen && !max_open_.compare_exchange_weak(seen, now)) {
    }
    if (before_open) {
      if (Status s = before_open(config); !s.ok()) {
        --open_;
        return s;
      }
    }
    ++launches_;
    auto state = std::make_shared<FakeState>();
    state->pid = next_pid_++;
    state->has_heartbeat = heartbeats;
    std::lock_guard lock(mu_);
    states_[state->pid] = state;
    return std::unique_ptr<PooledSession>(new FakeSession(this, state));
  };
}

// Lets `n` threads through together; false if they did not all arrive within kPatience.
class Rendezvous {
 public:
  explicit Rendezvous(int n) : n_(n) {}
  bool Arrive() {
    std::unique_lock lock(mu_);
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lock, kPatience, [this] { return arrived_ >= n_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
  int arrived_ = 0;
};

class EventLog {
 public:
  std::function<void(const PoolEvent&)> Callback() {
    return [this](const PoolEvent& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
    };
  }
  std::vector<PoolEvent> Of(PoolEventKind kind) {
    std::lock_guard lock(mu_);
    std::vector<PoolEvent> out;
    for (const PoolEvent& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<PoolEvent> events_;
};

bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

ImageSessionConfig Config(const std::string& image, bool writable = false) {
  ImageSessionConfig config;
  config.image = image;
  config.format = "raw";
  config.writable = writable;
  return config;
}

PoolOptions Options(FakeWorld& world, int size, EventLog* log = nullptr) {
  PoolOptions options;
  options.size = size;
  options.hang_timeout = milliseconds(0);
  options.open = world.Factory();
  if (log != nullptr) options.on_event = log->Callback();
  return options;
}

TEST(AppliancePoolTest, ReusesAnIdleSessionForTheSameImage) {
  FakeWorld world;
  EventLog log;
  AppliancePool pool(Options(world, 2, &log));
  int64_t first_pid = 0;
  {
    auto lease = pool.Acquire(Config("a.img"));
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    first_pid = lease->pooled().pid();
  }
  auto again = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pooled().pid(), first_pid);
  EXPECT_EQ(world.launches(), 1);
  EXPECT_EQ(pool.stats().reuses, 1u);
  ASSERT_EQ(log.Of(PoolEventKind::kLaunched).size(), 1u);
  EXPECT_EQ(log.Of(PoolEventKind::kLaunched)[0].pid, first_pid);
  EXPECT_EQ(log.Of(PoolEventKind::kLaunched)[0].image, "a.img");
  ASSERT_EQ(log.Of(PoolEventKind::kReused).size(), 1u);
  EXPECT_EQ(log.Of(PoolEventKind::kReused)[0].pid, first_pid);
}

TEST(AppliancePoolTest, SessionsOfAnotherKeyAreNotReused) {
  FakeWorld world;
  AppliancePool pool(Options(world, 2));
  auto a = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(a.ok());
  const int64_t pid_a = a->pooled().pid();
  a->Release();
  ImageSessionConfig other_fs = Config("a.img");
  other_fs.filesystem = "/dev/sda2";
  auto b = pool.Acquire(other_fs);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b->pooled().pid(), pid_a);
  EXPECT_FALSE(world.State(pid_a)->closed) << "a free slot was left, no need to evict";
}

// A job may only get an appliance that has the same disks attached the same way, the same
// keys and the same mount: anything else would show it another machine's files.
TEST(SessionKeyTest, EveryDiskKeyFilesystemAndReplaySettingIsPartOfTheKey) {
  const ImageSessionConfig base = Config("a.img");
  std::vector<ImageSessionConfig> others(8, base);
  others[0].extra_disks = {{"b.img", "raw", {}}};
  others[1].extra_disks = {{"b.img", "qcow2", {}}};
  others[2].backing = {{"base.qcow2", ""}};
  others[3].keys = {{"", "root.key"}};
  others[4].keys = {{"/dev/sda2", "root.key"}};
  others[5].replay = false;
  others[6].filesystem = "os";
  others[7].format = "qcow2";
  for (size_t i = 0; i < others.size(); ++i) {
    EXPECT_FALSE(SessionKeyOf(others[i]) == SessionKeyOf(base)) << i;
    for (size_t j = 0; j < i; ++j) {
      EXPECT_FALSE(SessionKeyOf(others[i]) == SessionKeyOf(others[j])) << i << " " << j;
    }
  }
  EXPECT_TRUE(SessionKeyOf(others[4]) == SessionKeyOf(others[4]));
}

TEST(AppliancePoolTest, NeverReusesAWritableSession) {
  FakeWorld world;
  AppliancePool pool(Options(world, 2));
  auto first = pool.Acquire(Config("a.img", /*writable=*/true));
  ASSERT_TRUE(first.ok());
  const int64_t pid = first->pooled().pid();
  first->Release();
  EXPECT_TRUE(world.State(pid)->closed);
  auto second = pool.Acquire(Config("a.img", /*writable=*/true));
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->pooled().pid(), pid);
  EXPECT_EQ(pool.stats().reuses, 0u);
}

TEST(AppliancePoolTest, NeverHasMoreThanSizeSessionsUnderConcurrentUse) {
  constexpr int kSize = 3;
  FakeWorld world;
  world.before_open = [](const ImageSessionConfig&) {
    std::this_thread::yield();
    return Status::Ok();
  };
  AppliancePool pool(Options(world, kSize));
  std::atomic<int> leased{0};
  std::atomic<int> max_leased{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const int pick = (t + i) % 5;
        auto lease = pool.Acquire(Config("disk" + std::to_string(pick % 4), pick == 4));
        if (!lease.ok()) {
          ++failures;
          continue;
        }
        const int now = ++leased;
        int seen = max_leased;
        while (now > seen && !max_leased.compare_exchange_weak(seen, now)) {
        }
        if (i % 7 == 0) lease->MarkBroken();
        std::this_thread::yield();
        --leased;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(world.max_open(), kSize);
  EXPECT_LE(max_leased, kSize);
  EXPECT_GT(pool.stats().reuses, 0u);
  pool.Close();
  EXPECT_EQ(world.open_now(), 0);
}

TEST(AppliancePoolTest, LaunchesInParallelInTheAcquiringThreads) {
  FakeWorld world;
  Rendezvous both(2);
  world.before_open = [&](const ImageSessionConfig&) {
    return both.Arrive() ? Status::Ok() : Status(Code::kTimeout, "launches did not overlap");
  };
  AppliancePool pool(Options(world, 2));
  auto other = std::async(std::launch::async, [&] { return pool.Acquire(Config("b.img")); });
  auto mine = pool.Acquire(Config("a.img"));
  auto theirs = other.get();
  EXPECT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_TRUE(theirs.ok()) << theirs.status().ToString();
}

TEST(AppliancePoolTest, EvictsTheLeastRecentlyUsedIdleSessionWhenFull) {
  FakeWorld world;
  EventLog log;
  AppliancePool pool(Options(world, 2, &log));
  auto a = pool.Acquire(Config("a.img"));
  auto b = pool.Acquire(Config("b.img"));
  ASSERT_TRUE(a.ok() && b.ok());
  const int64_t pid_a = a->pooled().pid();
  const int64_t pid_b = b->pooled().pid();
  a->Release();
  b->Release();
  auto c = pool.Acquire(Config("c.img"));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(world.State(pid_a)->closed);
  EXPECT_FALSE(world.State(pid_b)->closed);
  EXPECT_LE(world.max_open(), 2);
  ASSERT_EQ(log.Of(PoolEventKind::kClosed).size(), 1u);
  EXPECT_EQ(log.Of(PoolEventKind::kClosed)[0].pid, pid_a);
  EXPECT_EQ(log.Of(PoolEventKind::kClosed)[0].image, "a.img");
}

TEST(AppliancePoolTest, LaunchFailureIsReturnedAndFreesTheSlot) {
  FakeWorld world;
  EventLog log;
  std::atomic<bool> fail{true};
  world.before_open = [&](const ImageSessionConfig& config) {
    return fail.exchange(false) ? Status(Code::kUnavailable, config.image + ": QEMU exited")
                                : Status::Ok();
  };
  AppliancePool pool(Options(world, 1, &log));
  auto failed = pool.Acquire(Config("a.img"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kUnavailable);
  EXPECT_EQ(failed.status().message(), "a.img: QEMU exited");
  auto next = pool.Acquire(Config("a.img"));
  EXPECT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(pool.stats().launch_failures, 1u);
  ASSERT_EQ(log.Of(PoolEventKind::kLaunchFailed).size(), 1u);
  EXPECT_NE(log.Of(PoolEventKind::kLaunchFailed)[0].message.find("QEMU exited"), std::string::npos);
}

TEST(AppliancePoolTest, ABrokenLeaseIsClosedNotReused) {
  FakeWorld world;
  AppliancePool pool(Options(world, 1));
  auto lease = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(lease.ok());
  const int64_t pid = lease->pooled().pid();
  EXPECT_FALSE(lease->broken());
  lease->MarkBroken();
  EXPECT_TRUE(lease->broken());
  lease->Release();
  EXPECT_TRUE(world.State(pid)->closed);
  auto next = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(next.ok());
  EXPECT_NE(next->pooled().pid(), pid);
}

TEST(AppliancePoolTest, ClosingALeaseClosesTheSessionOnceAndFreesItsSlot) {
  FakeWorld world;
  AppliancePool pool(Options(world, 1));
  auto lease = pool.Acquire(Config("a.img", true));
  ASSERT_TRUE(lease.ok());
  const int64_t pid = lease->pooled().pid();
  EXPECT_TRUE(lease->Close().ok());
  EXPECT_FALSE(lease->valid());
  EXPECT_TRUE(world.State(pid)->closed);
  lease->Release();  // nothing left to give back: no second close
  auto next = pool.Acquire(Config("a.img", true));
  ASSERT_TRUE(next.ok());
  EXPECT_NE(next->pooled().pid(), pid);
}

TEST(AppliancePoolTest, AcquireWaitsForALeaseToEndWhenFull) {
  FakeWorld world;
  AppliancePool pool(Options(world, 1));
  auto held = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(held.ok());
  const int64_t pid = held->pooled().pid();
  std::atomic<bool> got{false};
  auto waiter = std::async(std::launch::async, [&] {
    auto lease = pool.Acquire(Config("a.img"));
    got = true;
    return lease.ok() ? lease->pooled().pid() : int64_t{-1};
  });
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(got) << "a second session was handed out while the only slot was leased";
  held->Release();
  EXPECT_EQ(waiter.get(), pid);
}

TEST(AppliancePoolTest, WatchdogKillsALeasedSessionWhoseHeartbeatStops) {
  FakeWorld world;
  world.heartbeats = true;
  EventLog log;
  PoolOptions options = Options(world, 1, &log);
  options.hang_timeout = milliseconds(200);
  AppliancePool pool(options);
  auto lease = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(lease.ok());
  const int64_t pid = lease->pooled().pid();
  auto state = world.State(pid);
  ASSERT_TRUE(Eventually([&] { return state->killed.load(); }));
  EXPECT_TRUE(lease->broken());
  ASSERT_TRUE(Eventually([&] { return !log.Of(PoolEventKind::kHung).empty(); }));
  EXPECT_EQ(log.Of(PoolEventKind::kHung)[0].pid, pid);
  EXPECT_EQ(pool.stats().kills, 1u);
  lease->Release();
  EXPECT_TRUE(state->closed);
}

TEST(AppliancePoolTest, WatchdogSparesSessionsWithAHeartbeatOrWithoutShm) {
  FakeWorld world;
  world.heartbeats = true;
  PoolOptions options = Options(world, 2);
  options.hang_timeout = milliseconds(400);
  AppliancePool pool(options);
  auto beating = pool.Acquire(Config("a.img"));
  auto no_shm = pool.Acquire(Config("b.img"));
  ASSERT_TRUE(beating.ok() && no_shm.ok());
  auto beat = world.State(beating->pooled().pid());
  auto silent = world.State(no_shm->pooled().pid());
  silent->has_heartbeat = false;
  const auto until = std::chrono::steady_clock::now() + milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    ++beat->beat;
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_FALSE(beat->killed);
  EXPECT_FALSE(silent->killed);
  EXPECT_EQ(pool.stats().kills, 0u);
}

// A steady_clock the test moves on by hand; the pool's watchdog reads it.
class ManualClock {
 public:
  std::chrono::steady_clock::time_point now() const { return base_ + offset_.load(); }
  void Advance(milliseconds by) { offset_.store(offset_.load() + by); }
  std::function<std::chrono::steady_clock::time_point()> Function() {
    return [this] { return now(); };
  }
  int64_t NowNs() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(now().time_since_epoch()).count();
  }

 private:
  const std::chrono::steady_clock::time_point base_ = std::chrono::steady_clock::now();
  std::atomic<milliseconds> offset_{milliseconds(0)};
};

// One session leased from a one-slot pool whose watchdog (hang_timeout 60 s) reads a clock
// the test moves on by hand; the fake session reports its control channel's activity.
class WatchdogTest : public testing::Test {
 protected:
  // `heartbeats`: the fake session has a guest heartbeat too.
  void LeaseOne(bool heartbeats) {
    world_.heartbeats = heartbeats;
    PoolOptions options = Options(world_, 1, &log_);
    options.hang_timeout = seconds(60);
    options.clock = clock_.Function();
    pool_ = std::make_unique<AppliancePool>(options);
    Result<Lease> lease = pool_->Acquire(Config("a.img"));
    ASSERT_TRUE(lease.ok());
    lease_ = std::move(*lease);
    state_ = world_.State(lease_.pooled().pid());
    state_->has_channel = true;
  }

  FakeWorld world_;
  EventLog log_;
  ManualClock clock_;
  std::unique_ptr<AppliancePool> pool_;
  Lease lease_;  // given back before the pool goes
  std::shared_ptr<FakeState> state_;
};

TEST_F(WatchdogTest, KillsASessionThatLeavesARequestUnansweredHoweverTheHeartbeatTicks) {
  ASSERT_NO_FATAL_FAILURE(LeaseOne(/*heartbeats=*/true));
  state_->unanswered = 1;
  state_->quiet_since_ns = clock_.NowNs();
  for (int step = 1; step < 6; ++step) {  // 50 s: the heartbeat ticks, no reply comes
    ++state_->beat;
    clock_.Advance(seconds(10));
    pool_->WatchOnce();
    EXPECT_FALSE(state_->killed) << "after " << step * 10 << " s";
  }
  ++state_->beat;
  clock_.Advance(seconds(10));
  pool_->WatchOnce();
  EXPECT_TRUE(state_->killed);
  EXPECT_TRUE(lease_.broken());
  EXPECT_EQ(pool_->stats().kills, 1u);
  ASSERT_TRUE(Eventually([&] { return !log_.Of(PoolEventKind::kHung).empty(); }));
  EXPECT_EQ(log_.Of(PoolEventKind::kHung)[0].message,
            "no reply from the guest for 60000 ms with 1 request(s) waiting; QEMU killed");
}

TEST_F(WatchdogTest, SparesASessionWhoseGuestAnswersOrThatWaitsForNothing) {
  ASSERT_NO_FATAL_FAILURE(LeaseOne(/*heartbeats=*/false));
  state_->unanswered = 2;
  for (int step = 0; step < 30; ++step) {  // 5 minutes of replies 10 s apart
    state_->quiet_since_ns = clock_.NowNs();
    clock_.Advance(seconds(10));
    pool_->WatchOnce();
  }
  state_->unanswered = 0;  // the host works on its own side: nothing is asked of the guest
  clock_.Advance(std::chrono::minutes(10));
  pool_->WatchOnce();
  EXPECT_FALSE(state_->killed);
  EXPECT_EQ(pool_->stats().kills, 0u);
}

// A call that takes its own, longer timeout (a Survey of a large tree: 120 s) is given
// that long before the watchdog calls it unanswered; then it is killed like any other.
TEST_F(WatchdogTest, GivesALongCallItsOwnTimeoutAndNoMore) {
  ASSERT_NO_FATAL_FAILURE(LeaseOne(/*heartbeats=*/false));
  state_->unanswered = 1;
  state_->patience_ms = 120000;
  state_->quiet_since_ns = clock_.NowNs();
  clock_.Advance(seconds(119));
  pool_->WatchOnce();
  EXPECT_FALSE(state_->killed);
  clock_.Advance(seconds(1));
  pool_->WatchOnce();
  EXPECT_TRUE(state_->killed);
}

TEST_F(WatchdogTest, StillKillsOnAStoppedHeartbeatBeforeAnyRequestTimesOut) {
  ASSERT_NO_FATAL_FAILURE(LeaseOne(/*heartbeats=*/true));  // between calls: nothing unanswered
  clock_.Advance(seconds(59));
  pool_->WatchOnce();
  EXPECT_FALSE(state_->killed);
  clock_.Advance(seconds(1));
  pool_->WatchOnce();
  EXPECT_TRUE(state_->killed);
}

TEST(AppliancePoolTest, CancelWakesAWaitingAcquireAndKillsLeasedSessions) {
  FakeWorld world;
  EventLog log;
  AppliancePool pool(Options(world, 1, &log));
  auto held = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(held.ok());
  auto state = world.State(held->pooled().pid());
  auto waiter = std::async(std::launch::async, [&] { return pool.Acquire(Config("b.img")); });
  std::this_thread::sleep_for(milliseconds(50));
  pool.Cancel();
  ASSERT_EQ(waiter.wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(waiter.get().status().code(), Code::kCancelled);
  EXPECT_TRUE(state->killed);
  EXPECT_TRUE(held->broken());
  ASSERT_EQ(log.Of(PoolEventKind::kKilled).size(), 1u);
  EXPECT_EQ(log.Of(PoolEventKind::kKilled)[0].pid, state->pid);
  EXPECT_EQ(pool.Acquire(Config("a.img")).status().code(), Code::kCancelled);
  held->Release();
  EXPECT_TRUE(state->closed);
}

TEST(AppliancePoolTest, CancelDoesNotWaitForALaunchWhoseSessionIsThenClosed) {
  FakeWorld world;
  std::promise<void> launching;
  std::promise<void> finish;
  std::shared_future<void> finish_signal = finish.get_future().share();
  world.before_open = [&](const ImageSessionConfig&) {
    launching.set_value();
    finish_signal.wait();
    return Status::Ok();
  };
  AppliancePool pool(Options(world, 1));
  auto acquiring = std::async(std::launch::async, [&] { return pool.Acquire(Config("a.img")); });
  launching.get_future().wait();
  auto cancel = std::async(std::launch::async, [&] { pool.Cancel(); });
  EXPECT_EQ(cancel.wait_for(kPatience), std::future_status::ready);
  finish.set_value();
  auto lease = acquiring.get();
  EXPECT_EQ(lease.status().code(), Code::kCancelled);
  EXPECT_EQ(world.open_now(), 0);
}

TEST(AppliancePoolTest, CloseShutsIdleSessionsDownInParallel) {
  FakeWorld world;
  Rendezvous both(2);
  std::atomic<int> overlapped{0};
  world.on_close = [&] { overlapped += both.Arrive() ? 1 : 0; };
  EventLog log;
  AppliancePool pool(Options(world, 2, &log));
  {
    auto a = pool.Acquire(Config("a.img"));
    auto b = pool.Acquire(Config("b.img"));
    ASSERT_TRUE(a.ok() && b.ok());
  }
  pool.Close();
  EXPECT_EQ(overlapped, 2);
  EXPECT_EQ(world.open_now(), 0);
  EXPECT_EQ(log.Of(PoolEventKind::kClosed).size(), 2u);
  EXPECT_EQ(pool.Acquire(Config("a.img")).status().code(), Code::kFailedPrecondition);
}

TEST(AppliancePoolTest, LeaseMoveAssignmentReleasesThePreviousLease) {
  FakeWorld world;
  AppliancePool pool(Options(world, 2));
  auto a = pool.Acquire(Config("a.img", /*writable=*/true));
  auto b = pool.Acquire(Config("b.img"));
  ASSERT_TRUE(a.ok() && b.ok());
  const int64_t pid_a = a->pooled().pid();
  const int64_t pid_b = b->pooled().pid();
  Lease target = std::move(*a);
  EXPECT_FALSE(a->valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  target = std::move(*b);
  EXPECT_TRUE(world.State(pid_a)->closed) << "the writable lease held before was not released";
  EXPECT_FALSE(b->valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(target.pooled().pid(), pid_b);
  Lease& alias = target;
  target = std::move(alias);
  ASSERT_TRUE(target.valid());
  target = Lease();
  EXPECT_FALSE(world.State(pid_b)->closed);
  auto again = pool.Acquire(Config("b.img"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pooled().pid(), pid_b) << "the read-only lease was not returned as idle";
}

TEST(AppliancePoolTest, ReleaseIsIdempotent) {
  FakeWorld world;
  AppliancePool pool(Options(world, 1));
  auto lease = pool.Acquire(Config("a.img"));
  ASSERT_TRUE(lease.ok());
  lease->Release();
  lease->Release();
  EXPECT_FALSE(lease->valid());
  EXPECT_TRUE(pool.Acquire(Config("a.img")).ok());
}

TEST(AppliancePoolDeathTest, DestroyingThePoolWithALeaseOutstandingIsABug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        FakeWorld world;
        auto pool = std::make_unique<AppliancePool>(Options(world, 1));
        auto lease = pool->Acquire(Config("a.img"));
        pool.reset();
      },
      "check failed");
}

TEST(PoolSizeTest, ScalesWithCpusAndMemoryUpToEight) {
  EXPECT_EQ(PoolSizeFor(2, 8192), 2);
  EXPECT_EQ(PoolSizeFor(4, 1536), 3);    // memory-bound
  EXPECT_EQ(PoolSizeFor(64, 65536), 8);  // capped
  EXPECT_EQ(PoolSizeFor(4, 511), 1);     // never below one
  EXPECT_EQ(PoolSizeFor(0, 4096), 1);
  EXPECT_EQ(PoolSizeFor(16, 0), 1);
}

TEST(PoolSizeTest, ReadsMemAvailableFromMeminfo) {
  EXPECT_EQ(ParseMemAvailableMib("MemTotal:       16318412 kB\n"
                                 "MemFree:         1208828 kB\n"
                                 "MemAvailable:    9437184 kB\n"),
            std::optional<uint64_t>(9216));
  EXPECT_EQ(ParseMemAvailableMib("MemTotal: 100 kB\n"), std::nullopt);
  EXPECT_EQ(ParseMemAvailableMib("MemAvailable: lots\n"), std::nullopt);
  EXPECT_EQ(ParseMemAvailableMib("XMemAvailable: 2048 kB\n"), std::nullopt);
  EXPECT_GE(DefaultPoolSize(), 1);
  EXPECT_LE(DefaultPoolSize(), 8);
}

}  // namespace
}  // namespace diskferry
