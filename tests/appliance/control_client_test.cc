// ControlClient against a fake daemon on a socketpair that writes hand-built Responses.
#include "appliance/control_client.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <thread>

#include "protocol/fd_io.h"
#include "protocol/walk_order.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using flatbuffers::FlatBufferBuilder;

// One request as the fake daemon saw it.
struct SeenRequest {
  uint64_t id = 0;
  proto::Op op = proto::Op::NONE;
  uint64_t ping_payload = 0;
  uint64_t readdir_start = 0;
  std::string survey_path;
  uint64_t survey_checkpoint_weight = 0;
  uint64_t survey_entry_weight = 0;
};

class FakeDaemon {
 public:
  explicit FakeDaemon(std::chrono::milliseconds call_timeout = 2s) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_ = std::make_unique<ControlClient>(fds[0], call_timeout);
    peer_ = fds[1];
  }
  ~FakeDaemon() {
    if (thread_.joinable()) thread_.join();
    if (peer_ >= 0) ::close(peer_);
  }

  // Runs `script` on the daemon side, concurrently with the test's calls.
  void Run(std::function<void(FakeDaemon&)> script) {
    thread_ = std::thread([this, script = std::move(script)] { script(*this); });
  }
  void Join() { thread_.join(); }

  SeenRequest Read() {
    Result<std::vector<uint8_t>> body = ReadFrame(peer_, &reader_, 5000);
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    if (!body.ok()) return {};
    Result<const proto::Request*> req = VerifyRequest(*body);
    EXPECT_TRUE(req.ok());
    SeenRequest seen;
    seen.id = (*req)->id();
    seen.op = (*req)->op_type();
    if (auto* p = (*req)->op_as_Ping()) seen.ping_payload = p->payload();
    if (auto* r = (*req)->op_as_ReadDir()) seen.readdir_start = r->start();
    if (auto* r = (*req)->op_as_Survey()) {
      seen.survey_path = r->path() ? r->path()->str() : "";
      seen.survey_checkpoint_weight = r->checkpoint_weight();
      seen.survey_entry_weight = r->entry_weight();
    }
    return seen;
  }
  void WriteRaw(const std::vector<uint8_t>& bytes) { ASSERT_TRUE(WriteAll(peer_, bytes).ok()); }
  void Reply(uint64_t id, proto::Reply type, flatbuffers::Offset<void> reply,
             FlatBufferBuilder& fbb) {
    fbb.Finish(proto::CreateResponse(fbb, id, 0, type, reply));
    ASSERT_TRUE(WriteFrame(peer_, {fbb.GetBufferPointer(), fbb.GetSize()}).ok());
  }
  void Error(uint64_t id, const char* code, const char* message) {
    FlatBufferBuilder fbb;
    const auto err = proto::CreateErrorDirect(fbb, code, message);
    fbb.Finish(proto::CreateResponse(fbb, id, err));
    ASSERT_TRUE(WriteFrame(peer_, {fbb.GetBufferPointer(), fbb.GetSize()}).ok());
  }
  void Pong(uint64_t id, uint64_t payload) {
    FlatBufferBuilder fbb;
    Reply(id, proto::Reply::Ping, proto::CreatePingReply(fbb, payload).Union(), fbb);
  }
  void ClosePeer() {
    ::close(peer_);
    peer_ = -1;
  }

  ControlClient& client() { return *client_; }

 private:
  std::unique_ptr<ControlClient> client_;
  int peer_ = -1;
  FrameReader reader_;
  std::thread thread_;
};

// One ReadDir page with entries named `names`, indices from `start`.
void ReplyDirPage(FakeDaemon& d, uint64_t id, const std::vector<std::string>& names, uint64_t next,
                  bool eof) {
  FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<proto::DirEntry>> entries;
  for (const std::string& n : names) {
    const proto::Stat st(0100644, 1, 2, 1, 42, 7, 0, 8, 1, 2, 3);
    entries.push_back(proto::CreateDirEntry(fbb, fbb.CreateString(n), &st));  // keeps NULs
  }
  const auto page = proto::CreateReadDirReplyDirect(fbb, &entries, next, eof);
  d.Reply(id, proto::Reply::ReadDir, page.Union(), fbb);
}

