#include "tests/runner/daemon_sessions.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <utility>
#include <vector>

#include "appliance/appliance.h"
#include "appliance/control_client.h"
#include "daemon/serve.h"
#include "protocol/frame.h"

namespace diskferry::testing {
namespace {

using namespace std::chrono_literals;

// send() without SIGPIPE: the other end may be gone.
bool SendAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads whole frames from `fd` and hands each body to `frame` until the stream ends, a
// frame is bad, or `frame` returns false.
void ForEachFrame(int fd, const std::function<bool(const std::vector<uint8_t>&)>& frame) {
  FrameReader reader;
  std::vector<uint8_t> buf(64 << 10);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    reader.Feed({buf.data(), static_cast<size_t>(n)});
    for (;;) {
      auto body = reader.Next();
      if (!body.ok()) return;
      if (!body->has_value()) break;
      if (!frame(**body)) return;
    }
  }
}

std::vector<uint8_t> Framed(const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  AppendFrame(body, &out);
  return out;
}

}  // namespace

InProcessDaemon::InProcessDaemon(const std::string& root) : ctx_(daemon::MakeTestContext(root)) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  host_fd_ = fds[0];
  guest_fd_ = fds[1];
  thread_ = std::thread([this] { (void)daemon::Serve(guest_fd_, ctx_); });
}

InProcessDaemon::~InProcessDaemon() {
  HangUp();
  if (thread_.joinable()) thread_.join();
  ::close(guest_fd_);
  if (host_fd_ >= 0) ::close(host_fd_);
}

int InProcessDaemon::TakeHostFd() { return std::exchange(host_fd_, -1); }

void InProcessDaemon::HangUp() { ::shutdown(guest_fd_, SHUT_RDWR); }

ChannelTap::ChannelTap(int daemon_fd, TapScript script)
    : script_(std::move(script)), daemon_fd_(daemon_fd) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  host_fd_ = fds[0];
  near_fd_ = fds[1];
  up_ = std::thread([this] { Upstream(); });
  down_ = std::thread([this] { Downstream(); });
}

ChannelTap::~ChannelTap() {
  Cut();
  up_.join();
  down_.join();
  ::close(near_fd_);
  ::close(daemon_fd_);
  if (host_fd_ >= 0) ::close(host_fd_);
}

int ChannelTap::TakeHostFd() { return std::exchange(host_fd_, -1); }

void ChannelTap::Cut() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cut_) return;
  cut_ = true;
  ::shutdown(near_fd_, SHUT_RDWR);
  ::shutdown(daemon_fd_, SHUT_RDWR);
  cut_cv_.notify_all();
}

void ChannelTap::Upstream() {
  ForEachFrame(near_fd_, [this](const std::vector<uint8_t>& body) {
    auto request = VerifyRequest(body);
    if (request.ok() && script_.on_request) script_.on_request(**request);
    return SendAll(daemon_fd_, Framed(body));
  });
  ::shutdown(daemon_fd_, SHUT_WR);  // the host closed: the daemon sees it
}

void ChannelTap::Downstream() {
  ForEachFrame(daemon_fd_, [this](const std::vector<uint8_t>& body) {
    auto reply = VerifyResponse(body);
    const TapAction action =
        reply.ok() && script_.on_reply ? script_.on_reply(**reply) : TapAction::kForward;
    if (action == TapAction::kHold) {
      std::unique_lock<std::mutex> lock(mu_);
      cut_cv_.wait(lock, [this] { return cut_; });
      return false;
    }
    if (!SendAll(near_fd_, Framed(body))) return false;
    if (action == TapAction::kForwardThenCut) {
      Cut();
      return false;
    }
    return true;
  });
  ::shutdown(near_fd_, SHUT_WR);  // the daemon ended: the host sees it
}

uint32_t BatchRecordsOf(const proto::Response& reply) {
  const proto::ExtractNextReply* next = reply.reply_as_ExtractNext();
  if (next == nullptr || next->buffers() == nullptr) return 0;
  uint32_t records = 0;
  for (const proto::LaneBuffer* b : *next->buffers()) {
    if (b->lane() == proto::Lane::Batch) records += b->records();
  }
  return records;
}

TestSession::TestSession(std::unique_ptr<ImageSession> session, std::function<void()> hang_up,
                         std::shared_ptr<void> peer, int64_t pid)
    : session_(std::move(session)),
      hang_up_(std::move(hang_up)),
      peer_(std::move(peer)),
      pid_(pid) {}

std::optional<ChannelActivity> TestSession::activity() const {
  return session_->appliance().control().activity();
}

Status TestSession::Close() {
  Status st = session_->Close();
  session_.reset();
  peer_.reset();
  return st;
}

Result<std::unique_ptr<PooledSession>> OpenDaemonSession(const std::string& root, int64_t pid,
                                                         std::optional<TapScript> script) {
  // Destroyed in reverse order: the tap (if any) stops before the daemon does.
  struct Peer {
    std::unique_ptr<InProcessDaemon> daemon;
    std::unique_ptr<ChannelTap> tap;
  };
  auto peer = std::make_shared<Peer>();
  peer->daemon = std::make_unique<InProcessDaemon>(root);
  int host_fd = peer->daemon->TakeHostFd();
  if (script) {
    peer->tap = std::make_unique<ChannelTap>(host_fd, std::move(*script));
    host_fd = peer->tap->TakeHostFd();
  }
  auto control = std::make_unique<ControlClient>(host_fd, 10s);
  Result<HelloInfo> hello = control->Hello(10s);
  if (!hello.ok()) return hello.status();
  auto appliance = Appliance::OverStream(std::move(control), *hello);
  Peer* raw = peer.get();
  auto hang_up = [raw] {
    if (raw->tap != nullptr) raw->tap->Cut();
    raw->daemon->HangUp();
  };
  return std::unique_ptr<PooledSession>(new TestSession(
      ImageSession::OverAppliance(std::move(appliance)), hang_up, std::move(peer), pid));
}

}  // namespace diskferry::testing
