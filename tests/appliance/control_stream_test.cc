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

// The peer's close reaches us asynchronously: waits for it with no time claim (a close
// that never arrives hangs the test until ctest's timeout fails it).
bool BecomesGone(int fd) {
  while (!StreamPeerGone(fd)) std::this_thread::yield();
  return true;
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
  // One byte, then the frame, in one small write: one segment on loopback. Once the byte
  // has been read, the frame is pending behind it.
  const std::vector<uint8_t> body = {7, 8, 9};
  std::vector<uint8_t> bytes = {0x55};
  AppendFrame(body, &bytes);
  ASSERT_TRUE(WriteAll(p.peer, bytes).ok());
  uint8_t first = 0;
  Result<std::optional<size_t>> got_first = ReadSomeWithin(p.ours, {&first, 1}, 60000);
  ASSERT_TRUE(got_first.ok()) << got_first.status().ToString();
  ASSERT_EQ(*got_first, std::optional<size_t>(1));
  ASSERT_EQ(first, 0x55);
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
  // The first write after a reset may still be taken by the local stack: keep writing, a
  // number of times rather than for a time.
  const std::vector<uint8_t> chunk(64 * 1024, 0x5a);
  Status written;
  for (int i = 0; i < 100 && written.ok(); ++i) {
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