TEST(ControlClientTest, PingRoundTripsWithFreshIds) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    for (uint64_t want_id : {1u, 2u}) {
      const SeenRequest r = d.Read();
      EXPECT_EQ(r.id, want_id);
      EXPECT_EQ(r.op, proto::Op::Ping);
      d.Pong(r.id, r.ping_payload);
    }
  });
  EXPECT_EQ(*d.client().Ping(42), 42u);
  EXPECT_EQ(*d.client().Ping(7), 7u);
}

TEST(ControlClientTest, HelloFillsHelloInfo) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    const SeenRequest r = d.Read();
    EXPECT_EQ(r.op, proto::Op::Hello);
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<flatbuffers::String>> fs = {fbb.CreateString("ext4"),
                                                                fbb.CreateString("xfs")};
    const auto hello =
        proto::CreateHelloReplyDirect(fbb, 1, "0.1.0", "6.1.0-test", &fs, 1u << 20, 1390);
    d.Reply(r.id, proto::Reply::Hello, hello.Union(), fbb);
  });
  Result<HelloInfo> h = d.client().Hello(2s);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->protocol_version, 1u);
  EXPECT_EQ(h->daemon_version, "0.1.0");
  EXPECT_EQ(h->kernel_release, "6.1.0-test");
  EXPECT_EQ(h->filesystems, (std::vector<std::string>{"ext4", "xfs"}));
  EXPECT_EQ(h->shm_size, 1u << 20);
  EXPECT_EQ(h->boot_ms, 1390u);
}

TEST(ControlClientTest, UnexpectedIdIsAProtocolErrorAndBreaksTheChannel) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) { d.Pong(d.Read().id + 5, 1); });
  Result<uint64_t> r = d.client().Ping(1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: response id 6, expected 1");
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
  Result<uint64_t> again = d.client().Ping(2);
  EXPECT_EQ(again.status().code(), Code::kUnavailable);
  EXPECT_NE(again.status().message().find("response id 6, expected 1"), std::string::npos);
}

TEST(ControlClientTest, BrokenHookRunsOnceWithTheFirstFailure) {
  FakeDaemon d;
  std::vector<std::string> seen;
  d.client().SetBrokenHook([&](const Status& why) { seen.push_back(why.message()); });
  d.Run([](FakeDaemon& d) { d.Pong(d.Read().id + 1, 1); });
  EXPECT_FALSE(d.client().Ping(1).ok());
  EXPECT_FALSE(d.client().Ping(2).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "protocol error: the appliance misbehaved: response id 2, expected 1"}));
}

TEST(ControlClientTest, DaemonRejectingOurRequestIsReported) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    d.Read();
    d.Error(0, "EPROTO", "request frame of 12 bytes failed verification");
  });
  Result<uint64_t> r = d.client().Ping(1);
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: response id 0, expected 1 (EPROTO: request "
            "frame of 12 bytes failed verification)");
}

TEST(ControlClientTest, SilentDaemonTimesOut) {
  FakeDaemon d(100ms);
  d.Run([](FakeDaemon& d) { d.Read(); });
  const auto start = std::chrono::steady_clock::now();
  Result<uint64_t> r = d.client().Ping(1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 95ms);  // fd_io rounds to whole ms
  EXPECT_EQ(r.status().code(), Code::kTimeout);
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

TEST(ControlClientTest, GuestErrorKeepsTheErrnoAndTheChannel) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    d.Error(d.Read().id, "ENOENT", "/dev/vdz: no such device");
    const SeenRequest r = d.Read();
    d.Pong(r.id, r.ping_payload);
  });
  Result<MountInfo> m = d.client().Mount("/dev/vdz", false, "");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Code::kGuestError);
  EXPECT_EQ(m.status().message(), "ENOENT: /dev/vdz: no such device");
  EXPECT_EQ(GuestErrno(m.status()), "ENOENT");
  EXPECT_EQ(d.client().state(), ControlClient::State::kOpen);
  EXPECT_EQ(*d.client().Ping(9), 9u);
}

TEST(ControlClientTest, GuestErrorTextIsSanitised) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) { d.Error(d.Read().id, "ENOENT; rm", "bad\x1b[2J\nname"); });
  Result<uint64_t> r = d.client().Ping(1);
  EXPECT_EQ(r.status().message(), "EPROTO: bad\\x1b[2J\\x0aname");
  EXPECT_EQ(GuestErrno(r.status()), "EPROTO");
  EXPECT_EQ(GuestErrno(Status(Code::kIoError, "EIO: x")), "");
}

