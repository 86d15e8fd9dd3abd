#include "appliance/transfer.h"

#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>

#include "appliance/control_replies.h"
#include "protocol/lane_memory.h"
#include "protocol/lane_packer.h"
#include "protocol/lane_unpacker.h"
#include "protocol/size_checking_sink.h"

namespace diskferry {
namespace {

using proto::Lane;

BufferDesc FromWire(const proto::LaneBuffer& b) {
  BufferDesc d;
  d.lane = b.lane();
  d.index = b.index();
  d.length = b.length();
  d.records = b.records();
  d.file_id = b.file_id();
  d.offset = b.offset();
  d.eof = b.eof();
  return d;
}

std::span<const uint8_t> InlineData(const proto::LaneBuffer& b) {
  if (b.inline_data() == nullptr) return {};
  return {b.inline_data()->data(), b.inline_data()->size()};
}

// Keeps `e` unless the result holds kMaxTransferProblems or kMaxTransferProblemBytes
// already; then only counts it, in the summary entry that ends the list.
void KeepProblem(internal::ReplyFileError& e, TransferResult* result) {
  const size_t bytes = e.path.size() + e.message.size();
  if (result->problems_not_listed == 0 && result->problems.size() < kMaxTransferProblems &&
      bytes <= kMaxTransferProblemBytes - result->problem_bytes) {
    result->problem_bytes += bytes;
    result->problems.push_back({std::move(e.path), std::move(e.message)});
    return;
  }
  if (result->problems_not_listed++ == 0) result->problems.push_back({});
  result->problems.back().message =
      std::to_string(result->problems_not_listed) + " more problems not listed";
}

// Checked against control_replies.h's limits before anything is copied.
Status AppendProblems(ControlClient& control,
                      const flatbuffers::Vector<flatbuffers::Offset<proto::FileError>>* errors,
                      const std::string& what, TransferResult* result) {
  Result<std::vector<internal::ReplyFileError>> checked = internal::ToFileErrors(errors, what);
  if (!checked.ok()) return control.Misbehaved(checked.status().message());
  for (internal::ReplyFileError& e : *checked) KeepProblem(e, result);
  return Status::Ok();
}

// The region stays valid for the appliance's lifetime; ShmLaneMemory borrows it.
std::unique_ptr<LaneMemory> HostLaneMemory(const TransferChannel& channel,
                                           const TransferOptions& options) {
  if (options.use_shm) {
    auto layout = CheckedShmLayout(channel);
    if (layout.ok()) return std::make_unique<ShmLaneMemory>(channel.shm->data(), *layout);
  }
  return nullptr;
}

// Waits for the reply to `id`, no longer than the progress deadline leaves.
Result<ResponseFrame> ReceiveWithin(ControlClient& control, uint64_t id,
                                    const TransferOptions& options, ProgressDeadline& progress) {
  auto frame = control.Receive(id, progress.NextWait(options.call_timeout));
  if (!frame.ok()) return progress.OnWaitFailed(frame.status());
  return frame;
}

// Every protocol error of a transfer says that the appliance misbehaved, whichever layer
// (control client, unpacker, packer) found it, and closes the control channel: requests
// may still be outstanding, and nothing more this guest says is to be believed, so the
// appliance must not serve another transfer (a pool then closes it: the channel is not
// open).
Status EndMisbehaving(ControlClient& control, Status status) {
  if (status.code() != Code::kProtocolError) return status;
  control.Close();
  if (status.message().starts_with(kMisbehavedPrefix)) return status;
  // A layer that already said who misbehaved keeps its words.
  constexpr std::string_view kSaid = "the appliance misbehaved: ";
  std::string_view m = status.message();
  if (m.starts_with(kSaid)) m.remove_prefix(kSaid.size());
  return GuestMisbehaved(m);
}

// A buffer moves the transfer on when it brings bytes, records or the end of a file.
// Replies that only repeat empty buffers are idle, however many they list.
bool Progresses(const proto::ExtractNextReply& next) {
  if (next.buffers() == nullptr) return false;
  for (const auto* b : *next.buffers()) {
    if (b->length() > 0 || b->records() > 0 || b->eof()) return true;
  }
  return false;
}

Result<uint64_t> TransferId(Result<ResponseFrame> frame) {
  if (!frame.ok()) return frame.status();
  const auto* reply = frame->response().reply_as_TransferStart();
  if (reply == nullptr) return Status(Code::kProtocolError, "transfer start: wrong reply type");
  return reply->transfer_id();
}

Status EndTransfer(ControlClient& control, uint64_t id, const TransferOptions& options,
                   TransferResult* result) {
  auto frame = control.Call(
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        return std::make_pair(proto::Op::TransferEnd,
                              proto::CreateTransferEndRequest(fbb, id).Union());
      },
      options.call_timeout);
  if (!frame.ok()) return frame.status();
  const auto* end = frame->response().reply_as_TransferEnd();
  if (end == nullptr) return Status(Code::kProtocolError, "transfer end: wrong reply type");
  return AppendProblems(control, end->errors(), "TransferEnd reply", result);
}

// ---- extract ------------------------------------------------------------------------

class Extractor {
 public:
  Extractor(const TransferChannel& channel, TreeSink* sink, const TransferOptions& options)
      : control_(*channel.control), options_(options),
        memory_(HostLaneMemory(channel, options)), checked_sink_(sink, options.max_file_size),
        unpacker_(&checked_sink_, memory_.get()),
        progress_(options.progress_deadline, options.max_idle_replies, options.clock) {}

