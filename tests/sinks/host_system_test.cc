// sinks/host_system.h on this host: names, memory figures, terminals, and killing a child.
#include "sinks/host_system.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "appliance/process.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

TEST(HostSystemTest, TheMachineHasAName) { EXPECT_FALSE(HostName().empty()); }

TEST(HostSystemTest, AnonymousMemoryGrowsWithWhatWeTouch) {
  const uint64_t before = AnonymousMemoryKib();
  EXPECT_GT(before, 0u);
  std::vector<char> block(64 << 20, 1);  // written, so committed and resident
  const uint64_t after = AnonymousMemoryKib();
  EXPECT_GE(after, before + (32 << 10)) << "KiB before " << before << ", after " << after;
  EXPECT_EQ(block[12345], 1);
}

TEST(HostSystemTest, SomeMemoryIsAvailable) {
  const std::optional<uint64_t> mib = AvailableMemoryMib();
  ASSERT_TRUE(mib.has_value());
  EXPECT_GT(*mib, 0u);
}

TEST(HostSystemTest, AFileIsNoTerminal) {
  const ScratchDir scratch("df-host-system");
  std::FILE* file = std::fopen((scratch / "out").c_str(), "w");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(TerminalColumns(file), std::nullopt);
  EXPECT_FALSE(EnableTerminalEscapes(file));
  std::fclose(file);
}

// A child that would sleep 30 s: `sleep` on Linux, the process tests' child on Windows.
std::vector<std::string> Sleeper() {
#ifdef _WIN32
#ifdef DF_TEST_SLEEPER
  return {DF_TEST_SLEEPER, "sleep", "30000"};
#else
  return {};
#endif
#else
  return {"sleep", "30"};
#endif
}

TEST(HostSystemTest, KillProcessNowEndsAChildAtOnce) {
  if (Sleeper().empty()) GTEST_SKIP() << "no test child program in this build";
  SpawnOptions options;
  options.argv = Sleeper();
  Result<Process> child = Process::Spawn(options);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  KillProcessNow(child->pid());
  // The child sleeps 30 s: ending within the wait means the kill ended it.
  Result<ExitStatus> status = child->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.ok()) << status.status().ToString();
#ifdef _WIN32
  EXPECT_EQ(*status, (ExitStatus{ExitStatus::Kind::kExited, 137}));
#else
  EXPECT_EQ(*status, (ExitStatus{ExitStatus::Kind::kSignaled, 9}));
#endif
  KillProcessNow(child->pid());  // reaped now: a no-op, whatever the pid names
  KillProcessNow(0);
  KillProcessNow(-1);
}

}  // namespace
}  // namespace diskferry
