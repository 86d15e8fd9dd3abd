// FakeGuest: the guest's end of a control channel on a socketpair (and, when asked, of a
// real shared-memory region file stamped as the daemon stamps it), for tests that drive the
// host's code against a scripted, misbehaving guest. The script runs on its own thread and
// answers with hand-built Responses; when it returns, the guest hangs up as QEMU exiting
// would. Used by tests/appliance/transfer_test.cc (transfers over channel()) and
// tests/runner/hostile_run_test.cc (whole runs: TakeClient() into an appliance).
#ifndef DISKFERRY_TESTS_APPLIANCE_FAKE_GUEST_H_
#define DISKFERRY_TESTS_APPLIANCE_FAKE_GUEST_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "appliance/control_client.h"
#include "appliance/shm_region.h"
#include "appliance/transfer.h"
#include "protocol/fd_io.h"
#include "protocol/frame.h"
#include "protocol/shm_layout.h"

namespace diskferry::testing {

inline constexpr uint64_t kTransferId = 7;
inline constexpr uint64_t kShmSize = 2u << 20;

// The guest's end of the control channel (and of the region, when there is one).
class FakeGuest {
 public:
  explicit FakeGuest(bool with_shm = false) {
    // The script may still answer after the host closed its end; that write must fail
    // rather than end the test binary.
    ::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_ = std::make_unique<ControlClient>(fds[0], std::chrono::hours(1));
    peer_ = fds[1];
    if (with_shm) {
      Result<ShmRegion> region = ShmRegion::Create(kShmSize);
      EXPECT_TRUE(region.ok()) << region.status().ToString();
      if (region.ok()) {
        shm_ = std::make_unique<ShmRegion>(std::move(*region));
        StampHeader();
      }
    }
  }
  ~FakeGuest() {
    // Ends a script still waiting for requests.
    if (client_ != nullptr) {
      client_->Close();
    } else if (peer_ >= 0) {
      ::shutdown(peer_, SHUT_RDWR);
    }
    if (thread_.joinable()) thread_.join();
    if (peer_ >= 0) ::close(peer_);
  }
  FakeGuest(const FakeGuest&) = delete;
  FakeGuest& operator=(const FakeGuest&) = delete;

  // The host's end, for code that owns its channel (Appliance::OverStream); channel() is
  // then unusable.
  std::unique_ptr<ControlClient> TakeClient() { return std::move(client_); }

  TransferChannel channel() {
    return TransferChannel{client_.get(), shm_.get(), shm_ ? kShmSize : 0};
  }
  // Runs `script` on the guest's side, concurrently with the transfer; when it returns,
  // the guest hangs up, as QEMU exiting would.
  void Run(std::function<void(FakeGuest&)> script) {
    thread_ = std::thread([this, script = std::move(script)] {
      script(*this);
      ::shutdown(peer_, SHUT_RDWR);
    });
  }

  // The next request, or nullptr once the host has gone (the frame lives until the next
  // Read()).
  const proto::Request* Read() {
    Result<std::vector<uint8_t>> body = ReadFrame(peer_, &reader_, 60000);
    if (!body.ok()) return nullptr;
    frame_ = std::move(*body);
    Result<const proto::Request*> req = VerifyRequest(frame_);
    return req.ok() ? *req : nullptr;
  }
  bool Reply(uint64_t id, proto::Reply type, flatbuffers::Offset<void> reply,
             flatbuffers::FlatBufferBuilder& fbb) {
    fbb.Finish(proto::CreateResponse(fbb, id, 0, type, reply));
    return WriteFrame(peer_, {fbb.GetBufferPointer(), fbb.GetSize()}).ok();
  }
  bool ReplyStart(uint64_t id) {
    flatbuffers::FlatBufferBuilder fbb;
    return Reply(id, proto::Reply::TransferStart,
                 proto::CreateTransferStartReply(fbb, kTransferId).Union(), fbb);
  }
  bool ReplyExtractNext(uint64_t id, const std::vector<uint8_t>& batch, uint32_t records,
                        bool done) {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<proto::LaneBuffer>> buffers;
    if (!batch.empty()) {
      buffers.push_back(proto::CreateLaneBufferDirect(fbb, proto::Lane::Batch, 0, batch.size(),
                                                      records, 0, 0, false, &batch));
    }
    return Reply(id, proto::Reply::ExtractNext,
                 proto::CreateExtractNextReplyDirect(fbb, &buffers, done).Union(), fbb);
  }
  bool ReplyTransferEnd(uint64_t id) {
    flatbuffers::FlatBufferBuilder fbb;
    return Reply(id, proto::Reply::TransferEnd,
                 proto::CreateTransferEndReplyDirect(fbb, 0, 0, nullptr).Union(), fbb);
  }
  bool ReplyError(uint64_t id, const char* code, const char* message) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto error = proto::CreateErrorDirect(fbb, code, message);
    fbb.Finish(proto::CreateResponse(fbb, id, error));
    return WriteFrame(peer_, {fbb.GetBufferPointer(), fbb.GetSize()}).ok();
  }
  // The guest's end goes away, as when QEMU is killed: the host's calls fail at once.
  void HangUp() { ::shutdown(peer_, SHUT_RDWR); }
  // A TransferEnd reply listing `count` file errors, the i-th for `path(i)`.
  bool ReplyTransferEndWithErrors(uint64_t id, int count,
                                  const std::function<std::string(int)>& path) {
    flatbuffers::FlatBufferBuilder fbb(size_t{8} << 20);
    std::vector<flatbuffers::Offset<proto::FileError>> errors;
    for (int i = 0; i < count; ++i) {
      errors.push_back(proto::CreateFileErrorDirect(fbb, path(i).c_str(), "EIO", "EIO"));
    }
    return Reply(id, proto::Reply::TransferEnd,
                 proto::CreateTransferEndReplyDirect(fbb, 0, 0, &errors).Union(), fbb);
  }
  // What the daemon's heartbeat thread does about once a second.
  void TickHeartbeat() {
    auto* header = reinterpret_cast<ShmHeader*>(shm_->data());
    header->guest_heartbeat.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  void StampHeader() {
    ShmHeader header{};
    header.magic = kShmMagic;
    header.version = kShmLayoutVersion;
    header.region_size = kShmSize;
    header.layout = *ComputeShmLayout(kShmSize);
    std::memcpy(shm_->data(), &header, sizeof header);
  }

  std::unique_ptr<ControlClient> client_;
  int peer_ = -1;
  std::unique_ptr<ShmRegion> shm_;
  FrameReader reader_;
  std::vector<uint8_t> frame_;
  std::thread thread_;
};

}  // namespace diskferry::testing

#endif  // DISKFERRY_TESTS_APPLIANCE_FAKE_GUEST_H_
