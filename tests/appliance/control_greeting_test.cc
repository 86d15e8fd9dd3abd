// AcceptDaemon over a real loopback TcpListener (through ControlListener): a process that
// connects first and answers Hello without the launch secret, or with a wrong one, is
// dropped and the daemon that echoes the secret is taken. Also LaunchSecret itself.
// Runs on Linux and, cross-built, under wine.
#include "appliance/control_greeting.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "appliance/control_stream.h"
#include "protocol/diskferry_generated.h"
#include "protocol/fd_io.h"
#include "tests/appliance/tcp_listener_test_client.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;

constexpr LaunchSecret::Bytes kSecretBytes = {
    0x9b, 0x11, 0x00, 0x42, 0xff, 0x1b, 0x0a, 0x7e, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x5a};

std::vector<uint8_t> SecretVector() { return {kSecretBytes.begin(), kSecretBytes.end()}; }

// A peer on the control port: reads one Hello and answers it as `version` with `secret`
// (none when nullopt); then reports whether the host sent anything else before closing.
class FakePeer {
 public:
  FakePeer(int port, std::string version, std::optional<std::vector<uint8_t>> secret)
      : version_(std::move(version)), secret_(std::move(secret)) {
    Result<int> fd = testing::ConnectLoopback(port);
    EXPECT_TRUE(fd.ok()) << fd.status().ToString();
    fd_ = fd.ok() ? *fd : -1;
  }
  ~FakePeer() {
    if (fd_ >= 0) CloseStream(fd_);
  }

  // Reads Hello and answers it. False (with a test failure) when no Hello came.
  bool AnswerHello() {
    Result<std::vector<uint8_t>> body = ReadFrame(fd_, &reader_, 10000);
    if (!body.ok()) {
      ADD_FAILURE() << version_ << ": " << body.status().ToString();
      return false;
    }
    Result<const proto::Request*> req = VerifyRequest(*body);
    EXPECT_TRUE(req.ok() && (*req)->op_type() == proto::Op::Hello) << version_;
    if (!req.ok()) return false;
    flatbuffers::FlatBufferBuilder fbb;
    const auto reply = proto::CreateHelloReplyDirect(fbb, 1, version_.c_str(), "6.1.0", nullptr, 0,
                                                     0, secret_ ? &*secret_ : nullptr);
    fbb.Finish(proto::CreateResponse(fbb, (*req)->id(), 0, proto::Reply::Hello, reply.Union()));
    return WriteFrame(fd_, {fbb.GetBufferPointer(), fbb.GetSize()}).ok();
  }

  // True when the host closed the connection without sending another frame.
  bool DroppedWithoutAnotherFrame() {
    Result<std::vector<uint8_t>> next = ReadFrame(fd_, &reader_, 10000);
    return !next.ok() && next.status().code() != Code::kTimeout;
  }

 private:
  std::string version_;
  std::optional<std::vector<uint8_t>> secret_;
  int fd_ = -1;
  FrameReader reader_;
};

class ControlGreetingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ControlListener> l = ControlListener::Listen(ControlTransport::kTcp, dir_.path());
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    listener_ = std::move(*l);
    port_ = std::stoi(listener_.address().substr(listener_.address().rfind(':') + 1));
    options_.secret = &secret_;
    options_.require_secret = true;
    options_.call_timeout = 10s;
    options_.check_interval = 10ms;
    options_.time_left = [] { return std::chrono::milliseconds(20s); };
    options_.keep_waiting = [] { return Status::Ok(); };
  }

  // An impostor connects first and answers with `impostor_secret`; once it has been
  // dropped, the daemon connects and echoes the real secret.
  Result<DaemonGreeting> GreetAfterImpostor(std::optional<std::vector<uint8_t>> impostor_secret,
                                            bool* impostor_dropped) {
    FakePeer impostor(port_, "impostor", std::move(impostor_secret));
    std::thread peers([&] {
      if (!impostor.AnswerHello()) return;
      *impostor_dropped = impostor.DroppedWithoutAnotherFrame();
      FakePeer daemon(port_, "daemon", SecretVector());
      daemon.AnswerHello();
      // Keeps the connection open until the host has taken it.
      while (!accepted_) std::this_thread::yield();
    });
    Result<DaemonGreeting> greeting = AcceptDaemon(&listener_, options_);
    accepted_ = true;
    peers.join();
    return greeting;
  }

  ScratchDir dir_{"df-greeting"};
  ControlListener listener_;
  int port_ = 0;
  LaunchSecret secret_{kSecretBytes};
  GreetingOptions options_;
  std::atomic<bool> accepted_{false};
};

TEST_F(ControlGreetingTest, APeerAnsweringHelloWithoutTheSecretIsDroppedAndTheDaemonTaken) {
  bool impostor_dropped = false;
  Result<DaemonGreeting> greeting = GreetAfterImpostor(std::nullopt, &impostor_dropped);
  ASSERT_TRUE(greeting.ok()) << greeting.status().ToString();
  EXPECT_TRUE(impostor_dropped);
  EXPECT_EQ(greeting->dropped, 1);
  EXPECT_EQ(greeting->hello.daemon_version, "daemon");
  EXPECT_EQ(greeting->client->state(), ControlClient::State::kOpen);
}

