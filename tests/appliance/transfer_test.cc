// ExtractTree and InjectTree (appliance/transfer.h) against a scripted hostile guest: a
// fake daemon on a socketpair writing hand-built Responses, and, where the test needs the
// shared-memory lanes, a real region file the fake guest stamps as the daemon does. Each
// test is one way of stalling or bloating a transfer, with the exact error it must end in.
#include "appliance/transfer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "appliance/control_client.h"
#include "appliance/shm_region.h"
#include "protocol/lane_records.h"
#include "protocol/shm_layout.h"
#include "tests/appliance/fake_guest.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using flatbuffers::FlatBufferBuilder;
using proto::Lane;
using std::chrono::steady_clock;
using testing::FakeGuest;

// How long a script keeps answering before it gives up on the host: far more replies
// than any limit under test, so that a host without the limit sees the peer close.
constexpr int kPatience = 20000;

// Answers ExtractStart, then every ExtractNext with `next(n, id)` until the host stops
// asking, ends the transfer, or kPatience replies have gone (then closes the channel).
void ServeExtract(FakeGuest& g, const std::function<bool(int, uint64_t)>& next) {
  const proto::Request* r = g.Read();
  if (r == nullptr || r->op_type() != proto::Op::ExtractStart || !g.ReplyStart(r->id())) return;
  for (int n = 0; n < kPatience; ++n) {
    r = g.Read();
    if (r == nullptr) return;
    if (r->op_type() == proto::Op::TransferEnd) {
      g.ReplyTransferEnd(r->id());
      return;
    }
    if (!next(n, r->id())) return;
  }
}

// Ends the transfer at once, listing `count` file errors in its TransferEnd reply.
void ServeExtractWithErrors(FakeGuest& g, int count, const std::function<std::string(int)>& path) {
  const proto::Request* r = g.Read();
  if (r == nullptr || r->op_type() != proto::Op::ExtractStart || !g.ReplyStart(r->id())) return;
  while ((r = g.Read()) != nullptr) {
    if (r->op_type() == proto::Op::TransferEnd) {
      g.ReplyTransferEndWithErrors(r->id(), count, path);
      return;
    }
    if (!g.ReplyExtractNext(r->id(), {}, 0, true)) return;
  }
}

// A sink that counts what reaches it.
class CountingSink final : public TreeSink {
 public:
  Status OnRecord(const Record& record) override {
    ++records;
    if (record.meta.type == RecordType::kStreamFile) ++stream_files;
    return Status::Ok();
  }
  Status OnStreamData(uint64_t, uint64_t, std::span<const uint8_t> data) override {
    bytes += data.size();
    return Status::Ok();
  }
  Status OnStreamEnd(uint64_t) override { return Status::Ok(); }
  Status Finish() override { return Status::Ok(); }
  int records = 0;
  int stream_files = 0;
  uint64_t bytes = 0;
};

// A batch buffer holding one record.
std::vector<uint8_t> OneRecord(const RecordMeta& meta, const std::string& path,
                               std::string_view data = {}) {
  std::vector<uint8_t> bytes(4096);
  RecordWriter writer(bytes);
  EXPECT_TRUE(writer.Append(
      meta, path, "", {},
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
  bytes.resize(writer.used());
  return bytes;
}

std::vector<uint8_t> OneDirectory(const std::string& name) {
  RecordMeta dir;
  dir.type = RecordType::kDirectory;
  dir.mode = 040755;
  return OneRecord(dir, name);
}

std::vector<uint8_t> OneStreamFile(uint64_t size) {
  RecordMeta file;
  file.type = RecordType::kStreamFile;
  file.mode = 0100644;
  file.file_id = 1;
  file.size = size;
  return OneRecord(file, "data/zeros");
}

std::vector<uint8_t> OneSmallFile(const std::string& content) {
  RecordMeta file;
  file.type = RecordType::kFile;
  file.mode = 0100644;
  file.size = content.size();
  return OneRecord(file, "etc/hostname", content);
}

TransferOptions SocketLane() {
  TransferOptions options;
  options.use_shm = false;
  options.call_timeout = 1h;  // only the limits under test may end a transfer
  options.progress_deadline = 24h;
  options.max_idle_replies = std::numeric_limits<uint32_t>::max();
  return options;
}

// A clock that moves one second on at each reading, so that the deadline passes after a
// known number of replies and no test waits for it.
SteadyClock TickingClock() {
  auto now = std::make_shared<steady_clock::time_point>();
  return [now] { return *now += 1s; };
}

TEST(TransferTest, SmallFilesInBatchesCountInTheTransferredBytes) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtract(g, [&](int n, uint64_t id) {
      if (n == 0) return g.ReplyExtractNext(id, OneSmallFile("web01\n"), 1, false);
      if (n == 1) return g.ReplyExtractNext(id, OneSmallFile("0123456789"), 1, false);
      return g.ReplyExtractNext(id, {}, 0, true);
    });
  });
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, SocketLane());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, 2u);
  EXPECT_EQ(r->bytes, 16u);  // what copy-out's summary reports
}

