#include "protocol/frame.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "protocol/check.h"
#include "protocol/wipe.h"

namespace diskferry {
namespace {

uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

flatbuffers::Verifier::Options VerifierOptions() {
  flatbuffers::Verifier::Options o;
  o.max_depth = 32;
  o.max_tables = 1u << 22;  // a full ReadDir page is a few thousand tables
  o.check_alignment = true;
  return o;
}

}  // namespace

void AppendFrame(std::span<const uint8_t> body, std::vector<uint8_t>* out) {
  DF_CHECK(!body.empty() && body.size() <= kMaxFrameSize);
  const auto n = static_cast<uint32_t>(body.size());
  const uint8_t header[kFrameHeaderSize] = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8),
                                            static_cast<uint8_t>(n >> 16),
                                            static_cast<uint8_t>(n >> 24)};
  out->insert(out->end(), header, header + kFrameHeaderSize);
  out->insert(out->end(), body.begin(), body.end());
}

// A frame may carry a key (UnlockRequest), so no byte received is left behind in memory
// this reader gives up: compaction wipes the tail it vacates, growth wipes the old buffer
// before freeing it, and the destructor wipes what is left.
void FrameReader::Feed(std::span<const uint8_t> bytes) {
  if (!error_.ok()) return;
  // Compact once the consumed prefix dominates, so a long session does not grow buf_.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    const size_t live = buf_.size() - pos_;
    std::memmove(buf_.data(), buf_.data() + pos_, live);
    WipeBytes(buf_.data() + live, buf_.size() - live);
    buf_.resize(live);
    pos_ = 0;
  }
  if (buf_.capacity() - buf_.size() < bytes.size()) {
    std::vector<uint8_t> bigger;
    bigger.reserve(std::max(buf_.capacity() * 2, buf_.size() + bytes.size()));
    bigger.assign(buf_.begin(), buf_.end());
    WipeBytes(buf_.data(), buf_.size());
    buf_.swap(bigger);
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

FrameReader& FrameReader::operator=(FrameReader&& other) noexcept {
  if (this != &other) {
    WipeBytes(buf_.data(), buf_.size());
    buf_ = std::move(other.buf_);
    pos_ = other.pos_;
    error_ = std::move(other.error_);
  }
  return *this;
}

FrameReader::~FrameReader() { WipeBytes(buf_.data(), buf_.size()); }

Result<std::optional<std::vector<uint8_t>>> FrameReader::Next() {
  if (!error_.ok()) return error_;
  const size_t avail = buf_.size() - pos_;
  if (avail < kFrameHeaderSize) return std::optional<std::vector<uint8_t>>();
  const uint32_t len = LoadLe32(buf_.data() + pos_);
  if (len == 0) {
    error_ = Status(Code::kProtocolError, "frame with zero length");
    return error_;
  }
  if (len > kMaxFrameSize) {
    error_ = Status(Code::kProtocolError, "frame of " + std::to_string(len) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(kMaxFrameSize));
    return error_;
  }
  if (avail - kFrameHeaderSize < len) return std::optional<std::vector<uint8_t>>();
  const uint8_t* start = buf_.data() + pos_ + kFrameHeaderSize;
  std::vector<uint8_t> body(start, start + len);
  // A frame may carry a key (UnlockRequest): the copy that stays behind is wiped.
  WipeBytes(buf_.data() + pos_, kFrameHeaderSize + len);
  pos_ += kFrameHeaderSize + len;
  return std::optional<std::vector<uint8_t>>(std::move(body));
}

Result<const proto::Request*> VerifyRequest(std::span<const uint8_t> body) {
  flatbuffers::Verifier v(body.data(), body.size(), VerifierOptions());
  if (body.size() < sizeof(flatbuffers::uoffset_t) || !v.VerifyBuffer<proto::Request>(nullptr)) {
    return Status(Code::kProtocolError,
                  "request frame of " + std::to_string(body.size()) + " bytes failed verification");
  }
  return flatbuffers::GetRoot<proto::Request>(body.data());
}

Result<const proto::Response*> VerifyResponse(std::span<const uint8_t> body) {
  flatbuffers::Verifier v(body.data(), body.size(), VerifierOptions());
  if (body.size() < sizeof(flatbuffers::uoffset_t) || !v.VerifyBuffer<proto::Response>(nullptr)) {
    return Status(Code::kProtocolError, "response frame of " + std::to_string(body.size()) +
                                            " bytes failed verification");
  }
  return flatbuffers::GetRoot<proto::Response>(body.data());
}

}  // namespace diskferry