TEST_F(ControlGreetingTest, APeerAnsweringHelloWithAWrongSecretIsDroppedAndTheDaemonTaken) {
  std::vector<uint8_t> wrong = SecretVector();
  wrong.back() ^= 1;
  bool impostor_dropped = false;
  Result<DaemonGreeting> greeting = GreetAfterImpostor(wrong, &impostor_dropped);
  ASSERT_TRUE(greeting.ok()) << greeting.status().ToString();
  EXPECT_TRUE(impostor_dropped);
  EXPECT_EQ(greeting->dropped, 1);
  EXPECT_EQ(greeting->hello.daemon_version, "daemon");
}

TEST_F(ControlGreetingTest, ASecretWithTheRightPrefixButLongerIsDropped) {
  std::vector<uint8_t> longer = SecretVector();
  longer.push_back(0);
  bool impostor_dropped = false;
  Result<DaemonGreeting> greeting = GreetAfterImpostor(longer, &impostor_dropped);
  ASSERT_TRUE(greeting.ok()) << greeting.status().ToString();
  EXPECT_TRUE(impostor_dropped);
  EXPECT_EQ(greeting->hello.daemon_version, "daemon");
}

TEST_F(ControlGreetingTest, WhenOnlyImpostorsCameTheErrorSaysSoOnce) {
  std::atomic<int> dropped{0};
  // The wait after the drops ends as when QEMU exits; no wall-clock bound.
  options_.keep_waiting = [&] {
    return dropped == 2 ? Status(Code::kUnavailable, "QEMU exited with status 1") : Status::Ok();
  };
  FakePeer first(port_, "impostor", std::nullopt);
  FakePeer second(port_, "impostor", std::vector<uint8_t>{1});
  // Each on its own thread: the host may accept them in either order.
  auto answer = [&](FakePeer* peer) {
    if (peer->AnswerHello() && peer->DroppedWithoutAnotherFrame()) ++dropped;
  };
  std::thread a(answer, &first);
  std::thread b(answer, &second);
  Result<DaemonGreeting> greeting = AcceptDaemon(&listener_, options_);
  a.join();
  b.join();
  EXPECT_EQ(dropped, 2);
  ASSERT_FALSE(greeting.ok());
  EXPECT_EQ(greeting.status().code(), Code::kUnavailable);
  EXPECT_EQ(greeting.status().message(),
            "QEMU exited with status 1; a process other than the appliance connected to the "
            "control port 127.0.0.1:" +
                std::to_string(port_) + "; dropped");
}

TEST_F(ControlGreetingTest, WithoutRequiringTheSecretTheFirstPeerIsTaken) {
  options_.require_secret = false;
  FakePeer peer(port_, "unix-daemon", std::nullopt);
  std::thread t([&] { peer.AnswerHello(); });
  Result<DaemonGreeting> greeting = AcceptDaemon(&listener_, options_);
  t.join();
  ASSERT_TRUE(greeting.ok()) << greeting.status().ToString();
  EXPECT_EQ(greeting->dropped, 0);
  EXPECT_EQ(greeting->hello.daemon_version, "unix-daemon");
}

TEST(LaunchSecretTest, MatchesOnlyTheSameBytes) {
  const LaunchSecret secret(kSecretBytes);
  std::vector<uint8_t> same = SecretVector();
  EXPECT_TRUE(secret.Matches(same));
  for (size_t i : {size_t{0}, size_t{15}, kLaunchSecretBytes - 1}) {
    std::vector<uint8_t> other = same;
    other[i] ^= 0x80;
    EXPECT_FALSE(secret.Matches(other)) << "byte " << i;
  }
  EXPECT_FALSE(secret.Matches({}));
  EXPECT_FALSE(secret.Matches(std::span(same).first(kLaunchSecretBytes - 1)));
}

TEST(LaunchSecretTest, TwoDrawsDiffer) {
  Result<LaunchSecret> a = LaunchSecret::Draw();
  Result<LaunchSecret> b = LaunchSecret::Draw();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->bytes().size(), kLaunchSecretBytes);
  EXPECT_FALSE(a->Matches(b->bytes()));
}

TEST(LaunchSecretTest, WriteToMakesANewFileHoldingExactlyTheBytes) {
  ScratchDir dir("df-secret");
  const LaunchSecret secret(kSecretBytes);
  const std::string path = dir.File("secret");
  ASSERT_TRUE(secret.WriteTo(path).ok());
  std::ifstream in(FsPath(path), std::ios::binary);
  const std::vector<uint8_t> content{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(content, SecretVector());
#if !defined(_WIN32)
  const auto perms = std::filesystem::status(path).permissions();
  EXPECT_EQ(perms, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
#endif
  // A file already there (or a link planted there) is never written through.
  EXPECT_FALSE(secret.WriteTo(path).ok());
}

}  // namespace
}  // namespace diskferry