TEST(TransferTest, ExtractFailsWhenTheGuestAnswersEveryRequestWithAnEmptyReply) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtract(g, [&](int, uint64_t id) { return g.ReplyExtractNext(id, {}, 0, false); });
  });
  TransferOptions options = SocketLane();
  options.max_idle_replies = 16;
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: 16 replies in a row carried no byte, "
            "record or file end");
  // Requests are still outstanding: the appliance must serve no other transfer.
  EXPECT_EQ(g.channel().control->state(), ControlClient::State::kClosed);
}

TEST(TransferTest, EmptyRepliesBetweenRecordsAreTolerated) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtract(g, [&](int n, uint64_t id) {
      // Three idle replies, then one directory, four times over; then done.
      if (n >= 16) return g.ReplyExtractNext(id, {}, 0, true);
      if (n % 4 != 3) return g.ReplyExtractNext(id, {}, 0, false);
      return g.ReplyExtractNext(id, OneDirectory("d" + std::to_string(n)), 1, false);
    });
  });
  TransferOptions options = SocketLane();
  options.max_idle_replies = 4;
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(sink.records, 4);
}

TEST(TransferTest, ExtractFailsAtTheProgressDeadlineHoweverTheHeartbeatTicks) {
  FakeGuest g(/*with_shm=*/true);
  g.Run([](FakeGuest& g) {
    ServeExtract(g, [&](int, uint64_t id) {
      g.TickHeartbeat();
      return g.ReplyExtractNext(id, {}, 0, false);
    });
  });
  TransferOptions options = SocketLane();
  options.use_shm = true;
  options.progress_deadline = 30s;
  options.clock = TickingClock();
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(
      r.status().message().rfind(
          "protocol error: the appliance misbehaved: no new byte, record or file end for ", 0),
      0u)
      << r.status().message();
}

TEST(TransferTest, ExtractFailsAtTheProgressDeadlineWhenTheGuestFallsSilent) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    // Starts the transfer, then reads requests and answers none.
    ServeExtract(g, [](int, uint64_t) { return true; });
  });
  TransferOptions options = SocketLane();
  options.progress_deadline = 100ms;  // the wait is cut to this; the call timeout is 1 h
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_NE(r.status().message().find("no new byte, record or file end for"), std::string::npos)
      << r.status().message();
}

TEST(TransferTest, AFileAnnouncedLargerThanTheCapNeverReachesTheSink) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtract(g, [&](int n, uint64_t id) {
      if (n > 0) return g.ReplyExtractNext(id, {}, 0, true);
      // 2^63-1 bytes of hole: the stream ends at once, without a byte of data.
      FlatBufferBuilder fbb;
      const std::vector<uint8_t> batch = OneStreamFile(std::numeric_limits<int64_t>::max());
      const std::vector<uint8_t> none;
      std::vector<flatbuffers::Offset<proto::LaneBuffer>> buffers = {
          proto::CreateLaneBufferDirect(fbb, Lane::Batch, 0, batch.size(), 1, 0, 0, false, &batch),
          proto::CreateLaneBufferDirect(fbb, Lane::Stream, 0, 0, 0, 1, 0, true, &none)};
      return g.Reply(id, proto::Reply::ExtractNext,
                     proto::CreateExtractNextReplyDirect(fbb, &buffers, true).Union(), fbb);
    });
  });
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, SocketLane());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: data/zeros: announced as "
            "9223372036854775807 bytes, more than the 17592186044416 a file may have");
  EXPECT_EQ(sink.records, 0);
}

TEST(TransferTest, AStreamFileThatNeverDeliversEndsTheTransfer) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtract(g, [&](int n, uint64_t id) {
      if (n == 0) return g.ReplyExtractNext(id, OneStreamFile(1 << 20), 1, false);
      return g.ReplyExtractNext(id, {}, 0, false);
    });
  });
  TransferOptions options = SocketLane();
  options.max_idle_replies = 8;
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: 8 replies in a row carried no byte, "
            "record or file end");
  EXPECT_EQ(sink.stream_files, 1);
  EXPECT_EQ(sink.bytes, 0u);
}

// Yields `count` directories with long names: more than the batch slots of the region hold.
class ManyDirectories final : public TreeSource {
 public:
  explicit ManyDirectories(int count) : left_(count) {}
  Result<std::optional<SourceEntry>> Next() override {
    if (left_ == 0) return std::optional<SourceEntry>();
    SourceEntry e;
    e.meta.type = RecordType::kDirectory;
    e.meta.mode = 040755;
    e.path = std::string(200, 'd') + std::to_string(left_--);
    return std::optional<SourceEntry>(std::move(e));
  }

 private:
  int left_;
};

