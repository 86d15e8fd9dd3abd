// Launch failures and process cleanup with real QEMU: a kernel that panics, a guest that
// never says hello, and a diskferry killed while its appliance runs.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "appliance/appliance.h"
#include "appliance/image_session.h"
#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class LaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("launch");
    ASSERT_FALSE(dir_.empty());
    auto image = BuildTestAppliance();
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    image_ = *image;
  }
  void TearDown() override { RemoveTree(dir_); }

  // An initramfs holding only the given files, made with cpio(1), not our writer.
  std::string MakeCpio(const std::string& name, const std::string& setup) {
    std::string out;
    const std::string root = dir_ + "/" + name;
    const std::string cmd = "mkdir -p '" + root + "' && cd '" + root + "' && " + setup +
                            " && find . | cpio -o -H newc --quiet > ../" + name + ".cpio";
    EXPECT_EQ(RunShell(cmd, &out), 0) << out;
    return dir_ + "/" + name + ".cpio";
  }

  std::string dir_;
  ApplianceImage image_;
};

TEST_F(LaunchTest, KernelPanicBecomesAnErrorWithTheConsoleTail) {
  ApplianceConfig config;
  config.image = image_;
  // No /init: the kernel looks for a root device, finds none and panics; panic=-1 and
  // -no-reboot make QEMU exit.
  config.image.initrd = MakeCpio("noinit", "mkdir dev");
  config.launch_timeout = seconds(120);
  config.shm_size = 0;
  const auto start = Clock::now();
  auto appliance = Appliance::Launch(config);
  ASSERT_FALSE(appliance.ok());
  EXPECT_LT(Clock::now() - start, seconds(100)) << "the panic was not noticed before the timeout";
  EXPECT_NE(appliance.status().message().find("Kernel panic"), std::string::npos)
      << appliance.status().message();
}

TEST_F(LaunchTest, SilentGuestTimesOutWithTheConsoleTail) {
  ApplianceConfig config;
  config.image = image_;
  // busybox as /init runs its own init, which never speaks our protocol.
  config.image.initrd = MakeCpio(
      "silent", "mkdir -p dev bin && cp /bin/busybox bin/busybox && ln -s bin/busybox init && "
                "printf '::sysinit:/bin/busybox echo silent-guest-is-up\\n' > inittab && "
                "mkdir etc && mv inittab etc/");
  config.launch_timeout = seconds(20);
  config.shm_size = 0;
  // No wall-clock bound: the code says the launch gave up at its deadline, and ctest's
  // timeout catches a launch that never does.
  auto appliance = Appliance::Launch(config);
  ASSERT_FALSE(appliance.ok());
  EXPECT_EQ(appliance.status().code(), Code::kTimeout) << appliance.status().message();
  EXPECT_NE(appliance.status().message().find("silent-guest-is-up"), std::string::npos)
      << appliance.status().message();
}

class KillTest : public LaunchTest, public ::testing::WithParamInterface<int> {};

TEST_P(KillTest, NoQemuRemainsAfterDiskferryIsKilled) {
  MakeSourceTree(dir_ + "/tree", {});
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", dir_ + "/k.img").ok());
  // The appliance's socket and console live under TMPDIR, so QEMU's command line carries
  // this test's scratch directory: a marker no other QEMU has.
  const std::string marker = dir_ + "/tmp";
  ASSERT_EQ(::mkdir(marker.c_str(), 0700), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("TMPDIR", marker.c_str(), 1);
    const std::string prog = BuiltProgram("diskferry");
    const std::string target = dir_ + "/k.img";
    ::execl(prog.c_str(), prog.c_str(), "appliance", "check", "--image", target.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  WaitForProcesses(marker, "qemu", true, seconds(60));
  ASSERT_FALSE(ProcessesMentioning(marker, "qemu").empty()) << "QEMU never started";
  ::kill(child, GetParam());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status)) << "diskferry should die by the signal, status " << status;
  WaitForProcesses(marker, "qemu", false, seconds(10));
  EXPECT_TRUE(ProcessesMentioning(marker, "qemu").empty()) << "QEMU outlived diskferry";
}

INSTANTIATE_TEST_SUITE_P(Signals, KillTest, ::testing::Values(SIGKILL, SIGTERM, SIGINT),
                         [](const auto& info) { return std::string(sigabbrev_np(info.param)); });

}  // namespace
}  // namespace diskferry::testing
