// The socket lane over loopback TCP: ControlClient on a socket TcpListener accepted,
// against a scripted daemon on the connecting end (where QEMU's chardev sits), as
// control_client_test.cc does over a socketpair. Calls, pipelining, frames split across
// TCP segments, the peer closing, resetting or falling silent, and one extraction whose
// buffers travel inline (records, and a 3 MiB file on the stream lane) applied by
// LaneUnpacker. transfer.cc's ExtractTree needs a launched Appliance, so the test drives
// the same requests itself. Runs on Linux and, cross-built, under wine.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "appliance/control_client.h"
#include "appliance/control_stream.h"
#include "appliance/tcp_listener.h"
#include "protocol/fd_io.h"
#include "protocol/lane_records.h"
#include "protocol/lane_unpacker.h"
#include "tests/appliance/tcp_listener_test_client.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using flatbuffers::FlatBufferBuilder;
using proto::Lane;

// The daemon's end of a loopback TCP control channel, scripted per test.
class TcpDaemon {
 public:
  explicit TcpDaemon(std::chrono::milliseconds call_timeout = 5s) {
    Result<TcpListener> listener = TcpListener::Listen();
    EXPECT_TRUE(listener.ok()) << listener.status().ToString();
    if (!listener.ok()) return;
    Result<int> peer = testing::ConnectLoopback(listener->port());
    EXPECT_TRUE(peer.ok()) << peer.status().ToString();
    if (!peer.ok()) return;
    peer_ = *peer;
    Result<int> ours = listener->Accept(5s, 50ms, [] { return Status::Ok(); });
    EXPECT_TRUE(ours.ok()) << ours.status().ToString();
    if (ours.ok()) {
      ours_ = *ours;
      client_ = std::make_unique<ControlClient>(*ours, call_timeout);
    }
  }
  ~TcpDaemon() {
    if (thread_.joinable()) thread_.join();
    CloseStream(peer_);
  }

  bool connected() const { return client_ != nullptr; }
  // Runs `script` on the daemon's side, concurrently with the test's calls.
  void Run(std::function<void(TcpDaemon&)> script) {
    thread_ = std::thread([this, script = std::move(script)] { script(*this); });
  }
  void Join() { thread_.join(); }

  // The next request's frame; `request` points into it. Empty on failure.
  std::vector<uint8_t> Read(const proto::Request** request) {
    Result<std::vector<uint8_t>> body = ReadFrame(peer_, &reader_, 10000);
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    if (!body.ok()) return {};
    Result<const proto::Request*> req = VerifyRequest(*body);
    EXPECT_TRUE(req.ok()) << req.status().ToString();
    *request = req.ok() ? *req : nullptr;
    return std::move(*body);
  }
  // Reads a request and returns its id (0 on failure), expecting op `op`.
  uint64_t ReadId(proto::Op op) {
    const proto::Request* r = nullptr;
    const std::vector<uint8_t> body = Read(&r);
    if (r == nullptr) return 0;
    EXPECT_EQ(r->op_type(), op);
    return r->id();
  }
  void Reply(uint64_t id, proto::Reply type, flatbuffers::Offset<void> reply,
             FlatBufferBuilder& fbb) {
    fbb.Finish(proto::CreateResponse(fbb, id, 0, type, reply));
    ASSERT_TRUE(WriteFrame(peer_, {fbb.GetBufferPointer(), fbb.GetSize()}).ok());
  }
  void Pong(uint64_t id, uint64_t payload) {
    FlatBufferBuilder fbb;
    Reply(id, proto::Reply::Ping, proto::CreatePingReply(fbb, payload).Union(), fbb);
  }
  void WriteRaw(std::span<const uint8_t> bytes) { ASSERT_TRUE(WriteAll(peer_, bytes).ok()); }
  void ClosePeer() {
    CloseStream(peer_);
    peer_ = -1;
  }
  void ResetPeer() {
    testing::ResetStream(peer_);
    peer_ = -1;
  }

  ControlClient& client() { return *client_; }
  // The client's socket (the client owns it), for the peer-gone check.
  int ours() const { return ours_; }

 private:
  std::unique_ptr<ControlClient> client_;
  int ours_ = -1;
  int peer_ = -1;
  FrameReader reader_;
  std::thread thread_;
};

TEST(SocketLaneTcpTest, PingRoundTripsWithFreshIds) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.Run([](TcpDaemon& d) {
    for (uint64_t want_id : {1u, 2u, 3u}) {
      const proto::Request* r = nullptr;
      const std::vector<uint8_t> frame = d.Read(&r);
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->id(), want_id);
      ASSERT_EQ(r->op_type(), proto::Op::Ping);
      d.Pong(r->id(), r->op_as_Ping()->payload());
    }
  });
  EXPECT_EQ(*d.client().Ping(42), 42u);
  EXPECT_EQ(*d.client().Ping(7), 7u);
  EXPECT_EQ(*d.client().Ping(uint64_t{1} << 63), uint64_t{1} << 63);
}

