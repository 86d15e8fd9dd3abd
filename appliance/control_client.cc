#include "appliance/control_client.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "appliance/control_replies.h"
#include "appliance/control_stream.h"
#include "appliance/launch_secret.h"
#include "protocol/fd_io.h"
#include "protocol/wipe.h"

namespace diskferry {
namespace {

using proto::Op;
using proto::Reply;

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int ToPollTimeout(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, INT32_MAX));
}

std::string ReplyName(Reply type) { return proto::EnumNameReply(type); }

}  // namespace

std::string_view GuestErrno(const Status& status) {
  if (status.code() != Code::kGuestError) return {};
  const std::string_view m = status.message();
  const size_t colon = m.find(':');
  return colon == std::string_view::npos ? std::string_view() : m.substr(0, colon);
}

ControlClient::ControlClient(int fd, std::chrono::milliseconds call_timeout)
    : fd_(fd), call_timeout_(call_timeout) {}

ChannelActivity ControlClient::activity() const {
  ChannelActivity a;
  a.unanswered = unanswered_.load(std::memory_order_acquire);
  a.quiet_since = std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(quiet_since_ns_.load(std::memory_order_relaxed)));
  a.patience = std::chrono::milliseconds(patience_ms_.load(std::memory_order_relaxed));
  return a;
}

void ControlClient::Close() {
  CloseStream(fd_);
  fd_ = -1;
  unanswered_.store(0, std::memory_order_release);
  state_ = State::kClosed;  // kOpen, kBroken --Close()--> kClosed
}

Status ControlClient::Break(Status why) {
  if (why.code() == Code::kIoError && fd_ >= 0 && StreamPeerGone(fd_)) {
    why = Status(Code::kUnavailable, "control channel closed by the peer (" + why.message() + ")");
  }
  if (why.code() == Code::kProtocolError && !why.message().starts_with(kMisbehavedPrefix)) {
    why = GuestMisbehaved(why.message());
  }
  unanswered_.store(0, std::memory_order_release);  // nothing will be answered now
  if (state_ == State::kOpen) {
    state_ = State::kBroken;  // kOpen --failure--> kBroken
    broken_ = why;
    if (broken_hook_) broken_hook_(why);
  }
  return why;
}

Status ControlClient::CheckUsable() const {
  if (state_ == State::kOpen) return Status::Ok();
  if (state_ == State::kClosed) return Status(Code::kUnavailable, "control channel closed");
  return Status(Code::kUnavailable,
                "control channel unusable after an earlier failure: " + broken_.message());
}

Result<uint64_t> ControlClient::Send(const OpBuilder& build, std::chrono::milliseconds timeout) {
  if (Status s = CheckUsable(); !s.ok()) return s;
  flatbuffers::FlatBufferBuilder fbb(256);
  const auto [type, op] = build(fbb);
  const uint64_t id = next_id_++;
  fbb.Finish(proto::CreateRequest(fbb, id, type, op));
  const std::string what = "send " + std::string(proto::EnumNameOp(type));
  if (fbb.GetSize() > kMaxFrameSize) {
    WipeBytes(fbb.GetBufferPointer(), fbb.GetSize());
    return Break(Status(Code::kProtocolError, what + ": " + std::to_string(fbb.GetSize()) +
                                                  " bytes, more than the frame limit of " +
                                                  std::to_string(kMaxFrameSize)));
  }
  std::vector<uint8_t> frame;
  frame.reserve(fbb.GetSize() + kFrameHeaderSize);
  AppendFrame({fbb.GetBufferPointer(), fbb.GetSize()}, &frame);
  WipeBytes(fbb.GetBufferPointer(), fbb.GetSize());  // an UnlockRequest carries a key
  Status written;
  {
    WriteGuard no_sigpipe;
    written = WriteStreamWithin(fd_, frame, timeout);
  }
  WipeBytes(frame);
  if (!written.ok()) return Break(written.WithContext(what));
  if (unanswered_.load(std::memory_order_relaxed) == 0) {
    quiet_since_ns_.store(SteadyNowNs(), std::memory_order_relaxed);
  }
  unanswered_.fetch_add(1, std::memory_order_release);
  return id;
}

Status ControlClient::Misbehaved(std::string_view what) {
  return Break(Status(Code::kProtocolError, std::string(what)));
}