  Result<TransferResult> Run(const std::vector<std::string>& paths) {
    Status st = RunSteps(paths);
    if (!st.ok()) return EndMisbehaving(control_, st);
    result_.bytes += checked_sink_.inline_bytes();  // small files' bytes came in batches
    return result_;
  }

 private:
  Status RunSteps(const std::vector<std::string>& paths) {
    result_.used_shm = memory_ != nullptr;
    auto id = Start(paths);
    if (!id.ok()) return id.status();
    id_ = *id;
    if (Status st = Pump(); !st.ok()) return st;
    if (Status st = unpacker_.Finish(); !st.ok()) return st;
    return EndTransfer(control_, id_, options_, &result_);
  }

  Result<uint64_t> Start(const std::vector<std::string>& paths) {
    return TransferId(control_.Call(
        [&](flatbuffers::FlatBufferBuilder& fbb) {
          std::vector<flatbuffers::Offset<flatbuffers::String>> names;
          for (const auto& p : paths) names.push_back(fbb.CreateString(p));
          const WalkRange& range = options_.range;
          const SelectPatterns& select = options_.select;
          auto req = proto::CreateExtractStartRequest(
              fbb, fbb.CreateVector(names), options_.stream_threshold, options_.xattrs,
              memory_ != nullptr, range.after.empty() ? 0 : fbb.CreateString(range.after),
              range.until.empty() ? 0 : fbb.CreateString(range.until),
              select.include.empty() ? 0 : fbb.CreateVectorOfStrings(select.include),
              select.exclude.empty() ? 0 : fbb.CreateVectorOfStrings(select.exclude),
              options_.recover_deleted);
          return std::make_pair(proto::Op::ExtractStart, req.Union());
        },
        options_.call_timeout));
  }

  Status SendNext() {
    std::vector<std::pair<Lane, uint32_t>> release;
    release.swap(released_);
    auto id = control_.Send([&](flatbuffers::FlatBufferBuilder& fbb) {
      std::vector<flatbuffers::Offset<proto::BufferRef>> refs;
      for (const auto& [lane, index] : release) {
        refs.push_back(proto::CreateBufferRef(fbb, lane, index));
      }
      auto req = proto::CreateExtractNextRequest(fbb, id_, fbb.CreateVector(refs));
      return std::make_pair(proto::Op::ExtractNext, req.Union());
    }, options_.call_timeout);
    if (!id.ok()) return id.status();
    outstanding_.push_back(*id);
    return Status::Ok();
  }

  // Keeps `in_flight` ExtractNext requests outstanding until the guest says done, then
  // drains the rest.
  Status Pump() {
    bool done = false;
    while (!done || !outstanding_.empty()) {
      while (!done && outstanding_.size() < options_.in_flight) {
        if (Status st = SendNext(); !st.ok()) return st;
      }
      const uint64_t want = outstanding_.front();
      outstanding_.pop_front();
      auto frame = ReceiveWithin(control_, want, options_, progress_);
      if (!frame.ok()) return frame.status();
      const auto* next = frame->response().reply_as_ExtractNext();
      if (next == nullptr) return Status(Code::kProtocolError, "extract: wrong reply type");
      if (Status st = ApplyAll(*next); !st.ok()) return st;
      if (Status st = progress_.OnReply(Progresses(*next)); !st.ok()) return st;
      done = done || next->done();
    }
    return Status::Ok();
  }

