// TcpListener on 127.0.0.1: accept, the loopback-peer check, timeouts, keep_waiting, and
// the RAII rules (moves, Close). Runs on Linux and, cross-built, under wine.
#include "appliance/tcp_listener.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "appliance/control_stream.h"
#include "protocol/fd_io.h"
#include "tests/appliance/tcp_listener_test_client.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using testing::ConnectLoopback;

Status KeepWaiting() { return Status::Ok(); }

TcpListener MustListen() {
  Result<TcpListener> l = TcpListener::Listen();
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return l.ok() ? std::move(*l) : TcpListener();
}

// True when nothing listens on `port` any more: a connection is refused.
bool Refused(int port) {
  Result<int> fd = ConnectLoopback(port);
  if (fd.ok()) CloseStream(*fd);
  return !fd.ok();
}

// Connects a client to `listener` and accepts it: {accepted, client}, -1 on failure.
std::pair<int, int> AcceptOne(TcpListener& listener) {
  Result<int> client = ConnectLoopback(listener.port());
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (!client.ok()) return {-1, -1};
  Result<int> conn = listener.Accept(5s, 50ms, KeepWaiting);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return {conn.ok() ? *conn : -1, *client};
}

// The two ends talk: a frame written on one is read on the other.
void ExpectConnected(int a, int b) {
  const std::vector<uint8_t> body = {1, 2, 3};
  ASSERT_TRUE(WriteFrame(a, body).ok());
  FrameReader reader;
  Result<std::vector<uint8_t>> got = ReadFrame(b, &reader, 5000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);
}

TEST(TcpListenerTest, ListenGivesANonzeroPortOnLoopback) {
  TcpListener l = MustListen();
  EXPECT_GT(l.port(), 0);
  EXPECT_LT(l.port(), 65536);
  EXPECT_EQ(l.address(), "127.0.0.1:" + std::to_string(l.port()));
  TcpListener other = MustListen();
  EXPECT_NE(other.port(), l.port());
}

TEST(TcpListenerTest, AcceptsALoopbackClientWithNodelay) {
  TcpListener l = MustListen();
  const auto [conn, client] = AcceptOne(l);
  ASSERT_GE(conn, 0);
  EXPECT_TRUE(testing::NoDelay(conn));
  ExpectConnected(conn, client);
  ExpectConnected(client, conn);
  CloseStream(conn);
  CloseStream(client);
}

TEST(TcpListenerTest, AcceptsAClientThatConnectsWhileWaiting) {
  TcpListener l = MustListen();
  Result<int> client = Status(Code::kInternal, "not run");
  // keep_waiting runs before each wait: its second call follows a wait that found nobody,
  // and only then does the client connect.
  std::promise<void> waited_once;
  std::thread connector([&, waited = waited_once.get_future()] {
    waited.wait();
    client = ConnectLoopback(l.port());
  });
  int calls = 0;
  Result<int> conn = l.Accept(60s, 20ms, [&] {
    if (++calls == 2) waited_once.set_value();
    return Status::Ok();
  });
  if (calls < 2) waited_once.set_value();  // Accept() returned early: let the thread end
  connector.join();
  EXPECT_GE(calls, 2);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  ExpectConnected(*client, *conn);
  CloseStream(*conn);
  CloseStream(*client);
}

TEST(TcpListenerTest, APeerFromAnotherAddressIsClosedAndWaitingGoesOn) {
  TcpListener l = MustListen();
  // 127.0.0.2 is loopback too, but not QEMU's address: the listener must refuse it.
  Result<int> stranger = ConnectLoopback(l.port(), "127.0.0.2");
  if (!stranger.ok())
    GTEST_SKIP() << "cannot connect from 127.0.0.2: " << stranger.status().ToString();
  Result<int> qemu = ConnectLoopback(l.port());
  ASSERT_TRUE(qemu.ok()) << qemu.status().ToString();
  Result<int> conn = l.Accept(5s, 20ms, KeepWaiting);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ExpectConnected(*conn, *qemu);  // the accepted socket is qemu's, not the stranger's
  FrameReader reader;
  Result<std::vector<uint8_t>> r = ReadFrame(*stranger, &reader, 5000);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), Code::kTimeout) << "the stranger's connection was left open";
  CloseStream(*stranger);
  CloseStream(*qemu);
  CloseStream(*conn);
}

TEST(TcpListenerTest, NobodyConnectingIsATimeout) {
  TcpListener l = MustListen();
  const auto start = std::chrono::steady_clock::now();
  Result<int> conn = l.Accept(200ms, 50ms, KeepWaiting);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), Code::kTimeout);
  EXPECT_NE(conn.status().message().find(l.address()), std::string::npos)
      << conn.status().message();
}

TEST(TcpListenerTest, AnErrorFromKeepWaitingEndsTheWaitWithIt) {
  TcpListener l = MustListen();
  int calls = 0;
  Result<int> conn = l.Accept(10s, 20ms, [&]() -> Status {
    if (++calls < 3) return Status::Ok();
    return Status(Code::kUnavailable, "QEMU exited with status 1");
  });
  EXPECT_EQ(calls, 3) << "the wait went on after keep_waiting failed";
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), Code::kUnavailable);
  EXPECT_EQ(conn.status().message(), "QEMU exited with status 1");
}

TEST(TcpListenerTest, MoveConstructionTakesTheSocket) {
  TcpListener a = MustListen();
  const int port = a.port();
  TcpListener b(std::move(a));
  EXPECT_EQ(a.port(), 0);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(b.port(), port);
  EXPECT_EQ(a.Accept(10ms, 10ms, KeepWaiting).status().code(), Code::kFailedPrecondition);
  const auto [conn, client] = AcceptOne(b);
  ASSERT_GE(conn, 0);
  ExpectConnected(conn, client);
  CloseStream(conn);
  CloseStream(client);
}

TEST(TcpListenerTest, MoveAssignmentOntoALiveListenerClosesItsPort) {
  TcpListener a = MustListen();
  TcpListener b = MustListen();
  const int old_port = a.port();
  const int kept_port = b.port();
  a = std::move(b);
  EXPECT_EQ(a.port(), kept_port);
  EXPECT_EQ(b.port(), 0);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(Refused(old_port)) << "the overwritten listener still listens on " << old_port;
  const auto [conn, client] = AcceptOne(a);
  ASSERT_GE(conn, 0);
  CloseStream(conn);
  CloseStream(client);
}

TEST(TcpListenerTest, SelfMoveAssignmentKeepsTheListener) {
  TcpListener a = MustListen();
  const int port = a.port();
  TcpListener& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.port(), port);
  const auto [conn, client] = AcceptOne(a);
  ASSERT_GE(conn, 0);
  CloseStream(conn);
  CloseStream(client);
}

TEST(TcpListenerTest, CloseIsIdempotentAndFreesThePort) {
  TcpListener a = MustListen();
  const int port = a.port();
  a.Close();
  EXPECT_EQ(a.port(), 0);
  a.Close();
  EXPECT_EQ(a.port(), 0);
  EXPECT_TRUE(Refused(port));
  EXPECT_EQ(a.Accept(10ms, 10ms, KeepWaiting).status().code(), Code::kFailedPrecondition);
}

TEST(TcpListenerTest, DestructionClosesThePort) {
  int port = 0;
  {
    TcpListener a = MustListen();
    port = a.port();
    ASSERT_FALSE(Refused(port));
  }
  EXPECT_TRUE(Refused(port));
}

}  // namespace
}  // namespace diskferry