TEST(ControlClientTest, UnverifiableFrameIsRejected) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    d.Read();
    std::vector<uint8_t> frame;
    const std::vector<uint8_t> junk = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4};
    AppendFrame(junk, &frame);
    d.WriteRaw(frame);
  });
  Result<uint64_t> r = d.client().Ping(1);
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_NE(r.status().message().find("failed verification"), std::string::npos);
}

TEST(ControlClientTest, OversizedFrameHeaderIsRejected) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    d.Read();
    d.WriteRaw({0xff, 0xff, 0xff, 0xff});
  });
  EXPECT_EQ(d.client().Ping(1).status().code(), Code::kProtocolError);
}

TEST(ControlClientTest, ResponseWithNeitherErrorNorReplyIsRejected) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    const SeenRequest r = d.Read();
    FlatBufferBuilder fbb;
    fbb.Finish(proto::CreateResponse(fbb, r.id));
    d.WriteRaw([&] {
      std::vector<uint8_t> f;
      AppendFrame({fbb.GetBufferPointer(), fbb.GetSize()}, &f);
      return f;
    }());
  });
  EXPECT_EQ(d.client().Ping(1).status().code(), Code::kProtocolError);
}

TEST(ControlClientTest, WrongReplyTypeIsRejected) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) { d.Pong(d.Read().id, 1); });
  Result<std::vector<FilesystemInfo>> r = d.client().ListFilesystems();
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: expected a ListFilesystems reply, got Ping");
}

TEST(ControlClientTest, PeerClosingIsUnavailable) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    d.Read();
    d.ClosePeer();
  });
  EXPECT_EQ(d.client().Ping(1).status().code(), Code::kUnavailable);
}

TEST(ControlClientTest, SendingToAVanishedPeerFailsWithoutSigpipe) {
  FakeDaemon d;
  d.ClosePeer();
  Result<uint64_t> r = d.client().Ping(1);  // SIGPIPE would end this test binary
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("Broken pipe"), std::string::npos) << r.status().message();
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST(ControlClientTest, PipelinedRequestsAreMatchedInOrder) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    const SeenRequest a = d.Read(), b = d.Read();
    d.Pong(a.id, a.ping_payload);
    d.Pong(b.id, b.ping_payload);
  });
  auto ping = [](uint64_t v) {
    return [v](FlatBufferBuilder& fbb) {
      return std::pair(proto::Op::Ping, proto::CreatePingRequest(fbb, v).Union());
    };
  };
  const uint64_t a = *d.client().Send(ping(10)), b = *d.client().Send(ping(20));
  Result<ResponseFrame> ra = d.client().Receive(a, 2s);
  Result<ResponseFrame> rb = d.client().Receive(b, 2s);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->response().reply_as_Ping()->payload(), 10u);
  EXPECT_EQ(rb->response().reply_as_Ping()->payload(), 20u);
}

// The watchdog's view (activity()): requests waiting for a reply, and since when the guest
// has been quiet, on the host's clock. Times are only compared with readings of the same
// clock taken around each step, never bounded.
TEST(ControlClientTest, ActivityCountsUnansweredRequestsAndWhenTheGuestLastAnswered) {
  using Clock = std::chrono::steady_clock;
  FakeDaemon d;
  EXPECT_EQ(d.client().activity().unanswered, 0u);
  auto ping = [](uint64_t v) {
    return [v](FlatBufferBuilder& fbb) {
      return std::pair(proto::Op::Ping, proto::CreatePingRequest(fbb, v).Union());
    };
  };
  const Clock::time_point before_send = Clock::now();
  const uint64_t a = *d.client().Send(ping(1));
  const ChannelActivity first = d.client().activity();
  EXPECT_EQ(first.unanswered, 1u);
  EXPECT_GE(first.quiet_since, before_send);
  const uint64_t b = *d.client().Send(ping(2));
  // A second request does not restart the wait for the first one's reply.
  EXPECT_EQ(d.client().activity().unanswered, 2u);
  EXPECT_EQ(d.client().activity().quiet_since, first.quiet_since);

  d.Run([](FakeDaemon& d) {
    const SeenRequest x = d.Read(), y = d.Read();
    d.Pong(x.id, 1);
    d.Pong(y.id, 2);
  });
  const Clock::time_point before_reply = Clock::now();
  ASSERT_TRUE(d.client().Receive(a, 2s).ok());
  const ChannelActivity answered = d.client().activity();
  EXPECT_EQ(answered.unanswered, 1u);
  EXPECT_GE(answered.quiet_since, before_reply);
  ASSERT_TRUE(d.client().Receive(b, 2s).ok());
  EXPECT_EQ(d.client().activity().unanswered, 0u);
}

