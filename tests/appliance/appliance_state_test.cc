// The appliance lifecycle as a pure state machine, plus config validation and the launch
// failure report: everything about Appliance that needs no VM.
#include "appliance/appliance_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <utility>

#include "appliance/appliance.h"
#include "appliance/launch_report.h"

namespace diskferry {
namespace {

using S = ApplianceState;
using E = ApplianceEvent;

TEST(ApplianceStateTest, StartsInConfig) { EXPECT_EQ(ApplianceStateMachine().state(), S::kConfig); }

TEST(ApplianceStateTest, TransitionTableIsExactlyTheDocumentedEdges) {
  const std::map<std::pair<S, E>, S> legal = {
      {{S::kConfig, E::kSpawn}, S::kLaunching}, {{S::kConfig, E::kClose}, S::kClosed},
      {{S::kLaunching, E::kHello}, S::kReady},  {{S::kLaunching, E::kFail}, S::kClosed},
      {{S::kReady, E::kClose}, S::kClosed},
  };
  for (S s : {S::kConfig, S::kLaunching, S::kReady, S::kClosed}) {
    for (E e : {E::kSpawn, E::kHello, E::kFail, E::kClose}) {
      const auto it = legal.find({s, e});
      const std::optional<S> next = NextApplianceState(s, e);
      if (it == legal.end()) {
        EXPECT_FALSE(next.has_value()) << ApplianceStateName(s) << " on " << ApplianceEventName(e);
      } else {
        EXPECT_EQ(next, it->second) << ApplianceStateName(s) << " on " << ApplianceEventName(e);
      }
    }
  }
}

TEST(ApplianceStateTest, HappyPathReachesReadyThenClosed) {
  ApplianceStateMachine m;
  m.Apply(E::kSpawn);
  EXPECT_EQ(m.state(), S::kLaunching);
  m.Apply(E::kHello);
  EXPECT_EQ(m.state(), S::kReady);
  EXPECT_FALSE(m.CanApply(E::kHello));
  m.Apply(E::kClose);
  EXPECT_EQ(m.state(), S::kClosed);
  EXPECT_FALSE(m.CanApply(E::kClose));
}

TEST(ApplianceStateTest, FailedLaunchCloses) {
  ApplianceStateMachine m;
  m.Apply(E::kSpawn);
  m.Apply(E::kFail);
  EXPECT_EQ(m.state(), S::kClosed);
}

TEST(ApplianceStateDeathTest, HelloBeforeSpawnIsABug) {
  ApplianceStateMachine m;
  EXPECT_DEATH(m.Apply(E::kHello), "no transition from config on hello");
}

TEST(ApplianceStateDeathTest, ReopeningAClosedApplianceIsABug) {
  ApplianceStateMachine m;
  m.Apply(E::kClose);
  EXPECT_DEATH(m.Apply(E::kSpawn), "no transition from closed on spawn");
}

TEST(ApplianceStateDeathTest, FailingAReadyApplianceIsABug) {
  ApplianceStateMachine m;
  m.Apply(E::kSpawn);
  m.Apply(E::kHello);
  EXPECT_DEATH(m.Apply(E::kFail), "no transition from ready on fail");
}

// --- config validation (runs before anything is started) ---

ApplianceConfig ValidConfig() {
  ApplianceConfig c;
  c.image.kernel = "/proc/self/exe";  // any existing regular file will do
  c.image.initrd = "/proc/self/exe";
  return c;
}

TEST(ApplianceConfigTest, DefaultsAreValid) {
  const ApplianceConfig c = ValidConfig();
  EXPECT_TRUE(ValidateApplianceConfig(c).ok()) << ValidateApplianceConfig(c).ToString();
  EXPECT_EQ(c.memory_mib, 512u);
  EXPECT_EQ(c.vcpus, 1u);
  EXPECT_EQ(c.shm_size, 256u << 20);
  EXPECT_EQ(c.launch_timeout, std::chrono::seconds(60));
  EXPECT_EQ(c.qemu_binary, "qemu-system-x86_64");
}

TEST(ApplianceConfigTest, MissingKernelIsNotFound) {
  ApplianceConfig c = ValidConfig();
  c.image.kernel = "/nonexistent/vmlinuz";
  const Status s = ValidateApplianceConfig(c);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("appliance kernel /nonexistent/vmlinuz"), std::string::npos);
}

TEST(ApplianceConfigTest, RejectsBadDriveFormatAndSizes) {
  ApplianceConfig c = ValidConfig();
  c.drives.push_back({"/proc/self/exe", "raw,file=/etc/shadow", false});
  EXPECT_EQ(ValidateApplianceConfig(c).code(), Code::kInvalidArgument);
  c = ValidConfig();
  c.shm_size = 3u << 20;
  EXPECT_EQ(ValidateApplianceConfig(c).code(), Code::kInvalidArgument);
  c = ValidConfig();
  c.memory_mib = 16;
  EXPECT_EQ(ValidateApplianceConfig(c).code(), Code::kInvalidArgument);
  c = ValidConfig();
  c.shm_size = 0;  // no ivshmem at all is fine
  EXPECT_TRUE(ValidateApplianceConfig(c).ok());
}

TEST(ApplianceLaunchTest, MissingQemuBinaryFailsBeforeBooting) {
  ApplianceConfig c = ValidConfig();
  c.qemu_binary = "/nonexistent/qemu-system-x86_64";
  c.accel = AccelRequest::kTcg;
  c.shm_size = 0;
  Result<std::unique_ptr<Appliance>> app = Appliance::Launch(c);
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), Code::kNotFound);
  EXPECT_NE(app.status().message().find("start QEMU"), std::string::npos) << app.status().message();
}

// --- the launch failure report ---

TEST(LaunchReportTest, TailLinesKeepsTheLastLinesAndNeutralisesControlCharacters) {
  char path[] = "/tmp/df-tail-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 30; ++i) out << "line " << i << "\r\n";
    out << "evil \x1b[2Jclear\n";
  }
  const std::string tail = TailLines(path, 3);
  EXPECT_EQ(tail, "line 28\nline 29\nevil \\x1b[2Jclear");
  ::unlink(path);
}

TEST(LaunchReportTest, NamesAcceleratorTimeAndConsolePath) {
  LaunchReport r;
  r.why = Status(Code::kTimeout, "hello: no reply on the control channel in time");
  r.accel = {Accelerator::kTcg, "TCG: KVM: /dev/kvm not present"};
  r.elapsed = std::chrono::milliseconds(61234);
  r.qemu_fate = "was still running; killed";
  r.qemu_output_path = "/nonexistent/qemu.log";
  r.console_log_path = "/nonexistent/console.log";
  r.command = "qemu-system-x86_64 -m 512";
  const Status s = FormatLaunchFailure(r);
  EXPECT_EQ(s.code(), Code::kTimeout);
  EXPECT_EQ(s.message(),
            "appliance launch failed: hello: no reply on the control channel in time (QEMU was "
            "still running; killed, after 61.2 s; details with --verbose)\n"
            "  accelerator: tcg (TCG: KVM: /dev/kvm not present)\n"
            "  elapsed: 61.2 s\n"
            "  QEMU: was still running; killed\n"
            "  console: empty\n"
            "  command: qemu-system-x86_64 -m 512");
}

}  // namespace
}  // namespace diskferry
