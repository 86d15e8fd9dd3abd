// ControlListener: DISKFERRY_CONTROL, both transports as QEMU would reach them, and the
// RAII rules. Runs on Linux and, cross-built, under wine (where unix is refused).
#include "appliance/control_listener.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "appliance/control_stream.h"
#include "protocol/fd_io.h"
#include "tests/appliance/tcp_listener_test_client.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

#if defined(_WIN32)
constexpr bool kWindows = true;
void SetEnv(const char* name, const char* value) { _putenv_s(name, value); }
#else
constexpr bool kWindows = false;
void SetEnv(const char* name, const char* value) {
  if (*value == '\0') {
    unsetenv(name);
  } else {
    setenv(name, value, 1);
  }
}
#endif

Status KeepWaiting() { return Status::Ok(); }

// Sets DISKFERRY_CONTROL for one test and unsets it afterwards.
class ScopedControlEnv {
 public:
  explicit ScopedControlEnv(const char* value) { SetEnv(kControlEnvVar, value); }
  ~ScopedControlEnv() { SetEnv(kControlEnvVar, ""); }
};

// A fresh private directory, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    path_ =
        fs::temp_directory_path() /
        ("df-ctl-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// The chardev QEMU would be given for the control port.
std::string CtlChardev(const ControlListener& l) {
  QemuCommand cmd;
  l.ConnectQemu(&cmd);
  const std::vector<std::string> argv = cmd.Argv();
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "-chardev" && argv[i + 1].rfind("socket,id=ctl,", 0) == 0) return argv[i + 1];
  }
  return "";
}

// The port in a tcp control chardev, 0 if there is none.
int ChardevPort(const std::string& chardev) {
  const std::string prefix = "socket,id=ctl,host=127.0.0.1,port=";
  const std::string suffix = ",server=off";
  if (chardev.rfind(prefix, 0) != 0 || chardev.size() < prefix.size() + suffix.size() ||
      chardev.compare(chardev.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return 0;
  }
  return std::stoi(chardev.substr(prefix.size(), chardev.size() - prefix.size() - suffix.size()));
}

ControlListener MustListenTcp() {
  Result<ControlListener> l = ControlListener::Listen(ControlTransport::kTcp, "unused");
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return l.ok() ? std::move(*l) : ControlListener();
}

// Connects the way QEMU would, from the chardev, and accepts: true when both ends talk.
bool QemuCanConnect(ControlListener& l) {
  const int port = ChardevPort(CtlChardev(l));
  if (port == 0) return false;
  Result<int> client = testing::ConnectLoopback(port);
  if (!client.ok()) return false;
  Result<int> conn = l.Accept(5s, 20ms, KeepWaiting);
  bool talked = false;
  if (conn.ok()) {
    const std::vector<uint8_t> body = {4, 2};
    FrameReader reader;
    Result<std::vector<uint8_t>> got = Status(Code::kInternal, "not sent");
    if (WriteFrame(*client, body).ok()) got = ReadFrame(*conn, &reader, 5000);
    talked = got.ok() && *got == body;
    CloseStream(*conn);
  }
  CloseStream(*client);
  return talked;
}

bool Refused(int port) {
  Result<int> fd = testing::ConnectLoopback(port);
  if (fd.ok()) CloseStream(*fd);
  return !fd.ok();
}

TEST(ControlTransportTest, EmptyMeansTheHostDefault) {
  EXPECT_EQ(DefaultControlTransport(), kWindows ? ControlTransport::kTcp : ControlTransport::kUnix);
  Result<ControlTransport> t = ParseControlTransport("");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, DefaultControlTransport());
}

TEST(ControlTransportTest, TcpIsAcceptedEverywhere) {
  Result<ControlTransport> t = ParseControlTransport("tcp");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, ControlTransport::kTcp);
  EXPECT_EQ(ControlTransportName(*t), "tcp");
}

TEST(ControlTransportTest, UnixIsAcceptedOnLinuxOnly) {
  Result<ControlTransport> t = ParseControlTransport("unix");
  if (kWindows) {
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(t.status().message().rfind("DISKFERRY_CONTROL=unix: Windows hosts", 0), 0u)
        << t.status().message();
  } else {
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(*t, ControlTransport::kUnix);
    EXPECT_EQ(ControlTransportName(*t), "unix");
  }
}

