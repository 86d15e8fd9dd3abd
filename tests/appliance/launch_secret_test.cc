// Appliance::Launch on the tcp control transport with a stand-in for QEMU
// (fake_qemu_main.cc) that first connects as another local process would and answers
// Hello without the launch secret: the real launcher drops it, takes the connection that
// echoes the secret QEMU was handed through fw_cfg, and removes the secret's file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "appliance/appliance.h"
#include "appliance/control_greeting.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

ApplianceConfig FakeQemuConfig() {
  ApplianceConfig c;
  c.image.kernel = "/proc/self/exe";  // any regular file: the stand-in boots nothing
  c.image.initrd = "/proc/self/exe";
  c.qemu_binary = DF_FAKE_QEMU;
  c.accel = AccelRequest::kTcg;
  c.shm_size = 0;
  return c;
}

// The file= of the launch secret's -fw_cfg argument in `command`, "" when there is none.
std::string SecretFileOf(const std::string& command) {
  const std::string key = std::string("-fw_cfg name=") + kLaunchSecretFwCfgName + ",file=";
  const size_t at = command.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return command.substr(start, command.find(' ', start) - start);
}

TEST(ApplianceLaunchSecretTest, OverTcpAPeerWithoutTheSecretIsDroppedAndTheEchoingDaemonTaken) {
  ScopedEnv tcp(kControlEnvVar, "tcp");
  Result<std::unique_ptr<Appliance>> app = Appliance::Launch(FakeQemuConfig());
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  // The stand-in reports the mode of the file it read the secret from.
  EXPECT_EQ((*app)->hello().daemon_version, "mode 600");
  EXPECT_TRUE((*app)->hello().launch_secret.empty()) << "checked, then forgotten";
  const std::string secret_file = SecretFileOf((*app)->ShellCommand());
  ASSERT_FALSE(secret_file.empty()) << (*app)->ShellCommand();
  EXPECT_FALSE(std::filesystem::exists(secret_file)) << "removed once the daemon said hello";
  EXPECT_TRUE((*app)->Shutdown().ok());
}

TEST(ApplianceLaunchSecretTest, WhenOnlyAPeerWithoutTheSecretConnectedTheLaunchErrorSaysSo) {
  ScopedEnv tcp(kControlEnvVar, "tcp");
  ScopedEnv only_impostor("FAKE_QEMU_ONLY_IMPOSTOR", "1");
  Result<std::unique_ptr<Appliance>> app = Appliance::Launch(FakeQemuConfig());
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), Code::kUnavailable) << app.status().ToString();
  const std::string& message = app.status().message();
  EXPECT_NE(message.find("QEMU exited with status 3 before connecting to the control socket; "
                         "a process other than the appliance connected to the control port "
                         "127.0.0.1:"),
            std::string::npos)
      << message;
  const std::string note = "; dropped";
  EXPECT_EQ(message.find(note), message.rfind(note)) << "said once: " << message;
}

}  // namespace
}  // namespace diskferry
