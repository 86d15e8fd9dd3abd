// Protocol behaviour of Serve + Dispatcher over a socketpair: handshake, errors, framing,
// session end. Directory listing has its own file (read_dir_test.cc).
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>

#include "protocol/errno_names.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon::testing {
namespace {

constexpr uint32_t kOurVersion = static_cast<uint32_t>(proto::ProtocolVersion::V0);

TEST_F(DaemonServeTest, HelloWithMatchingVersionDescribesTheDaemon) {
  const proto::Response* response = Call(HelloRequest(1, kOurVersion));
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 1u);
  ASSERT_EQ(response->error(), nullptr);
  const proto::HelloReply* hello = response->reply_as_Hello();
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->protocol_version(), kOurVersion);
  EXPECT_EQ(View(hello->daemon_version()), DISKFERRY_VERSION);
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(View(hello->kernel_release()), u.release);
  EXPECT_EQ(hello->shm_size(), 0u);
  EXPECT_GT(hello->boot_ms(), 0u);
  ASSERT_NE(hello->filesystems(), nullptr);
  std::vector<std::string> filesystems;
  for (const flatbuffers::String* fs : *hello->filesystems()) filesystems.emplace_back(View(fs));
  EXPECT_TRUE(std::is_sorted(filesystems.begin(), filesystems.end()));
  EXPECT_EQ(std::adjacent_find(filesystems.begin(), filesystems.end()), filesystems.end());
  EXPECT_EQ(std::find(filesystems.begin(), filesystems.end(), "proc"), filesystems.end())
      << "nodev filesystems are not listed";
}

TEST_F(DaemonServeTest, HelloWithOtherVersionFailsWithEprotoNamingBothVersions) {
  const proto::Response* response = Call(HelloRequest(2, 77));
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 2u);
  EXPECT_EQ(response->reply_type(), proto::Reply::NONE);
  ASSERT_NE(response->error(), nullptr);
  EXPECT_EQ(View(response->error()->code()), "EPROTO");
  const std::string_view message = View(response->error()->message());
  EXPECT_NE(message.find("77"), std::string_view::npos) << message;
  EXPECT_NE(message.find("version " + std::to_string(kOurVersion)), std::string_view::npos)
      << message;
}

TEST_F(DaemonServeTest, PingEchoesPayload) {
  const proto::Response* response = Call(PingRequest(3, 0xfeedfacecafebeefull));
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 3u);
  ASSERT_NE(response->reply_as_Ping(), nullptr);
  EXPECT_EQ(response->reply_as_Ping()->payload(), 0xfeedfacecafebeefull);
}

TEST_F(DaemonServeTest, PipelinedRequestsAreAnsweredInOrderWithTheirIds) {
  Send(PingRequest(10, 1));
  Send(PingRequest(11, 2));
  Send(ReadDirRequest(12, "/", 0, 10));
  for (const uint64_t id : {10u, 11u, 12u}) {
    const proto::Response* response = Receive();
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(response->id(), id);
    EXPECT_EQ(response->error(), nullptr);
  }
}

TEST_F(DaemonServeTest, GarbageFrameGetsEprotoWithIdZeroAndServingGoesOn) {
  const uint8_t garbage[] = {8, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0x7f};
  SendRaw(garbage);
  const proto::Response* response = Receive();
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 0u);
  ASSERT_NE(response->error(), nullptr);
  EXPECT_EQ(View(response->error()->code()), "EPROTO");

  response = Call(PingRequest(4, 42));
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 4u);
  ASSERT_NE(response->reply_as_Ping(), nullptr);
  EXPECT_EQ(response->reply_as_Ping()->payload(), 42u);
}

TEST_F(DaemonServeTest, RequestWithoutOpIsEproto) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(proto::CreateRequest(fbb, 5));
  const proto::Response* response = Call(fbb.Release());
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 5u);
  ASSERT_NE(response->error(), nullptr);
  EXPECT_EQ(View(response->error()->code()), "EPROTO");
}

TEST_F(DaemonServeTest, UnknownOpFromNewerHostIsEnosys) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto body = proto::CreatePingRequest(fbb, 1);
  fbb.Finish(proto::CreateRequest(fbb, 6, static_cast<proto::Op>(99), body.Union()));
  const proto::Response* response = Call(fbb.Release());
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 6u);
  ASSERT_NE(response->error(), nullptr);
  EXPECT_EQ(View(response->error()->code()), "ENOSYS");
  EXPECT_NE(View(response->error()->message()).find("99"), std::string_view::npos);
}

TEST_F(DaemonServeTest, OpTypeWithoutBodyIsEproto) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(proto::CreateRequest(fbb, 8, proto::Op::ReadDir, 0));
  const proto::Response* response = Call(fbb.Release());
  ASSERT_NE(response, nullptr);
  ASSERT_NE(response->error(), nullptr);
  EXPECT_EQ(View(response->error()->code()), "EPROTO");
}

TEST_F(DaemonServeTest, MountInTestModeIsNotSupported) {
  const proto::Response* response = Call(MountRequest(9, "/dev/sda1"));
  ASSERT_NE(response, nullptr);
  ASSERT_NE(response->error(), nullptr);
  EXPECT_EQ(View(response->error()->code()), ErrnoName(ENOTSUP));
  EXPECT_NE(View(response->error()->message()).find("/dev/sda1"), std::string_view::npos);
  EXPECT_NE(View(response->error()->message()).find("PID 1"), std::string_view::npos);
}

TEST_F(DaemonServeTest, ListFilesystemsInTestModeIsEmpty) {
  const proto::Response* response = Call(ListFilesystemsRequest(13));
  ASSERT_NE(response, nullptr);
  ASSERT_NE(response->reply_as_ListFilesystems(), nullptr);
  ASSERT_NE(response->reply_as_ListFilesystems()->filesystems(), nullptr);
  EXPECT_EQ(response->reply_as_ListFilesystems()->filesystems()->size(), 0u);
}

TEST_F(DaemonServeTest, ShutdownRepliesAndEndsServe) {
  const proto::Response* response = Call(ShutdownRequest(14));
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->id(), 14u);
  EXPECT_NE(response->reply_as_Shutdown(), nullptr);
  Result<ServeEnd> end = Join();
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_EQ(*end, ServeEnd::kShutdown);
}

TEST_F(DaemonServeTest, EofBetweenFramesEndsServeCleanly) {
  ASSERT_NE(Call(PingRequest(15, 1)), nullptr);
  Result<ServeEnd> end = CloseAndJoin();
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_EQ(*end, ServeEnd::kPeerClosed);
}

TEST_F(DaemonServeTest, EofInsideFrameEndsServeWithError) {
  const uint8_t partial[] = {100, 0, 0, 0, 1, 2, 3};
  SendRaw(partial);
  Result<ServeEnd> end = CloseAndJoin();
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), Code::kUnavailable);
}

TEST_F(DaemonServeTest, OversizedFrameEndsServeWithProtocolError) {
  const uint8_t header[] = {0xff, 0xff, 0xff, 0x7f};
  SendRaw(header);
  Result<ServeEnd> end = Join();
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), Code::kProtocolError);
}

TEST_F(DaemonServeTest, ZeroLengthFrameEndsServeWithProtocolError) {
  const uint8_t header[] = {0, 0, 0, 0};
  SendRaw(header);
  Result<ServeEnd> end = Join();
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), Code::kProtocolError);
}

}  // namespace
}  // namespace diskferry::daemon::testing