Result<ResponseFrame> ControlClient::Receive(uint64_t id, std::chrono::milliseconds timeout) {
  if (Status s = CheckUsable(); !s.ok()) return s;
  Result<std::vector<uint8_t>> body = ReadFrame(fd_, &reader_, ToPollTimeout(timeout));
  if (!body.ok()) return Break(body.status());
  quiet_since_ns_.store(SteadyNowNs(), std::memory_order_relaxed);
  if (unanswered_.load(std::memory_order_relaxed) > 0) {
    unanswered_.fetch_sub(1, std::memory_order_release);
  }
  Result<const proto::Response*> response = VerifyResponse(*body);
  if (!response.ok()) return Break(response.status());
  const proto::Response& r = **response;
  if (r.id() != id) {
    std::string m = "response id " + std::to_string(r.id()) + ", expected " + std::to_string(id);
    if (r.id() == 0 && r.error() != nullptr) {  // the daemon could not read our request
      m += " (" + internal::GuestErrorStatus(*r.error()).message() + ")";
    }
    return Break(Status(Code::kProtocolError, std::move(m)));
  }
  const bool has_reply = r.reply_type() != Reply::NONE && r.reply() != nullptr;
  if ((r.error() != nullptr) == has_reply) {
    return Break(Status(Code::kProtocolError, "response " + std::to_string(id) +
                                                  " must carry exactly one of error and reply"));
  }
  if (r.error() != nullptr) return internal::GuestErrorStatus(*r.error());
  return ResponseFrame(std::move(*body), *response);
}

Result<ResponseFrame> ControlClient::Call(const OpBuilder& build,
                                          std::chrono::milliseconds timeout) {
  patience_ms_.store(timeout.count(), std::memory_order_relaxed);
  Result<uint64_t> id = Send(build, timeout);
  Result<ResponseFrame> reply =
      id.ok() ? Receive(*id, timeout) : Result<ResponseFrame>(id.status());
  patience_ms_.store(0, std::memory_order_relaxed);
  return reply;
}

Result<ResponseFrame> ControlClient::CallExpecting(const OpBuilder& build, Reply type,
                                                   std::chrono::milliseconds timeout) {
  Result<ResponseFrame> frame = Call(build, timeout);
  if (!frame.ok()) return frame;
  const Reply got = frame->response().reply_type();
  if (got != type) {
    return Break(Status(Code::kProtocolError,
                        "expected a " + ReplyName(type) + " reply, got " + ReplyName(got)));
  }
  return frame;
}

// Random bytes a Hello carries for the guest's entropy pool.
constexpr size_t kHelloEntropyBytes = 32;

Result<HelloInfo> ControlClient::Hello(std::chrono::milliseconds timeout,
                                       const HelloOptions& options) {
  std::array<uint8_t, kHelloEntropyBytes> entropy{};
  if (Status s = internal::FillRandom(entropy); !s.ok()) return s.WithContext("Hello entropy");
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  Result<ResponseFrame> f = CallExpecting(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const std::vector<uint8_t> bytes(entropy.begin(), entropy.end());
        const auto req = proto::CreateHelloRequestDirect(
            fbb, static_cast<uint32_t>(proto::ProtocolVersion::V0), DISKFERRY_VERSION, now_ns,
            &bytes, options.template_point, options.disks);
        return std::pair(Op::Hello, req.Union());
      },
      Reply::Hello, timeout);
  if (!f.ok()) return f.status();
  Result<HelloInfo> info = internal::ToHelloInfo(*f->response().reply_as_Hello());
  if (!info.ok()) return Break(info.status());
  return info;
}

Result<uint64_t> ControlClient::Ping(uint64_t payload) {
  Result<ResponseFrame> f = CallExpecting(
      [payload](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair(Op::Ping, proto::CreatePingRequest(fbb, payload).Union());
      },
      Reply::Ping, call_timeout_);
  if (!f.ok()) return f.status();
  return f->response().reply_as_Ping()->payload();
}

Result<std::vector<FilesystemInfo>> ControlClient::ListFilesystems() {
  Result<ResponseFrame> f = CallExpecting(
      [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair(Op::ListFilesystems, proto::CreateListFilesystemsRequest(fbb).Union());
      },
      Reply::ListFilesystems, call_timeout_);
  if (!f.ok()) return f.status();
  Result<StorageListing> listing =
      internal::ToStorageListing(*f->response().reply_as_ListFilesystems());
  if (!listing.ok()) return Break(listing.status());
  return std::move(listing->filesystems);
}

Result<StorageListing> ControlClient::ListStorage(bool activate, bool read_write,
                                                 std::chrono::milliseconds timeout) {
  Result<ResponseFrame> f = CallExpecting(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair(Op::ListFilesystems,
                         proto::CreateListFilesystemsRequest(fbb, activate, read_write).Union());
      },
      Reply::ListFilesystems, timeout);
  if (!f.ok()) return f.status();
  Result<StorageListing> listing =
      internal::ToStorageListing(*f->response().reply_as_ListFilesystems());
  if (!listing.ok()) return Break(listing.status());
  return listing;
}