  Status ApplyAll(const proto::ExtractNextReply& next) {
    // Before any buffer: each one queues a release in the next request.
    if (Status st = internal::CheckExtractNextReply(next); !st.ok()) {
      return control_.Misbehaved(st.message());
    }
    if (next.buffers() == nullptr) return Status::Ok();
    for (const auto* b : *next.buffers()) {
      const BufferDesc desc = FromWire(*b);
      if (Status st = unpacker_.Apply(desc, InlineData(*b)); !st.ok()) return st;
      if (desc.lane == Lane::Batch) result_.files += desc.records;
      if (desc.lane == Lane::Stream) result_.bytes += desc.length;
      if (memory_ != nullptr) released_.emplace_back(desc.lane, desc.index);
    }
    return Status::Ok();
  }

  ControlClient& control_;
  TransferOptions options_;
  std::unique_ptr<LaneMemory> memory_;
  SizeCheckingSink checked_sink_;
  LaneUnpacker unpacker_;
  ProgressDeadline progress_;
  uint64_t id_ = 0;
  std::deque<uint64_t> outstanding_;
  std::vector<std::pair<Lane, uint32_t>> released_;
  TransferResult result_;
};

// ---- inject -------------------------------------------------------------------------

class Injector {
 public:
  Injector(const TransferChannel& channel, TreeSource* source, const TransferOptions& options)
      : control_(*channel.control), options_(options),
        memory_(HostLaneMemory(channel, options)),
        progress_(options.progress_deadline, options.max_idle_replies, options.clock) {
    if (memory_ == nullptr) {
      // The socket lane: buffers are staged here and copied into each frame.
      memory_ = std::make_unique<HeapLaneMemory>(2, kSocketBatchSize, 4, kSocketChunkSize);
      shm_ = false;
    }
    packer_ = std::make_unique<LanePacker>(source, memory_.get(), options.stream_threshold);
  }

  Result<TransferResult> Run(const std::string& guest_root) {
    Status st = RunSteps(guest_root);
    if (!st.ok()) return EndMisbehaving(control_, st);
    result_.files = packer_->stats().files;
    result_.bytes = packer_->stats().bytes;
    return result_;
  }

 private:
  Status RunSteps(const std::string& guest_root) {
    result_.used_shm = shm_;
    auto id = Start(guest_root);
    if (!id.ok()) return id.status();
    id_ = *id;
    if (Status st = Pump(); !st.ok()) return st;
    return EndTransfer(control_, id_, options_, &result_);
  }

  Result<uint64_t> Start(const std::string& root) {
    return TransferId(control_.Call(
        [&](flatbuffers::FlatBufferBuilder& fbb) {
          auto req = proto::CreateInjectStartRequest(fbb, fbb.CreateString(root), options_.xattrs,
                                                     shm_, options_.owners);
          return std::make_pair(proto::Op::InjectStart, req.Union());
        },
        options_.call_timeout));
  }

  Status Send(const std::vector<BufferDesc>& descs) {
    auto id = control_.Send([&](flatbuffers::FlatBufferBuilder& fbb) {
      std::vector<flatbuffers::Offset<proto::LaneBuffer>> bufs;
      for (const BufferDesc& d : descs) {
        flatbuffers::Offset<flatbuffers::Vector<uint8_t>> data;
        if (!shm_) data = fbb.CreateVector(memory_->Buffer(d.lane, d.index).data(), d.length);
        bufs.push_back(proto::CreateLaneBuffer(fbb, d.lane, shm_ ? d.index : 0, d.length,
                                               d.records, d.file_id, d.offset, d.eof, data));
      }
      auto req = proto::CreateInjectPutRequest(fbb, id_, fbb.CreateVector(bufs));
      return std::make_pair(proto::Op::InjectPut, req.Union());
    }, options_.call_timeout);
    if (!id.ok()) return id.status();
    outstanding_.push_back(*id);
    if (!shm_) {  // the bytes are in the frame already
      for (const BufferDesc& d : descs) {
        if (Status st = packer_->Release(d.lane, d.index); !st.ok()) return st;
      }
    }
    return Status::Ok();
  }