TEST(TransferTest, InjectFailsWhenTheGuestNeverReleasesASharedMemoryBuffer) {
  FakeGuest g(/*with_shm=*/true);
  g.Run([](FakeGuest& g) {
    const proto::Request* r = g.Read();
    if (r == nullptr || r->op_type() != proto::Op::InjectStart || !g.ReplyStart(r->id())) return;
    for (int n = 0; n < kPatience && (r = g.Read()) != nullptr; ++n) {
      FlatBufferBuilder fbb;
      if (r->op_type() == proto::Op::TransferEnd) {
        g.ReplyTransferEnd(r->id());
        return;
      }
      // Acknowledges every put and keeps its buffers.
      if (!g.Reply(r->id(), proto::Reply::InjectPut, proto::CreateInjectPutReply(fbb).Union(),
                   fbb)) {
        return;
      }
    }
  });
  TransferOptions options = SocketLane();
  options.use_shm = true;
  ManyDirectories source(20000);
  Result<TransferResult> r = InjectTree(g.channel(), &source, "/in", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: inject: the guest released no buffer; "
            "nothing is left to send into");
}

TEST(TransferTest, InjectFailsAtTheProgressDeadlineWhenTheGuestStopsAnswering) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    const proto::Request* r = g.Read();
    if (r == nullptr || r->op_type() != proto::Op::InjectStart || !g.ReplyStart(r->id())) return;
    while (g.Read() != nullptr) {
      // Takes every put and answers none.
    }
  });
  TransferOptions options = SocketLane();
  options.progress_deadline = 100ms;  // the wait is cut to this; the call timeout is 1 h
  ManyDirectories source(100);
  Result<TransferResult> r = InjectTree(g.channel(), &source, "/in", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_NE(r.status().message().find("no new byte, record or file end for"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(g.channel().control->state(), ControlClient::State::kClosed);
}

// A sink that refuses the first record the way a host budget does.
class RefusingSink final : public TreeSink {
 public:
  Status OnRecord(const Record&) override {
    return Status(Code::kProtocolError, "the appliance misbehaved: too many records held");
  }
  Status OnStreamData(uint64_t, uint64_t, std::span<const uint8_t>) override {
    return Status::Ok();
  }
  Status OnStreamEnd(uint64_t) override { return Status::Ok(); }
  Status Finish() override { return Status::Ok(); }
};

TEST(TransferTest, ASinkThatSaysTheApplianceMisbehavedIsNotQuotedTwice) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtract(
        g, [&](int, uint64_t id) { return g.ReplyExtractNext(id, OneDirectory("d"), 1, false); });
  });
  RefusingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, SocketLane());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "protocol error: the appliance misbehaved: too many records held");
}

TEST(TransferTest, AProtocolErrorOfTheUnpackerSaysTheApplianceMisbehaved) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtract(g, [&](int, uint64_t id) {
      // Data for a stream file nobody announced.
      FlatBufferBuilder fbb;
      const std::vector<uint8_t> data(16, 'x');
      std::vector<flatbuffers::Offset<proto::LaneBuffer>> buffers = {
          proto::CreateLaneBufferDirect(fbb, Lane::Stream, 0, data.size(), 0, 99, 0, true, &data)};
      return g.Reply(id, proto::Reply::ExtractNext,
                     proto::CreateExtractNextReplyDirect(fbb, &buffers, false).Union(), fbb);
    });
  });
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, SocketLane());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kProtocolError);
  EXPECT_EQ(r.status().message().rfind("protocol error: the appliance misbehaved: ", 0), 0u)
      << r.status().message();
}

TEST(TransferTest, GuestProblemsPastTheCountCapAreOnlyCounted) {
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtractWithErrors(g, 12000, [](int i) { return "f" + std::to_string(i); });
  });
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, SocketLane());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->problems.size(), kMaxTransferProblems + 1);
  EXPECT_EQ(r->problems[kMaxTransferProblems - 1].path, "f9999");
  EXPECT_EQ(r->problems.back().path, "");
  EXPECT_EQ(r->problems.back().message, "2000 more problems not listed");
  EXPECT_EQ(r->problems_not_listed, 2000u);
  EXPECT_EQ(r->problem_count(), 12000u);
}

TEST(TransferTest, GuestProblemsPastTheByteCapAreOnlyCounted) {
  // 1200 paths of 4000 bytes: 4.8 MB of problems in one reply, under the reply's own budget.
  FakeGuest g;
  g.Run([](FakeGuest& g) {
    ServeExtractWithErrors(g, 1200,
                           [](int i) { return std::to_string(1000 + i) + std::string(3996, 'p'); });
  });
  CountingSink sink;
  Result<TransferResult> r = ExtractTree(g.channel(), {"/"}, &sink, SocketLane());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  size_t fit = 0;
  for (size_t bytes = 0; bytes + 4003 <= kMaxTransferProblemBytes; bytes += 4003) ++fit;
  ASSERT_EQ(r->problems.size(), fit + 1);  // 1047 whole, then the summary
  EXPECT_LE(r->problem_bytes, kMaxTransferProblemBytes);
  EXPECT_EQ(r->problems_not_listed, 1200 - fit);
  EXPECT_EQ(r->problems.back().message, std::to_string(1200 - fit) + " more problems not listed");
}

}  // namespace
}  // namespace diskferry