// A Call() tells the watchdog how long it is prepared to wait (its timeout) while it
// waits, and only then; requests sent with Send() alone ask for no patience.
TEST(ControlClientTest, ActivityCarriesTheTimeoutOfTheCallInProgress) {
  FakeDaemon d;
  auto ping = [](FlatBufferBuilder& fbb) {
    return std::pair(proto::Op::Ping, proto::CreatePingRequest(fbb, 7).Union());
  };
  EXPECT_EQ(d.client().activity().patience, 0ms);
  std::atomic<int64_t> during_call{-1}, during_send{-1};
  d.Run([&](FakeDaemon& d) {
    SeenRequest r = d.Read();  // the caller is waiting in Call()
    during_call = d.client().activity().patience.count();
    d.Pong(r.id, 7);
    r = d.Read();  // the caller sent with Send() alone
    during_send = d.client().activity().patience.count();
    d.Pong(r.id, 8);
  });
  ASSERT_TRUE(d.client().Call(ping, 90s).ok());
  EXPECT_EQ(d.client().activity().patience, 0ms);
  const Result<uint64_t> id = d.client().Send(ping, 90s);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(d.client().Receive(*id, 90s).ok());
  d.Join();
  EXPECT_EQ(during_call.load(), 90000);
  EXPECT_EQ(during_send.load(), 0);
}

TEST(ControlClientTest, ActivityShowsNothingUnansweredOnceTheChannelBroke) {
  FakeDaemon d(50ms);
  d.Run([](FakeDaemon& d) { d.Read(); });
  EXPECT_EQ(d.client().Ping(1).status().code(), Code::kTimeout);
  EXPECT_EQ(d.client().activity().unanswered, 0u);
}

TEST(ControlClientTest, ActivityShowsNothingUnansweredOnceClosed) {
  FakeDaemon d;
  ASSERT_TRUE(d.client()
                  .Send([](FlatBufferBuilder& fbb) {
                    return std::pair(proto::Op::Ping, proto::CreatePingRequest(fbb, 1).Union());
                  })
                  .ok());
  EXPECT_EQ(d.client().activity().unanswered, 1u);
  d.client().Close();
  EXPECT_EQ(d.client().activity().unanswered, 0u);
}

TEST(ControlClientTest, ListFilesystemsAndMountFillTheirStructs) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<proto::Filesystem>> list = {
        proto::CreateFilesystemDirect(fbb, "/dev/vda1", "ext4", "root", "u-1", 1u << 30)};
    d.Reply(d.Read().id, proto::Reply::ListFilesystems,
            proto::CreateListFilesystemsReplyDirect(fbb, &list).Union(), fbb);
    FlatBufferBuilder fbb2;
    d.Reply(d.Read().id, proto::Reply::Mount,
            proto::CreateMountReplyDirect(fbb2, "ext4", "ro,noload").Union(), fbb2);
  });
  Result<std::vector<FilesystemInfo>> fs = d.client().ListFilesystems();
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  ASSERT_EQ(fs->size(), 1u);
  EXPECT_EQ((*fs)[0].device, "/dev/vda1");
  EXPECT_EQ((*fs)[0].label, "root");
  EXPECT_EQ((*fs)[0].size, 1u << 30);
  Result<MountInfo> m = d.client().Mount("/dev/vda1", false, "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->options, "ro,noload");
}

TEST(ControlClientTest, ReadDirAllPagesThroughTheDirectory) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    SeenRequest r = d.Read();
    EXPECT_EQ(r.readdir_start, 0u);
    ReplyDirPage(d, r.id, {"a", "b"}, 2, false);
    r = d.Read();
    EXPECT_EQ(r.readdir_start, 2u);
    ReplyDirPage(d, r.id, {"c"}, 3, true);
  });
  Result<std::vector<DirEntryInfo>> all = d.client().ReadDirAll("/etc");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].name, "c");
  EXPECT_EQ((*all)[0].stat.size, 42u);
  EXPECT_EQ((*all)[0].stat.mode, 0100644u);
  EXPECT_EQ((*all)[0].stat.ctime_ns, 3);
}