  Status ReceiveOne() {
    const uint64_t want = outstanding_.front();
    outstanding_.pop_front();
    auto frame = ReceiveWithin(control_, want, options_, progress_);
    if (!frame.ok()) return frame.status();
    const auto* put = frame->response().reply_as_InjectPut();
    if (put == nullptr) return Status(Code::kProtocolError, "inject: wrong reply type");
    // Each reply answers one put, so replies cannot come faster than the host sends: a
    // reply is progress, and only silence can trip the deadline.
    if (Status st = progress_.OnReply(true); !st.ok()) return st;
    if (Status st = internal::CheckInjectPutReply(*put); !st.ok()) {
      return control_.Misbehaved(st.message());
    }
    if (Status st = AppendProblems(control_, put->errors(), "InjectPut reply", &result_);
        !st.ok()) {
      return st;
    }
    if (shm_ && put->release() != nullptr) {
      for (const auto* ref : *put->release()) {
        // The guest names what it finished with; the packer refuses impossible releases.
        if (Status st = packer_->Release(ref->lane(), ref->index()); !st.ok()) return st;
      }
    }
    return Status::Ok();
  }

  Status Pump() {
    for (;;) {
      auto filled = packer_->Fill(shm_ ? 4 : 1);
      if (!filled.ok()) return filled.status();
      if (!filled->empty()) {
        if (Status st = Send(*filled); !st.ok()) return st;
        if (outstanding_.size() >= options_.in_flight) {
          if (Status st = ReceiveOne(); !st.ok()) return st;
        }
        continue;
      }
      if (packer_->done() && outstanding_.empty()) return Status::Ok();
      if (outstanding_.empty()) {
        // Every buffer was sent and every put answered: the guest kept buffers it was
        // given without releasing them.
        return GuestMisbehaved(
            "inject: the guest released no buffer; nothing is left to send into");
      }
      if (Status st = ReceiveOne(); !st.ok()) return st;
    }
  }

  ControlClient& control_;
  TransferOptions options_;
  std::unique_ptr<LaneMemory> memory_;
  bool shm_ = true;
  ProgressDeadline progress_;
  std::unique_ptr<LanePacker> packer_;
  uint64_t id_ = 0;
  std::deque<uint64_t> outstanding_;
  TransferResult result_;
};

}  // namespace

TransferChannel ChannelOf(Appliance& appliance) {
  return TransferChannel{&appliance.control(), appliance.shm(), appliance.hello().shm_size};
}

Result<ShmLayout> CheckedShmLayout(Appliance& appliance) {
  return CheckedShmLayout(ChannelOf(appliance));
}

Result<ShmLayout> CheckedShmLayout(const TransferChannel& channel) {
  ShmRegion* shm = channel.shm;
  if (shm == nullptr || channel.hello_shm_size == 0) {
    return Status(Code::kUnavailable, "the appliance has no shared-memory region");
  }
  auto mine = ComputeShmLayout(shm->size());
  if (!mine) return Status(Code::kProtocolError, "shared-memory region has no valid layout");
  ShmLayout theirs;
  // Copy before comparing: the guest can change the header at any moment.
  std::memcpy(&theirs, shm->data() + offsetof(ShmHeader, layout), sizeof theirs);
  if (!(theirs == *mine)) {
    return Status(Code::kProtocolError, "the guest stamped a different shared-memory layout");
  }
  return *mine;
}

Result<TransferResult> ExtractTree(const TransferChannel& channel,
                                   const std::vector<std::string>& guest_paths, TreeSink* sink,
                                   const TransferOptions& options) {
  Extractor extractor(channel, sink, options);
  return extractor.Run(guest_paths);
}

Result<TransferResult> ExtractTree(Appliance& appliance, const std::vector<std::string>& guest_paths,
                                   TreeSink* sink, const TransferOptions& options) {
  return ExtractTree(ChannelOf(appliance), guest_paths, sink, options);
}

Result<TransferResult> InjectTree(const TransferChannel& channel, TreeSource* source,
                                  const std::string& guest_root, const TransferOptions& options) {
  Injector injector(channel, source, options);
  return injector.Run(guest_root);
}

Result<TransferResult> InjectTree(Appliance& appliance, TreeSource* source,
                                  const std::string& guest_root, const TransferOptions& options) {
  return InjectTree(ChannelOf(appliance), source, guest_root, options);
}

}  // namespace diskferry