Result<std::string> ControlClient::Unlock(const std::string& device, std::span<const uint8_t> key,
                                          bool read_write, std::chrono::milliseconds timeout) {
  Result<ResponseFrame> f = CallExpecting(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const auto key_vector = fbb.CreateVector(key.data(), key.size());
        const auto req = proto::CreateUnlockRequest(fbb, fbb.CreateString(device), key_vector,
                                                    read_write);
        return std::pair(Op::Unlock, req.Union());
      },
      Reply::Unlock, timeout);
  if (!f.ok()) return f.status();
  Result<std::string> opened = internal::ToUnlockedDevice(*f->response().reply_as_Unlock());
  if (!opened.ok()) return Break(opened.status());
  return opened;
}

Result<OsTreeInfo> ControlClient::MountOs(bool read_write, bool replay, const std::string& root,
                                          std::chrono::milliseconds timeout) {
  Result<ResponseFrame> f = CallExpecting(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const auto req = proto::CreateMountOsRequestDirect(fbb, read_write, replay && !read_write,
                                                           root.c_str());
        return std::pair(Op::MountOs, req.Union());
      },
      Reply::MountOs, timeout);
  if (!f.ok()) return f.status();
  Result<OsTreeInfo> tree = internal::ToOsTreeInfo(*f->response().reply_as_MountOs());
  if (!tree.ok()) return Break(tree.status());
  return tree;
}

Result<MountInfo> ControlClient::Mount(const std::string& device, bool read_write,
                                       const std::string& fstype, bool replay) {
  Result<ResponseFrame> f = CallExpecting(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const auto req = proto::CreateMountRequestDirect(fbb, device.c_str(), read_write,
                                                         fstype.c_str(), replay && !read_write);
        return std::pair(Op::Mount, req.Union());
      },
      Reply::Mount, call_timeout_);
  if (!f.ok()) return f.status();
  return internal::ToMountInfo(*f->response().reply_as_Mount());
}

Result<DirPage> ControlClient::ReadDir(const std::string& path, uint64_t start,
                                       uint32_t max_entries) {
  Result<ResponseFrame> f = CallExpecting(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const auto req = proto::CreateReadDirRequestDirect(fbb, path.c_str(), start, max_entries);
        return std::pair(Op::ReadDir, req.Union());
      },
      Reply::ReadDir, call_timeout_);
  if (!f.ok()) return f.status();
  Result<DirPage> page = internal::ToDirPage(*f->response().reply_as_ReadDir(), start, max_entries);
  if (!page.ok()) return Break(page.status().WithContext(path));
  return page;
}

Result<std::vector<DirEntryInfo>> ControlClient::ReadDirAll(const std::string& path,
                                                            uint64_t max_entries,
                                                            uint64_t max_bytes) {
  std::vector<DirEntryInfo> all;
  uint64_t bytes = 0;
  uint64_t start = 0;
  for (;;) {
    Result<DirPage> page = ReadDir(path, start);
    if (!page.ok()) return page.status();
    if (all.size() + page->entries.size() > max_entries) {
      return Status(Code::kProtocolError,
                    path + ": directory has more than " + std::to_string(max_entries) + " entries");
    }
    for (const DirEntryInfo& e : page->entries) {
      bytes += sizeof(DirEntryInfo) + e.name.size() + e.link_target.size();
    }
    if (bytes > max_bytes) {
      return Status(Code::kProtocolError, path + ": directory listing takes more than " +
                                              std::to_string(max_bytes) + " bytes");
    }
    std::move(page->entries.begin(), page->entries.end(), std::back_inserter(all));
    if (page->eof) return all;
    start = page->next;
  }
}

Result<SurveyResult> ControlClient::Survey(const std::string& path, uint64_t checkpoint_weight,
                                           uint64_t entry_weight, std::chrono::milliseconds timeout,
                                           const SelectPatterns& select) {
  Result<ResponseFrame> f = CallExpecting(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const auto req = proto::CreateSurveyRequest(
            fbb, fbb.CreateString(path), checkpoint_weight, entry_weight,
            select.include.empty() ? 0 : fbb.CreateVectorOfStrings(select.include),
            select.exclude.empty() ? 0 : fbb.CreateVectorOfStrings(select.exclude));
        return std::pair(Op::Survey, req.Union());
      },
      Reply::Survey, timeout);
  if (!f.ok()) return f.status();
  Result<SurveyResult> survey = internal::ToSurveyResult(*f->response().reply_as_Survey());
  if (!survey.ok()) return Break(survey.status().WithContext(path));
  return survey;
}

Status ControlClient::Shutdown(std::chrono::milliseconds timeout) {
  Result<ResponseFrame> f = CallExpecting(
      [](flatbuffers::FlatBufferBuilder& fbb) {
        return std::pair(Op::Shutdown, proto::CreateShutdownRequest(fbb).Union());
      },
      Reply::Shutdown, timeout);
  return f.ok() ? Status::Ok() : f.status();
}

}  // namespace diskferry