TEST(SocketLaneTcpTest, HelloFillsHelloInfo) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.Run([](TcpDaemon& d) {
    const uint64_t id = d.ReadId(proto::Op::Hello);
    FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<flatbuffers::String>> fs = {fbb.CreateString("ext4")};
    const auto hello = proto::CreateHelloReplyDirect(fbb, 1, "0.1.0", "6.1.0-test", &fs, 0, 980);
    d.Reply(id, proto::Reply::Hello, hello.Union(), fbb);
  });
  Result<HelloInfo> h = d.client().Hello(5s);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->kernel_release, "6.1.0-test");
  EXPECT_EQ(h->filesystems, (std::vector<std::string>{"ext4"}));
  EXPECT_EQ(h->shm_size, 0u);  // a socket-lane-only appliance
  EXPECT_EQ(h->boot_ms, 980u);
}

TEST(SocketLaneTcpTest, PipelinedRequestsAreMatchedInOrder) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.Run([](TcpDaemon& d) {
    std::vector<std::pair<uint64_t, uint64_t>> seen;
    for (int i = 0; i < 8; ++i) {
      const proto::Request* r = nullptr;
      const std::vector<uint8_t> frame = d.Read(&r);
      ASSERT_NE(r, nullptr);
      seen.emplace_back(r->id(), r->op_as_Ping()->payload());
    }
    for (const auto& [id, payload] : seen) d.Pong(id, payload);
  });
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < 8; ++i) {
    auto id = d.client().Send([i](FlatBufferBuilder& fbb) {
      return std::pair(proto::Op::Ping, proto::CreatePingRequest(fbb, 100 + i).Union());
    });
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  for (uint64_t i = 0; i < 8; ++i) {
    Result<ResponseFrame> f = d.client().Receive(ids[i], 5s);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->response().reply_as_Ping()->payload(), 100 + i);
  }
}

TEST(SocketLaneTcpTest, AFrameArrivingInPiecesIsReassembled) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.Run([](TcpDaemon& d) {
    const uint64_t id = d.ReadId(proto::Op::Ping);
    FlatBufferBuilder fbb;
    fbb.Finish(proto::CreateResponse(fbb, id, 0, proto::Reply::Ping,
                                     proto::CreatePingReply(fbb, 99).Union()));
    std::vector<uint8_t> frame;
    AppendFrame({fbb.GetBufferPointer(), fbb.GetSize()}, &frame);
    // Header split in two, then the body in two: each piece its own segment. The pause
    // between pieces is what is tested (the client reads a frame that arrives in parts),
    // not a synchronisation: pieces that coalesce still make a whole frame.
    const size_t cuts[] = {0, 2, kFrameHeaderSize, kFrameHeaderSize + 5, frame.size()};
    for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
      d.WriteRaw(std::span<const uint8_t>(frame).subspan(cuts[i], cuts[i + 1] - cuts[i]));
      std::this_thread::sleep_for(30ms);
    }
  });
  Result<uint64_t> r = d.client().Ping(99);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 99u);
}

TEST(SocketLaneTcpTest, PeerClosingIsUnavailable) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.Run([](TcpDaemon& d) {
    d.ReadId(proto::Op::Ping);
    d.ClosePeer();
  });
  Result<uint64_t> r = d.client().Ping(1);
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

TEST(SocketLaneTcpTest, PeerResettingIsUnavailable) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.Run([](TcpDaemon& d) {
    d.ReadId(proto::Op::Ping);
    d.ResetPeer();
  });
  Result<uint64_t> r = d.client().Ping(1);
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("closed by the peer"), std::string::npos)
      << r.status().message();
}

TEST(SocketLaneTcpTest, SendingToAVanishedPeerIsUnavailable) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.ClosePeer();
  while (!StreamPeerGone(d.ours())) std::this_thread::yield();  // the close has arrived
  Result<uint64_t> r = d.client().Ping(1);  // on Linux, SIGPIPE would end this binary
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_EQ(d.client().Ping(2).status().code(), Code::kUnavailable);
}

TEST(SocketLaneTcpTest, SilentPeerTimesOutAndBreaksTheChannel) {
  TcpDaemon d(150ms);
  ASSERT_TRUE(d.connected());
  d.Run([](TcpDaemon& d) { d.ReadId(proto::Op::Ping); });
  const auto start = std::chrono::steady_clock::now();
  Result<uint64_t> r = d.client().Ping(1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 140ms);
  EXPECT_EQ(r.status().code(), Code::kTimeout) << r.status().ToString();
  EXPECT_EQ(d.client().state(), ControlClient::State::kBroken);
}

