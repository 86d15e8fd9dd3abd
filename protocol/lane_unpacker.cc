#include "protocol/lane_unpacker.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "protocol/page_aligned_allocator.h"
#include "protocol/printable_text.h"

namespace diskferry {

struct LaneUnpacker::Impl {
  // kOpen --Apply/Finish fails--> kFailed (sticky); kOpen --Finish ok--> kFinished.
  enum class State { kOpen, kFailed, kFinished };

  struct StreamFile {
    std::string path;
    uint64_t size = 0;
  };

  TreeSink* sink;
  LaneMemory* memory;
  State state = State::kOpen;
  Status failure;
  // Stream files announced and not yet ended, by id; ids already ended, kept so that a
  // late buffer or a second announcement is named precisely.
  std::map<uint64_t, StreamFile> live;
  std::unordered_set<uint64_t> ended;
  // Buffers received inline, per lane, to name them in errors (their index is meaningless).
  uint64_t inline_seen[2] = {0, 0};
  // Bytes of the buffer being applied, copied out of shared memory or the frame. Reused.
  PageAlignedBytes scratch;

  Status Apply(const BufferDesc& desc, std::span<const uint8_t> inline_data);
  Status Fail(Status st);
  std::string Name(const BufferDesc& desc) const;
  Status CopyIn(const BufferDesc& desc, std::span<const uint8_t> inline_data,
                const std::string& name);
  Status ApplyBatch(const BufferDesc& desc, const std::string& name);
  Status Announce(const Record& record, const std::string& name);
  Status ApplyStream(const BufferDesc& desc, const std::string& name);
  Status Finish();
};

LaneUnpacker::LaneUnpacker(TreeSink* sink, LaneMemory* memory) : impl_(std::make_unique<Impl>()) {
  impl_->sink = sink;
  impl_->memory = memory;
}

LaneUnpacker::~LaneUnpacker() = default;

Status LaneUnpacker::Apply(const BufferDesc& desc, std::span<const uint8_t> inline_data) {
  return impl_->Apply(desc, inline_data);
}

Status LaneUnpacker::Finish() { return impl_->Finish(); }

Status LaneUnpacker::Impl::Fail(Status st) {
  state = State::kFailed;
  failure = st;
  return st;
}

std::string LaneUnpacker::Impl::Name(const BufferDesc& desc) const {
  const bool batch = desc.lane == proto::Lane::Batch;
  if (memory != nullptr) {
    return std::string(batch ? "batch" : "stream") + " buffer " + std::to_string(desc.index);
  }
  // Called after inline_seen was incremented for this buffer.
  return std::string("inline ") + (batch ? "batch" : "stream") + " buffer " +
         std::to_string(inline_seen[batch ? 0 : 1] - 1);
}

Status LaneUnpacker::Impl::Apply(const BufferDesc& desc, std::span<const uint8_t> inline_data) {
  if (state == State::kFailed) return failure;
  if (state == State::kFinished) {
    return Status(Code::kFailedPrecondition, "lane buffer after the transfer finished");
  }
  if (desc.lane != proto::Lane::Batch && desc.lane != proto::Lane::Stream) {
    return Fail(Status(Code::kProtocolError, "lane buffer: unknown lane " +
                                                 std::to_string(static_cast<unsigned>(desc.lane))));
  }
  if (memory == nullptr) ++inline_seen[desc.lane == proto::Lane::Batch ? 0 : 1];
  const std::string name = Name(desc);
  Status st = CopyIn(desc, inline_data, name);
  if (st.ok()) {
    st = desc.lane == proto::Lane::Batch ? ApplyBatch(desc, name) : ApplyStream(desc, name);
  }
  return st.ok() ? st : Fail(st);
}

// Checks the descriptor against the lane's limits and copies its bytes into `scratch`, so
// that nothing the guest writes afterwards can change what is decoded or written.
Status LaneUnpacker::Impl::CopyIn(const BufferDesc& desc, std::span<const uint8_t> inline_data,
                                  const std::string& name) {
  auto bad = [&](const std::string& why) {
    return Status(Code::kProtocolError, name + ": length " + std::to_string(desc.length) + why);
  };
  if (memory == nullptr) {
    const uint64_t limit = desc.lane == proto::Lane::Batch ? kSocketBatchSize : kSocketChunkSize;
    if (desc.length != inline_data.size()) {
      return bad(" differs from the " + std::to_string(inline_data.size()) + " bytes it carries");
    }
    if (desc.length > limit) return bad(" exceeds the lane limit " + std::to_string(limit));
    scratch.assign(inline_data.begin(), inline_data.end());
    return Status::Ok();
  }
  if (!inline_data.empty())
    return Status(Code::kProtocolError, name + ": inline data on a shared-memory lane");
  const uint32_t count = memory->Count(desc.lane);
  if (desc.index >= count) {
    return Status(Code::kProtocolError,
                  name + ": index out of range (the lane has " + std::to_string(count) + ")");
  }
  const std::span<uint8_t> buffer = memory->Buffer(desc.lane, desc.index);
  const uint64_t capacity = std::min<uint64_t>(memory->Capacity(desc.lane), buffer.size());
  if (desc.length > capacity)
    return bad(" exceeds the buffer capacity " + std::to_string(capacity));
  scratch.resize(desc.length);
  if (desc.length != 0) std::memcpy(scratch.data(), buffer.data(), desc.length);
  return Status::Ok();
}

Status LaneUnpacker::Impl::ApplyBatch(const BufferDesc& desc, const std::string& name) {
  RecordReader reader(scratch, desc.records);
  for (;;) {
    Result<std::optional<Record>> next = reader.Next();
    if (!next.ok()) return next.status().WithContext(name);
    if (!next->has_value()) return Status::Ok();
    const Record& record = **next;
    if (record.meta.type == RecordType::kStreamFile) {
      if (Status st = Announce(record, name); !st.ok()) return st;
    }
    if (Status st = sink->OnRecord(record); !st.ok()) return st;
  }
}

Status LaneUnpacker::Impl::Announce(const Record& record, const std::string& name) {
  const uint64_t id = record.meta.file_id;
  const std::string what =
      name + ": stream file " + QuotedText(record.path) + " (file_id " + std::to_string(id) + ")";
  if (!record.data.empty()) {
    return Status(Code::kProtocolError, what + " carries inline data");
  }
  if (auto it = live.find(id); it != live.end()) {
    return Status(Code::kProtocolError, what + ": id already in use by " + QuotedText(it->second.path));
  }
  if (ended.contains(id)) {
    return Status(Code::kProtocolError, what + ": id already used by an ended file");
  }
  live.emplace(id, StreamFile{std::string(record.path), record.meta.size});
  return Status::Ok();
}

Status LaneUnpacker::Impl::ApplyStream(const BufferDesc& desc, const std::string& name) {
  const std::string id = "file_id " + std::to_string(desc.file_id);
  auto it = live.find(desc.file_id);
  if (it == live.end()) {
    const char* why = ended.contains(desc.file_id) ? " after its end" : " was never announced";
    return Status(Code::kProtocolError, name + ": " + id + why);
  }
  const StreamFile& file = it->second;
  const std::string what = name + ": " + id + " (" + QuotedText(file.path) + ")";
  uint64_t end = 0;
  if (__builtin_add_overflow(desc.offset, desc.length, &end) || end > file.size) {
    return Status(Code::kProtocolError, what + ": offset " + std::to_string(desc.offset) +
                                            " + length " + std::to_string(desc.length) +
                                            " beyond its announced size " +
                                            std::to_string(file.size));
  }
  if (desc.length != 0) {
    if (Status st = sink->OnStreamData(desc.file_id, desc.offset, scratch); !st.ok()) return st;
  }
  if (!desc.eof) return Status::Ok();
  live.erase(it);
  ended.insert(desc.file_id);
  return sink->OnStreamEnd(desc.file_id);
}

Status LaneUnpacker::Impl::Finish() {
  if (state == State::kFailed) return failure;
  if (state == State::kFinished) {
    return Status(Code::kFailedPrecondition, "lane transfer already finished");
  }
  if (!live.empty()) {
    const auto& [id, file] = *live.begin();
    return Fail(Status(Code::kProtocolError, "transfer ended with " + std::to_string(live.size()) +
                                                 " stream file(s) unfinished, first " +
                                                 QuotedText(file.path) + " (file_id " +
                                                 std::to_string(id) + ")"));
  }
  Status st = sink->Finish();
  if (!st.ok()) return Fail(st);
  state = State::kFinished;
  return st;
}

}  // namespace diskferry