TEST(ControlTransportTest, OtherValuesAreInvalidAndNameTheVariable) {
  for (const char* bad : {"TCP", "vsock", " tcp", "unix,tcp"}) {
    Result<ControlTransport> t = ParseControlTransport(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(t.status().message(),
              std::string("DISKFERRY_CONTROL=") + bad + ": expected \"unix\" or \"tcp\"");
  }
}

TEST(ControlTransportTest, ChooseReadsTheEnvironment) {
  {
    ScopedControlEnv env("tcp");
    Result<ControlTransport> t = ChooseControlTransport();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, ControlTransport::kTcp);
  }
  {
    ScopedControlEnv env("bogus");
    EXPECT_EQ(ChooseControlTransport().status().code(), Code::kInvalidArgument);
  }
  Result<ControlTransport> unset = ChooseControlTransport();
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(*unset, DefaultControlTransport());
}

TEST(ControlListenerTest, TcpTellsQemuItsLoopbackPortAndAcceptsThere) {
  ControlListener l = MustListenTcp();
  ASSERT_TRUE(l.listening());
  EXPECT_EQ(l.transport(), ControlTransport::kTcp);
  const std::string chardev = CtlChardev(l);
  EXPECT_GT(ChardevPort(chardev), 0) << chardev;
  EXPECT_TRUE(QemuCanConnect(l));
}

TEST(ControlListenerTest, UnixListensInTheDirectoryOnLinuxAndIsRefusedOnWindows) {
  ScratchDir dir;
  Result<ControlListener> l = ControlListener::Listen(ControlTransport::kUnix, dir.path());
  const std::string socket = dir.path() + "/" + kControlSocketName;
  if (kWindows) {
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), Code::kInvalidArgument);
    EXPECT_NE(l.status().message().find(socket), std::string::npos) << l.status().message();
    return;
  }
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->transport(), ControlTransport::kUnix);
  EXPECT_EQ(CtlChardev(*l), "socket,id=ctl,path=" + socket + ",server=off");
  EXPECT_TRUE(fs::exists(socket));
  l->Close();
  EXPECT_FALSE(fs::exists(socket)) << "Close() left " << socket;
}

TEST(ControlListenerTest, ListenFollowsTheEnvironment) {
  ScratchDir dir;
  {
    ScopedControlEnv env("tcp");
    Result<ControlListener> l = ControlListener::Listen(dir.path());
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    EXPECT_EQ(l->transport(), ControlTransport::kTcp);
  }
  {
    ScopedControlEnv env("pipe");
    Result<ControlListener> l = ControlListener::Listen(dir.path());
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), Code::kInvalidArgument);
    EXPECT_NE(l.status().message().find(kControlEnvVar), std::string::npos);
  }
  Result<ControlListener> l = ControlListener::Listen(dir.path());
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->transport(), DefaultControlTransport());
}

TEST(ControlListenerTest, DefaultConstructedIsNotListening) {
  ControlListener l;
  EXPECT_FALSE(l.listening());
  EXPECT_EQ(l.Accept(10ms, 10ms, KeepWaiting).status().code(), Code::kFailedPrecondition);
  l.Close();
}

TEST(ControlListenerTest, MoveConstructionTakesTheEndpoint) {
  ControlListener a = MustListenTcp();
  ControlListener b(std::move(a));
  EXPECT_FALSE(a.listening());  // NOLINT(bugprone-use-after-move): specified moved-from state
  EXPECT_EQ(a.Accept(10ms, 10ms, KeepWaiting).status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(b.listening());
  EXPECT_TRUE(QemuCanConnect(b));
}

TEST(ControlListenerTest, MoveAssignmentOntoALiveListenerClosesIt) {
  ControlListener a = MustListenTcp();
  ControlListener b = MustListenTcp();
  const int old_port = ChardevPort(CtlChardev(a));
  const int kept_port = ChardevPort(CtlChardev(b));
  a = std::move(b);
  EXPECT_FALSE(b.listening());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(ChardevPort(CtlChardev(a)), kept_port);
  EXPECT_TRUE(Refused(old_port)) << "the overwritten listener still listens on " << old_port;
  EXPECT_TRUE(QemuCanConnect(a));
}

TEST(ControlListenerTest, SelfMoveAssignmentKeepsListening) {
  ControlListener a = MustListenTcp();
  ControlListener& alias = a;
  a = std::move(alias);
  ASSERT_TRUE(a.listening());
  EXPECT_TRUE(QemuCanConnect(a));
}

TEST(ControlListenerTest, CloseIsIdempotentAndStopsListening) {
  ControlListener a = MustListenTcp();
  const int port = ChardevPort(CtlChardev(a));
  a.Close();
  EXPECT_FALSE(a.listening());
  a.Close();
  EXPECT_TRUE(Refused(port));
  EXPECT_EQ(a.Accept(10ms, 10ms, KeepWaiting).status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace diskferry