// ---- one extraction over the socket lane ----------------------------------------------

std::vector<uint8_t> Pattern(size_t size) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>((i * 131 + i / 4096) & 0xff);
  return out;
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Keeps what a TreeSink is given: record paths with their types and bytes, streams.
class CollectingSink : public TreeSink {
 public:
  Status OnRecord(const Record& r) override {
    records[std::string(r.path)] = {r.meta.type, std::string(r.data.begin(), r.data.end())};
    if (r.meta.type == RecordType::kStreamFile) streams[r.meta.file_id].resize(r.meta.size);
    return Status::Ok();
  }
  Status OnStreamData(uint64_t id, uint64_t offset, std::span<const uint8_t> data) override {
    std::copy(data.begin(), data.end(), streams[id].begin() + static_cast<ptrdiff_t>(offset));
    return Status::Ok();
  }
  Status OnStreamEnd(uint64_t id) override {
    ended.push_back(id);
    return Status::Ok();
  }
  Status Finish() override {
    finished = true;
    return Status::Ok();
  }

  std::map<std::string, std::pair<RecordType, std::string>> records;
  std::map<uint64_t, std::vector<uint8_t>> streams;
  std::vector<uint64_t> ended;
  bool finished = false;
};

constexpr uint64_t kTransferId = 9;
constexpr uint64_t kBigFileId = 1;
constexpr size_t kBigSize = 3 * kSocketChunkSize;  // three stream buffers of 1 MiB
constexpr char kHello[] = "hello world\n";

// The batch buffer the daemon sends first: /data, /data/hello, and /data/big announced
// as a stream file.
std::vector<uint8_t> BatchBytes(uint32_t* records) {
  std::vector<uint8_t> bytes(64 * 1024);
  RecordWriter writer(bytes);
  RecordMeta dir;
  dir.type = RecordType::kDirectory;
  dir.mode = 040755;
  EXPECT_TRUE(writer.Append(dir, "data", "", {}, {}));
  RecordMeta file;
  file.type = RecordType::kFile;
  file.mode = 0100644;
  file.size = sizeof kHello - 1;
  EXPECT_TRUE(writer.Append(file, "data/hello", "", {}, Bytes(kHello)));
  RecordMeta big;
  big.type = RecordType::kStreamFile;
  big.mode = 0100644;
  big.file_id = kBigFileId;
  big.size = kBigSize;
  EXPECT_TRUE(writer.Append(big, "data/big", "", {}, {}));
  bytes.resize(writer.used());
  *records = writer.count();
  return bytes;
}

// The n-th ExtractNext reply: the batch and chunk 0, then chunks 1 and 2 (the last with
// done), then nothing but done for requests still in flight.
void ReplyExtractNext(TcpDaemon& d, uint64_t id, int n, const std::vector<uint8_t>& big) {
  FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<proto::LaneBuffer>> buffers;
  if (n == 0) {
    uint32_t records = 0;
    const std::vector<uint8_t> batch = BatchBytes(&records);
    buffers.push_back(proto::CreateLaneBufferDirect(fbb, Lane::Batch, 0, batch.size(), records, 0,
                                                    0, false, &batch));
  }
  if (n < 3) {
    const size_t offset = static_cast<size_t>(n) * kSocketChunkSize;
    const std::vector<uint8_t> chunk(
        big.begin() + static_cast<ptrdiff_t>(offset),
        big.begin() + static_cast<ptrdiff_t>(offset + kSocketChunkSize));
    buffers.push_back(proto::CreateLaneBufferDirect(fbb, Lane::Stream, 0, chunk.size(), 0,
                                                    kBigFileId, offset, n == 2, &chunk));
  }
  const auto reply = proto::CreateExtractNextReplyDirect(fbb, &buffers, n >= 2);
  d.Reply(id, proto::Reply::ExtractNext, reply.Union(), fbb);
}

// The daemon's side of one socket-lane extraction of /data.
void ServeExtraction(TcpDaemon& d) {
  const proto::Request* r = nullptr;
  std::vector<uint8_t> frame = d.Read(&r);
  ASSERT_NE(r, nullptr);
  const proto::ExtractStartRequest* start = r->op_as_ExtractStart();
  ASSERT_NE(start, nullptr);
  EXPECT_FALSE(start->use_shm());
  ASSERT_EQ(start->paths()->size(), 1u);
  EXPECT_EQ(start->paths()->Get(0)->str(), "/data");
  {
    FlatBufferBuilder fbb;
    d.Reply(r->id(), proto::Reply::TransferStart,
            proto::CreateTransferStartReply(fbb, kTransferId).Union(), fbb);
  }
  const std::vector<uint8_t> big = Pattern(kBigSize);
  for (int n = 0;; ++n) {
    frame = d.Read(&r);
    ASSERT_NE(r, nullptr);
    if (const auto* end = r->op_as_TransferEnd()) {
      EXPECT_EQ(end->transfer_id(), kTransferId);
      FlatBufferBuilder fbb;
      const auto reply = proto::CreateTransferEndReplyDirect(fbb, 3, kBigSize, nullptr);
      d.Reply(r->id(), proto::Reply::TransferEnd, reply.Union(), fbb);
      return;
    }
    const proto::ExtractNextRequest* next = r->op_as_ExtractNext();
    ASSERT_NE(next, nullptr);
    EXPECT_EQ(next->transfer_id(), kTransferId);
    ReplyExtractNext(d, r->id(), n, big);
  }
}

