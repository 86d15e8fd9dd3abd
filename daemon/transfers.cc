#include "daemon/transfers.h"

#include <cerrno>

#include "daemon/deleted_files.h"
#include "daemon/guest_tree_reader.h"
#include "protocol/check.h"
#include "protocol/lane_packer.h"
#include "protocol/lane_unpacker.h"

namespace diskferry::daemon {
namespace {

int ErrnoFor(const Status& st) {
  switch (st.code()) {
    case Code::kProtocolError:
      return EPROTO;
    case Code::kInvalidArgument:
      return EINVAL;
    case Code::kNotFound:
      return ENOENT;
    default:
      return EIO;
  }
}

}  // namespace

struct Transfers::Extract {
  // Declared in dependency order: the packer, destroyed first, uses the other two.
  std::unique_ptr<TreeSource> reader;
  std::unique_ptr<LaneMemory> heap;  // socket lane only
  LaneMemory* memory = nullptr;      // heap or the shm lanes
  std::unique_ptr<LanePacker> packer;
  bool socket = false;
  // Socket-lane buffers in the last reply: their bytes were copied into it, so they are
  // released before the next fill (the host never releases them).
  std::vector<BufferDesc> in_reply;
};

struct Transfers::Inject {
  std::unique_ptr<GuestTreeWriter> writer;
  std::unique_ptr<LaneUnpacker> unpacker;
};

Transfers::Transfers(const DaemonContext& ctx) : ctx_(ctx) {}

// Made at first use: a restored appliance attaches its region at Hello (daemon_context.h).
LaneMemory* Transfers::ShmLanes() {
  if (shm_ == nullptr && ctx_.shm_base != nullptr && ctx_.shm_layout) {
    shm_ = std::make_unique<ShmLaneMemory>(ctx_.shm_base, *ctx_.shm_layout);
  }
  return shm_.get();
}

Transfers::~Transfers() = default;

OpResult<bool> Transfers::CheckIdle() const {
  if (state_ == State::kIdle) return true;
  return OpError{EBUSY, "transfer " + std::to_string(id_) +
                            " is still active: one transfer at a time (end it first)"};
}

OpResult<bool> Transfers::Check(uint64_t id, State wanted) const {
  const std::string name = "transfer " + std::to_string(id);
  if (state_ == State::kIdle || id != id_) return OpError{ENOENT, name + ": no such transfer"};
  if (wanted != state_) {
    return OpError{EINVAL, name + (state_ == State::kExtracting ? " is an extraction"
                                                                 : " is an injection")};
  }
  return true;
}

void Transfers::Reset() {
  extract_.reset();
  inject_.reset();
  state_ = State::kIdle;
}

OpError Transfers::Abort(OpError error) {
  // kExtracting/kInjecting --failure--> kIdle
  Reset();
  return error;
}

OpResult<uint64_t> Transfers::StartExtract(ExtractParams params) {
  if (OpResult<bool> idle = CheckIdle(); !idle.ok()) return idle.error();
  auto x = std::make_unique<Extract>();
  if (params.recover_deleted) {
    OpResult<std::string> device = MountedDevice("/proc/self/mountinfo", ctx_.sysroot);
    if (!device.ok()) return device.error();
    OpResult<std::unique_ptr<DeletedFilesReader>> reader = DeletedFilesReader::Create(*device);
    if (!reader.ok()) return reader.error();
    x->reader = std::move(reader).value();
  } else {
    OpResult<PathSelector> select = CheckSelection(params.include, params.exclude);
    if (!select.ok()) return select.error();
    OpResult<std::unique_ptr<GuestTreeReader>> reader =
        GuestTreeReader::Create(ctx_.sysroot, std::move(params.paths), params.xattrs,
                                std::move(params.range), std::move(select).value());
    if (!reader.ok()) return reader.error();
    x->reader = std::move(reader).value();
  }
  x->socket = !params.use_shm || ShmLanes() == nullptr;
  if (x->socket) {
    x->heap = std::make_unique<HeapLaneMemory>(kSocketBatchBuffers, kSocketBatchSize,
                                               kSocketStreamBuffers, kSocketChunkSize);
  }
  x->memory = x->socket ? x->heap.get() : ShmLanes();
  x->packer = std::make_unique<LanePacker>(x->reader.get(), x->memory, params.stream_threshold);
  extract_ = std::move(x);
  // kIdle --StartExtract--> kExtracting
  state_ = State::kExtracting;
  id_ = ++last_id_;
  return id_;
}

OpResult<ExtractBatch> Transfers::ExtractNext(uint64_t id, std::span<const BufferRef> release) {
  if (OpResult<bool> ok = Check(id, State::kExtracting); !ok.ok()) return ok.error();
  Extract& x = *extract_;
  if (x.socket) {
    for (const BufferDesc& d : x.in_reply) {
      const Status released = x.packer->Release(d.lane, d.index);
      DF_CHECK(released.ok());  // filled by us and not released since
    }
    x.in_reply.clear();
  } else {
    for (const BufferRef& ref : release) {
      if (Status st = x.packer->Release(ref.lane, ref.index); !st.ok()) {
        return Abort(OpError{EPROTO, "transfer " + std::to_string(id) + ": " + st.message()});
      }
    }
  }
  return Fill();
}

OpResult<ExtractBatch> Transfers::Fill() {
  Extract& x = *extract_;
  Result<std::vector<BufferDesc>> filled =
      x.packer->Fill(x.socket ? kSocketStreamPerFill : kShmStreamPerFill);
  if (!filled.ok()) {
    return Abort(OpError{ErrnoFor(filled.status()), "extract: " + filled.status().message()});
  }
  ExtractBatch batch;
  batch.done = filled->empty() && x.packer->done();
  for (const BufferDesc& desc : filled.value()) {
    WireBuffer out{desc, {}};
    if (x.socket) {
      out.inline_data = x.memory->Buffer(desc.lane, desc.index).first(desc.length);
      out.desc.index = 0;
      x.in_reply.push_back(desc);
    }
    batch.buffers.push_back(out);
  }
  return batch;
}

OpResult<uint64_t> Transfers::StartInject(const InjectParams& params) {
  if (OpResult<bool> idle = CheckIdle(); !idle.ok()) return idle.error();
  OpResult<std::unique_ptr<GuestTreeWriter>> writer = GuestTreeWriter::Create(
      ctx_.sysroot, params.root, WriterOptions{params.xattrs, params.owners});
  if (!writer.ok()) return writer.error();
  auto in = std::make_unique<Inject>();
  in->writer = std::move(writer).value();
  LaneMemory* memory = params.use_shm ? ShmLanes() : nullptr;
  in->unpacker = std::make_unique<LaneUnpacker>(in->writer.get(), memory);
  inject_ = std::move(in);
  // kIdle --StartInject--> kInjecting
  state_ = State::kInjecting;
  id_ = ++last_id_;
  return id_;
}

OpResult<InjectProgress> Transfers::InjectPut(uint64_t id, std::span<const WireBuffer> buffers) {
  if (OpResult<bool> ok = Check(id, State::kInjecting); !ok.ok()) return ok.error();
  Inject& in = *inject_;
  InjectProgress progress;
  for (const WireBuffer& b : buffers) {
    if (Status st = in.unpacker->Apply(b.desc, b.inline_data); !st.ok()) {
      const int fatal = in.writer->fatal_errno();
      return Abort(OpError{fatal != 0 ? fatal : ErrnoFor(st), "inject: " + st.message()});
    }
    progress.release.push_back(BufferRef{b.desc.lane, b.desc.index});
  }
  progress.errors = in.writer->TakeErrors();
  return progress;
}

OpResult<TransferSummary> Transfers::End(uint64_t id) {
  if (state_ == State::kIdle || id != id_) {
    return OpError{ENOENT, "transfer " + std::to_string(id) + ": no such transfer"};
  }
  TransferSummary summary;
  if (state_ == State::kExtracting) {
    summary.files = extract_->packer->stats().files;
    summary.bytes = extract_->packer->stats().bytes;
  } else {
    Inject& in = *inject_;
    if (Status st = in.unpacker->Finish(); !st.ok()) {
      const int fatal = in.writer->fatal_errno();
      return Abort(OpError{fatal != 0 ? fatal : ErrnoFor(st), "inject: " + st.message()});
    }
    summary.files = in.writer->files();
    summary.bytes = in.writer->bytes();
    summary.errors = in.writer->TakeErrors();
  }
  // kExtracting/kInjecting --End--> kIdle
  Reset();
  return summary;
}

}  // namespace diskferry::daemon
