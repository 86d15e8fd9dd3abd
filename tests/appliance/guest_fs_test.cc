// GuestFs against a scripted fake daemon on a socketpair: what a hostile guest's replies
// can make the host do.
#include "appliance/guest_fs.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "protocol/fd_io.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using flatbuffers::FlatBufferBuilder;

// Answers every request with `answer` until the client goes away; counts them.
class ScriptedDaemon {
 public:
  using Answer = std::function<void(const proto::Request&, FlatBufferBuilder&)>;

  explicit ScriptedDaemon(Answer answer) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_ = std::make_unique<ControlClient>(fds[0], 5s);
    peer_ = fds[1];
    thread_ = std::thread([this, answer = std::move(answer)] { Serve(answer); });
  }
  ~ScriptedDaemon() {
    client_->Close();  // the peer's read ends
    thread_.join();
    ::close(peer_);
  }

  ControlClient& client() { return *client_; }
  size_t requests() const { return requests_; }

 private:
  void Serve(const Answer& answer) {
    FrameReader reader;
    for (;;) {
      Result<std::vector<uint8_t>> body = ReadFrame(peer_, &reader, 10000);
      if (!body.ok()) return;
      Result<const proto::Request*> req = VerifyRequest(*body);
      if (!req.ok()) return;
      ++requests_;
      FlatBufferBuilder fbb;
      answer(**req, fbb);
      if (!WriteFrame(peer_, {fbb.GetBufferPointer(), fbb.GetSize()}).ok()) return;
    }
  }

  std::unique_ptr<ControlClient> client_;
  int peer_ = -1;
  std::thread thread_;
  std::atomic<size_t> requests_ = 0;
};

constexpr uint32_t kDirMode = 040755;

// Every directory holds one directory named "a": /x, /x/a, /x/a/a, ... for ever.
void EndlessTree(const proto::Request& req, FlatBufferBuilder& fbb) {
  const proto::Stat dir(kDirMode, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0);
  if (req.op_type() == proto::Op::Lstat) {
    fbb.Finish(proto::CreateResponse(fbb, req.id(), 0, proto::Reply::Lstat,
                                     proto::CreateLstatReply(fbb, &dir).Union()));
    return;
  }
  if (req.op_type() == proto::Op::ReadDir) {
    std::vector<flatbuffers::Offset<proto::DirEntry>> entries{
        proto::CreateDirEntry(fbb, fbb.CreateString("a"), &dir)};
    fbb.Finish(
        proto::CreateResponse(fbb, req.id(), 0, proto::Reply::ReadDir,
                              proto::CreateReadDirReplyDirect(fbb, &entries, 1, true).Union()));
    return;
  }
  fbb.Finish(proto::CreateResponse(fbb, req.id(), 0, proto::Reply::Empty,
                                   proto::CreateEmptyReply(fbb).Union()));
}

TEST(GuestFsTest, RemoveTreeStopsAtThePathLimitInATreeWithoutEnd) {
  ScriptedDaemon d(EndlessTree);
  GuestFs fs(d.client());
  const Status st = fs.RemoveTree("/x");
  EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
  EXPECT_TRUE(st.message().starts_with(kMisbehavedPrefix)) << st.message();
  EXPECT_NE(st.message().find("deeper than a path can be"), std::string::npos) << st.message();
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

TEST(GuestFsTest, ReadDirAllRefusesAPathDeeperThanAPathCanBeWithoutAsking) {
  ScriptedDaemon d(EndlessTree);
  GuestFs fs(d.client());
  std::string deep;
  while (deep.size() <= 4096) deep += "/a";
  const Result<std::vector<DirEntryInfo>> entries = fs.ReadDirAll(deep);
  EXPECT_EQ(entries.status().code(), Code::kProtocolError);
  EXPECT_NE(entries.status().message().find("deeper than a path can be"), std::string::npos);
  EXPECT_EQ(d.requests(), 0u);
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

TEST(GuestFsTest, ReadlinkRefusesATargetLongerThanAPath) {
  ScriptedDaemon d([](const proto::Request& req, FlatBufferBuilder& fbb) {
    const auto reply = proto::CreateReadlinkReply(fbb, fbb.CreateString(std::string(4097, 't')));
    fbb.Finish(proto::CreateResponse(fbb, req.id(), 0, proto::Reply::Readlink, reply.Union()));
  });
  GuestFs fs(d.client());
  const Result<std::string> target = fs.Readlink("/l");
  EXPECT_EQ(target.status().code(), Code::kProtocolError) << target.status().ToString();
  EXPECT_TRUE(target.status().message().starts_with(kMisbehavedPrefix));
  EXPECT_NE(target.status().message().find("/l: "), std::string::npos);
}

TEST(GuestFsTest, AReplyOfTheWrongTypeBreaksTheChannel) {
  ScriptedDaemon d([](const proto::Request& req, FlatBufferBuilder& fbb) {
    fbb.Finish(proto::CreateResponse(fbb, req.id(), 0, proto::Reply::Ping,
                                     proto::CreatePingReply(fbb, 1).Union()));
  });
  GuestFs fs(d.client());
  const Status st = fs.Mkdir("/d", 0755, false);
  EXPECT_EQ(st.code(), Code::kProtocolError);
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

}  // namespace
}  // namespace diskferry