TEST(ControlClientTest, ReadDirRejectsAPageThatDoesNotAdvance) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) { ReplyDirPage(d, d.Read().id, {"a"}, 0, false); });
  Result<std::vector<DirEntryInfo>> all = d.client().ReadDirAll("/loop");
  EXPECT_EQ(all.status().code(), Code::kProtocolError);
  EXPECT_NE(all.status().message().find("does not advance"), std::string::npos);
}

TEST(ControlClientTest, ReadDirRejectsImpossibleNames) {
  const std::vector<std::string> bad_names = {"../etc", "",    ".",
                                              "..",     "a/b", std::string("a\0b", 3)};
  for (const std::string& bad : bad_names) {
    FakeDaemon d;
    d.Run([bad](FakeDaemon& d) { ReplyDirPage(d, d.Read().id, {bad}, 1, true); });
    EXPECT_EQ(d.client().ReadDir("/", 0).status().code(), Code::kProtocolError) << bad;
  }
}

TEST(ControlClientTest, ReadDirAllStopsAtTheEntryLimit) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) { ReplyDirPage(d, d.Read().id, {"a", "b", "c"}, 3, false); });
  Result<std::vector<DirEntryInfo>> all = d.client().ReadDirAll("/big", 2);
  EXPECT_EQ(all.status().code(), Code::kProtocolError);
  EXPECT_EQ(all.status().message(), "/big: directory has more than 2 entries");
}

TEST(ControlClientTest, ReadDirAllStopsAtTheByteLimit) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) { ReplyDirPage(d, d.Read().id, {"a", "b", "c"}, 3, false); });
  Result<std::vector<DirEntryInfo>> all =
      d.client().ReadDirAll("/big", kMaxReadDirAllEntries, 2 * sizeof(DirEntryInfo) + 2);
  EXPECT_EQ(all.status().code(), Code::kProtocolError);
  EXPECT_EQ(all.status().message(), "/big: directory listing takes more than " +
                                        std::to_string(2 * sizeof(DirEntryInfo) + 2) + " bytes");
}

// A Survey reply with totals files 10, directories 2, others 1, bytes 1000, weight 2000,
// errors 3 and `checkpoints`.
void ReplySurvey(FakeDaemon& d, uint64_t id, const std::vector<SurveyCheckpoint>& checkpoints) {
  FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<proto::SurveyCheckpoint>> out;
  for (const SurveyCheckpoint& c : checkpoints) {
    out.push_back(
        proto::CreateSurveyCheckpoint(fbb, fbb.CreateString(c.path), c.weight, c.files, c.bytes));
  }
  const auto reply = proto::CreateSurveyReplyDirect(fbb, 10, 2, 1, 1000, 2000, 3, &out);
  d.Reply(id, proto::Reply::Survey, reply.Union(), fbb);
}

// The status of a Survey answered with `checkpoints`.
Status SurveyAnsweredWith(const std::vector<SurveyCheckpoint>& checkpoints) {
  FakeDaemon d;
  d.Run([checkpoints](FakeDaemon& d) { ReplySurvey(d, d.Read().id, checkpoints); });
  Result<SurveyResult> r = d.client().Survey("/", 100, 1, 2s);
  if (r.ok()) return Status::Ok();
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
  return r.status();
}

TEST(ControlClientTest, SurveySendsItsWeightsAndFillsTheResult) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    const SeenRequest r = d.Read();
    EXPECT_EQ(r.op, proto::Op::Survey);
    EXPECT_EQ(r.survey_path, "/usr");
    EXPECT_EQ(r.survey_checkpoint_weight, 1u << 20);
    EXPECT_EQ(r.survey_entry_weight, 4096u);
    ReplySurvey(d, r.id, {{"usr/a", 5, 1, 0}, {"usr/a/b", 5, 1, 0}, {"usr/a.b", 2000, 10, 1000}});
  });
  Result<SurveyResult> r = d.client().Survey("/usr", 1u << 20, 4096, 2s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, 10u);
  EXPECT_EQ(r->directories, 2u);
  EXPECT_EQ(r->others, 1u);
  EXPECT_EQ(r->bytes, 1000u);
  EXPECT_EQ(r->weight, 2000u);
  EXPECT_EQ(r->errors, 3u);
  ASSERT_EQ(r->checkpoints.size(), 3u);
  EXPECT_EQ(r->checkpoints[1].path, "usr/a/b");
  EXPECT_EQ(r->checkpoints[2].bytes, 1000u);
}

