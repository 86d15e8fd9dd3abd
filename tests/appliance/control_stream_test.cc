// control_stream.h over loopback TCP: the peer-gone check and writes to a vanished peer.
// Runs on Linux and, cross-built, under wine. The SIGPIPE side of WriteGuard is
// control_stream_posix_test.cc.
#include "appliance/control_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "appliance/tcp_listener.h"
#include "protocol/fd_io.h"
#include "tests/appliance/tcp_listener_test_client.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A connected pair over loopback TCP: ours (as TcpListener accepts it) and the peer.
struct Pair {
  Pair() {
    Result<TcpListener> l = TcpListener::Listen();
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    if (!l.ok()) return;
    Result<int> client = testing::ConnectLoopback(l->port());
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return;
    peer = *client;
    Result<int> conn = l->Accept(5s, 50ms, [] { return Status::Ok(); });
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (conn.ok()) ours = *conn;
  }
  ~Pair() {
    CloseStream(ours);
    CloseStream(peer);
  }
  void ClosePeer() {
    CloseStream(peer);
    peer = -1;
  }
  void ResetPeer() {
    testing::ResetStream(peer);
    peer = -1;
  }
  int ours = -1;
  int peer = -1;
};

// The peer's close reaches us asynchronously: poll for up to 5 s.
bool BecomesGone(int fd) {
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    if (StreamPeerGone(fd)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(ControlStreamTest, ALivePeerIsNotGone) {
  Pair p;
  ASSERT_GE(p.ours, 0);
  EXPECT_FALSE(StreamPeerGone(p.ours));
  EXPECT_FALSE(StreamPeerGone(p.peer));
}

TEST(ControlStreamTest, PendingDataIsNotAGonePeerAndIsNotConsumed) {
  Pair p;
  ASSERT_GE(p.ours, 0);
  const std::vector<uint8_t> body = {7, 8, 9};
  ASSERT_TRUE(WriteFrame(p.peer, body).ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(StreamPeerGone(p.ours));
  FrameReader reader;
  Result<std::vector<uint8_t>> got = ReadFrame(p.ours, &reader, 5000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);
}

TEST(ControlStreamTest, APeerThatClosedIsGone) {
  Pair p;
  ASSERT_GE(p.ours, 0);
  p.ClosePeer();
  EXPECT_TRUE(BecomesGone(p.ours));
}

TEST(ControlStreamTest, APeerThatResetIsGone) {
  Pair p;
  ASSERT_GE(p.ours, 0);
  p.ResetPeer();
  EXPECT_TRUE(BecomesGone(p.ours));
}

TEST(ControlStreamTest, WritingToAVanishedPeerFailsWithAnErrorNotASignal) {
  Pair p;
  ASSERT_GE(p.ours, 0);
  p.ResetPeer();
  ASSERT_TRUE(BecomesGone(p.ours));
  // The first write after a reset may still be taken by the local stack: keep writing.
  const std::vector<uint8_t> chunk(64 * 1024, 0x5a);
  Status written;
  const auto deadline = Clock::now() + 5s;
  while (written.ok() && Clock::now() < deadline) {
    WriteGuard guard;
    written = WriteAll(p.ours, chunk);
  }
  ASSERT_FALSE(written.ok()) << "writes to a reset connection kept succeeding";
  EXPECT_EQ(written.code(), Code::kIoError) << written.ToString();
  EXPECT_NE(written.message().find("write to control channel"), std::string::npos)
      << written.message();
}

TEST(ControlStreamTest, CloseStreamIgnoresANegativeDescriptor) {
  CloseStream(-1);
  Pair p;
  ASSERT_GE(p.ours, 0);
  EXPECT_FALSE(StreamPeerGone(p.peer));  // nothing else was closed
}

}  // namespace
}  // namespace diskferry