Result<uint64_t> StartExtraction(ControlClient& client) {
  Result<ResponseFrame> f = client.Call(
      [](FlatBufferBuilder& fbb) {
        std::vector<flatbuffers::Offset<flatbuffers::String>> paths = {fbb.CreateString("/data")};
        const auto req = proto::CreateExtractStartRequest(fbb, fbb.CreateVector(paths), 256 << 10,
                                                          false, /*use_shm=*/false);
        return std::pair(proto::Op::ExtractStart, req.Union());
      },
      5s);
  if (!f.ok()) return f.status();
  const auto* reply = f->response().reply_as_TransferStart();
  if (reply == nullptr) return Status(Code::kProtocolError, "not a TransferStart reply");
  return reply->transfer_id();
}

// Keeps two ExtractNext requests in flight until the daemon says done, applying every
// inline buffer, as transfer.cc's Extractor does for the socket lane.
Status PumpExtraction(ControlClient& client, uint64_t transfer_id, LaneUnpacker* unpacker) {
  std::deque<uint64_t> outstanding;
  bool done = false;
  while (!done || !outstanding.empty()) {
    while (!done && outstanding.size() < 2) {
      Result<uint64_t> id = client.Send([&](FlatBufferBuilder& fbb) {
        return std::pair(proto::Op::ExtractNext,
                         proto::CreateExtractNextRequestDirect(fbb, transfer_id).Union());
      });
      if (!id.ok()) return id.status();
      outstanding.push_back(*id);
    }
    Result<ResponseFrame> f = client.Receive(outstanding.front(), 5s);
    outstanding.pop_front();
    if (!f.ok()) return f.status();
    const proto::ExtractNextReply* next = f->response().reply_as_ExtractNext();
    if (next == nullptr) return Status(Code::kProtocolError, "not an ExtractNext reply");
    for (const proto::LaneBuffer* b : *next->buffers()) {
      const BufferDesc desc{b->lane(),    b->index(),  b->length(), b->records(),
                            b->file_id(), b->offset(), b->eof()};
      const std::span<const uint8_t> data(b->inline_data()->data(), b->inline_data()->size());
      if (Status s = unpacker->Apply(desc, data); !s.ok()) return s;
    }
    done = done || next->done();
  }
  return unpacker->Finish();
}

TEST(SocketLaneTcpTest, AnExtractionCarriesRecordsAndAStreamFileInline) {
  TcpDaemon d;
  ASSERT_TRUE(d.connected());
  d.Run(ServeExtraction);
  Result<uint64_t> id = StartExtraction(d.client());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, kTransferId);
  CollectingSink sink;
  LaneUnpacker unpacker(&sink, nullptr);
  Status pumped = PumpExtraction(d.client(), *id, &unpacker);
  ASSERT_TRUE(pumped.ok()) << pumped.ToString();
  Result<ResponseFrame> end = d.client().Call(
      [&](FlatBufferBuilder& fbb) {
        return std::pair(proto::Op::TransferEnd, proto::CreateTransferEndRequest(fbb, *id).Union());
      },
      5s);
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_EQ(end->response().reply_as_TransferEnd()->bytes(), kBigSize);

  ASSERT_EQ(sink.records.size(), 3u);
  EXPECT_EQ(sink.records["data"].first, RecordType::kDirectory);
  EXPECT_EQ(sink.records["data/hello"], std::pair(RecordType::kFile, std::string(kHello)));
  EXPECT_EQ(sink.records["data/big"].first, RecordType::kStreamFile);
  ASSERT_EQ(sink.streams.size(), 1u);
  EXPECT_TRUE(sink.streams[kBigFileId] == Pattern(kBigSize)) << "stream bytes differ";
  EXPECT_EQ(sink.ended, std::vector<uint64_t>{kBigFileId});
  EXPECT_TRUE(sink.finished);
  EXPECT_EQ(d.client().state(), ControlClient::State::kOpen);
}

}  // namespace
}  // namespace diskferry