TEST(ControlClientTest, SurveyRejectsCheckpointsNotStrictlyIncreasingInWalkOrder) {
  // "a.b" < "a/b" as strings, but the walk sends "a/b" (inside "a") first.
  Status st = SurveyAnsweredWith({{"a.b", 1, 0, 0}, {"a/b", 2, 0, 0}});
  EXPECT_EQ(st.code(), Code::kProtocolError);
  EXPECT_NE(st.message().find("does not come after"), std::string::npos) << st.message();
  EXPECT_EQ(SurveyAnsweredWith({{"a", 1, 0, 0}, {"a", 2, 0, 0}}).code(), Code::kProtocolError);
  EXPECT_EQ(SurveyAnsweredWith({{"b", 1, 0, 0}, {"a/z", 2, 0, 0}}).code(), Code::kProtocolError);
  EXPECT_TRUE(SurveyAnsweredWith({{"a/b", 1, 0, 0}, {"a.b", 2, 0, 0}}).ok());
}

TEST(ControlClientTest, SurveyRejectsCumulativeNumbersThatDecreaseOrPassTheTotals) {
  const std::vector<std::vector<SurveyCheckpoint>> bad = {{{"a", 5, 0, 0}, {"b", 4, 0, 0}},
                                                          {{"a", 5, 2, 0}, {"b", 6, 1, 0}},
                                                          {{"a", 5, 0, 9}, {"b", 6, 0, 8}},
                                                          {{"a", 2001, 0, 0}},
                                                          {{"a", 1, 11, 0}},
                                                          {{"a", 1, 0, 1001}}};
  for (const auto& checkpoints : bad) {
    const Status st = SurveyAnsweredWith(checkpoints);
    EXPECT_EQ(st.code(), Code::kProtocolError) << checkpoints.back().path;
  }
  EXPECT_TRUE(SurveyAnsweredWith({{"a", 5, 1, 9}, {"b", 5, 1, 9}, {"c", 2000, 10, 1000}}).ok())
      << "equal is not a decrease";
}

TEST(ControlClientTest, SurveyRejectsCheckpointPathsThatAreNotEntryPaths) {
  for (const std::string& bad :
       {std::string("/etc"), std::string("../x"), std::string(""), std::string("a//b"),
        std::string("a/./b"), std::string("a/"), std::string("a\0b", 3), std::string(5000, 'a')}) {
    const Status st = SurveyAnsweredWith({{bad, 1, 0, 0}});
    EXPECT_EQ(st.code(), Code::kProtocolError) << bad;
    EXPECT_NE(st.message().find("Survey reply"), std::string::npos) << st.message();
  }
}

TEST(ControlClientTest, SurveyRejectsMoreCheckpointsThanTheCap) {
  std::vector<SurveyCheckpoint> checkpoints;
  for (size_t i = 0; i <= kMaxSurveyCheckpoints; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%05zu", i);
    checkpoints.push_back({name, 0, 0, 0});
  }
  EXPECT_EQ(SurveyAnsweredWith(checkpoints).code(), Code::kProtocolError);
  checkpoints.pop_back();
  EXPECT_TRUE(SurveyAnsweredWith(checkpoints).ok());
}

TEST(ControlClientTest, ShutdownIsAcknowledged) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    const SeenRequest r = d.Read();
    EXPECT_EQ(r.op, proto::Op::Shutdown);
    FlatBufferBuilder fbb;
    d.Reply(r.id, proto::Reply::Shutdown, proto::CreateShutdownReply(fbb).Union(), fbb);
  });
  EXPECT_TRUE(d.client().Shutdown(2s).ok());
}

TEST(ControlClientTest, ClosedClientRefusesCalls) {
  FakeDaemon d;
  d.client().Close();
  EXPECT_EQ(d.client().state(), ControlClient::State::kClosed);
  EXPECT_EQ(d.client().Ping(1).status().code(), Code::kUnavailable);
}

// ---- a hostile guest ------------------------------------------------------------------

constexpr std::string_view kMisbehaved = "protocol error: the appliance misbehaved: ";

void ExpectMisbehaved(const Status& st, std::string_view words) {
  EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
  EXPECT_TRUE(st.message().starts_with(kMisbehaved)) << st.message();
  EXPECT_NE(st.message().find(words), std::string::npos) << st.message();
}

// An ExtractNext request releasing `count` buffers: what a guest listing one empty buffer
// `count` times in a reply would make the host send next.
ControlClient::OpBuilder ReleasingBuffers(size_t count) {
  return [count](FlatBufferBuilder& fbb) {
    std::vector<flatbuffers::Offset<proto::BufferRef>> refs;
    for (size_t i = 0; i < count; ++i) {
      refs.push_back(proto::CreateBufferRef(fbb, proto::Lane::Stream, static_cast<uint32_t>(i)));
    }
    const auto req = proto::CreateExtractNextRequest(fbb, 1, fbb.CreateVector(refs));
    return std::pair(proto::Op::ExtractNext, req.Union());
  };
}

TEST(ControlClientTest, ARequestPastTheFrameLimitIsAnErrorNotAnAbort) {
  FakeDaemon d;
  Result<uint64_t> id = d.client().Send(ReleasingBuffers(size_t{1} << 21));
  ExpectMisbehaved(id.status(), "more than the frame limit");
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

TEST(ControlClientTest, APeerThatStopsReadingEndsTheSendAtTheCallTimeout) {
  FakeDaemon d(50ms);  // the peer never reads: the socket buffer fills
  Result<uint64_t> id = d.client().Send(ReleasingBuffers(size_t{1} << 16));
  EXPECT_EQ(id.status().code(), Code::kTimeout) << id.status().ToString();
  EXPECT_NE(id.status().message().find("did not read"), std::string::npos) << id.status().message();
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

TEST(ControlClientTest, MisbehavingRepliesSayTheApplianceMisbehaved) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) { d.Pong(d.Read().id, 0); });
  ExpectMisbehaved(d.client().ListFilesystems().status(),
                   "expected a ListFilesystems reply, got Ping");
}

TEST(ControlClientTest, HelloListingOneNameMillionsOfTimesIsRefused) {
  FakeDaemon d;
  d.Run([](FakeDaemon& d) {
    const SeenRequest r = d.Read();
    FlatBufferBuilder fbb;
    const auto name = fbb.CreateString(std::string(64, 'x'));
    std::vector<flatbuffers::Offset<flatbuffers::String>> names(size_t{2} << 20, name);
    const auto hello = proto::CreateHelloReply(fbb, 0, fbb.CreateString("v"),
                                               fbb.CreateString("6.1"), fbb.CreateVector(names));
    d.Reply(r.id, proto::Reply::Hello, hello.Union(), fbb);
  });
  ExpectMisbehaved(d.client().Hello(2s).status(), "filesystems");
}

// A ReadDir page of one entry named `name` whose link target is `target`.
Status ReadDirAnsweredWithEntry(const std::string& name, const std::string& target) {
  FakeDaemon d;
  d.Run([&](FakeDaemon& d) {
    const SeenRequest r = d.Read();
    FlatBufferBuilder fbb;
    const proto::Stat st(0120777, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0);
    std::vector<flatbuffers::Offset<proto::DirEntry>> entries{
        proto::CreateDirEntry(fbb, fbb.CreateString(name), &st, fbb.CreateString(target))};
    d.Reply(r.id, proto::Reply::ReadDir,
            proto::CreateReadDirReplyDirect(fbb, &entries, 1, true).Union(), fbb);
  });
  return d.client().ReadDir("/", 0).status();
}

TEST(ControlClientTest, ReadDirRefusesANameLongerThan255Bytes) {
  EXPECT_TRUE(ReadDirAnsweredWithEntry(std::string(255, 'n'), "t").ok());
  ExpectMisbehaved(ReadDirAnsweredWithEntry(std::string(256, 'n'), "t"), "name");
}

TEST(ControlClientTest, ReadDirRefusesALinkTargetLongerThanAPath) {
  EXPECT_TRUE(ReadDirAnsweredWithEntry("l", std::string(4096, 't')).ok());
  ExpectMisbehaved(ReadDirAnsweredWithEntry("l", std::string(4097, 't')), "link target");
}

TEST(ControlClientTest, AGuestErrorCodeIsCheckedBeforeItIsCopied) {
  FakeDaemon d;
  const std::string huge_code = "E" + std::string(size_t{8} << 20, 'A');
  d.Run([&](FakeDaemon& d) { d.Error(d.Read().id, huge_code.c_str(), "m"); });
  EXPECT_EQ(d.client().Ping(1).status().message(), "EPROTO: m");
}

}  // namespace
}  // namespace diskferry
