#include "protocol/lane_packer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <string>

#include "protocol/check.h"
#include "protocol/source_file.h"

namespace diskferry {
namespace {

// Stream files announced but not yet fully sent, each holding an open fd. A batch stops
// taking kStreamFile records past this, so a slot full of big-file records cannot exhaust
// the descriptor table (the guest's PID 1 runs with the kernel's default of 1024).
constexpr size_t kMaxQueuedStreams = 32;
// An error message is cut to this many bytes when the whole record would not fit a slot.
constexpr size_t kMinErrorMessage = 64;

struct StreamJob {
  uint64_t file_id = 0;
  int fd = -1;
  uint64_t size = 0;    // announced in the kStreamFile record: never send past it
  uint64_t offset = 0;  // next byte to look at
  std::string path;     // for the error record if reading fails midway
};

struct Chunk {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool eof = false;
  int err = 0;  // a read failed: the stream ends here and an error record follows
};

enum class Placement {
  kPlaced,     // the entry (or an error record standing for it) is in the slot
  kSlotFull,   // retry in the next slot
  kQueueFull,  // too many streams in flight: retry once some have been sent
};

SourceEntry ErrorEntry(std::string path, int err, std::string message) {
  SourceEntry e;
  e.meta.type = RecordType::kError;
  e.meta.errno_value = err;
  e.path = std::move(path);
  e.target = std::move(message);
  return e;
}

std::string ErrnoMessage(const std::string& path, int err) {
  return path + ": " + std::strerror(err);
}

// The next run of data of `job` that fits `buf`: one contiguous range, ending at a hole,
// at the announced size, at the buffer's end or at EOF (a file that shrank).
Chunk ReadChunk(StreamJob* job, std::span<uint8_t> buf) {
  Chunk c;
  c.offset = NextSourceData(job->fd, job->offset, job->size);
  if (c.offset >= job->size) {
    c.eof = true;
    return c;
  }
  const uint64_t end = std::min({NextSourceHole(job->fd, c.offset, job->size), job->size,
                                 c.offset + static_cast<uint64_t>(buf.size())});
  const int64_t n = ReadSourceAt(job->fd, c.offset, buf.data(), end - c.offset);
  if (n < 0) {
    c.err = static_cast<int>(-n);
    c.eof = true;
    return c;
  }
  c.length = static_cast<uint64_t>(n);
  job->offset = c.offset + c.length;
  // A short read is EOF (the file shrank); an empty range means the extents changed under
  // us. Either way nothing more can be sent.
  c.eof = c.length < end - c.offset || c.length == 0 ||
          NextSourceData(job->fd, job->offset, job->size) >= job->size;
  return c;
}

}  // namespace

struct LanePacker::Impl {
  TreeSource* source;
  LaneMemory* memory;
  uint64_t threshold;
  std::vector<bool> batch_busy;
  std::vector<bool> stream_busy;
  std::optional<SourceEntry> pending;  // did not fit the last slot
  std::deque<SourceEntry> late_errors;  // stream files whose reading failed midway
  std::deque<StreamJob> streams;        // announced, in announcement order
  bool source_done = false;
  uint64_t next_file_id = 1;
  PackerStats stats;
  std::vector<uint8_t> scratch;

  ~Impl();
  Result<std::optional<SourceEntry>> NextEntry();
  Result<std::optional<BufferDesc>> FillBatch();
  Result<Placement> Place(SourceEntry* entry, RecordWriter* w);
  Result<Placement> PlaceInline(SourceEntry* entry, RecordWriter* w);
  Result<Placement> PlaceStream(SourceEntry* entry, RecordWriter* w);
  Result<Placement> PlaceOther(SourceEntry* entry, RecordWriter* w);
  Result<Placement> PlaceError(SourceEntry error, SourceEntry* entry, RecordWriter* w);
  BufferDesc FillStream(uint32_t index);
};

LanePacker::Impl::~Impl() {
  if (pending) CloseSourceFd(&pending->fd);
  for (StreamJob& job : streams) CloseSourceFd(&job.fd);
}

Result<std::optional<SourceEntry>> LanePacker::Impl::NextEntry() {
  std::optional<SourceEntry> entry;
  if (pending) {
    entry.swap(pending);
  } else if (!late_errors.empty()) {
    entry = std::move(late_errors.front());
    late_errors.pop_front();
  } else if (!source_done) {
    Result<std::optional<SourceEntry>> next = source->Next();
    if (!next.ok()) return next.status();
    entry = std::move(next).value();
    source_done = !entry.has_value();
  }
  return entry;
}

Result<std::optional<BufferDesc>> LanePacker::Impl::FillBatch() {
  const auto free = std::find(batch_busy.begin(), batch_busy.end(), false);
  if (free == batch_busy.end()) return std::optional<BufferDesc>();
  const auto index = static_cast<uint32_t>(free - batch_busy.begin());
  RecordWriter writer(memory->Buffer(proto::Lane::Batch, index));
  for (;;) {
    Result<std::optional<SourceEntry>> entry = NextEntry();
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) break;
    Result<Placement> placed = Place(&**entry, &writer);
    if (!placed.ok()) return placed.status();
    if (*placed != Placement::kPlaced) {
      pending = std::move(*entry);
      break;
    }
  }
  if (writer.count() == 0) return std::optional<BufferDesc>();
  *free = true;
  BufferDesc desc;
  desc.lane = proto::Lane::Batch;
  desc.index = index;
  desc.length = writer.used();
  desc.records = writer.count();
  return std::optional<BufferDesc>(desc);
}

Result<Placement> LanePacker::Impl::Place(SourceEntry* entry, RecordWriter* w) {
  if (entry->meta.type != RecordType::kFile) return PlaceOther(entry, w);
  if (entry->fd < 0) {
    // A source bug, not the image's doing; the transfer goes on without the file.
    return PlaceError(ErrorEntry(entry->path, EBADF, entry->path + ": no open file"), entry, w);
  }
  if (entry->meta.size > threshold) return PlaceStream(entry, w);
  const std::optional<uint64_t> size =
      RecordSize(entry->path.size(), 0, entry->xattrs.size(), entry->meta.size);
  // A record larger than a whole slot can never be batched: its bytes go by stream instead.
  if (!size || *size > memory->Capacity(proto::Lane::Batch)) return PlaceStream(entry, w);
  return PlaceInline(entry, w);
}

Result<Placement> LanePacker::Impl::PlaceInline(SourceEntry* entry, RecordWriter* w) {
  const uint64_t size = entry->meta.size;
  if (!w->Fits(entry->path.size(), 0, entry->xattrs.size(), size)) return Placement::kSlotFull;
  scratch.resize(size);
  const int64_t n = ReadSourceAt(entry->fd, 0, scratch.data(), size);
  CloseSourceFd(&entry->fd);
  if (n < 0) {
    const int err = static_cast<int>(-n);
    return PlaceError(ErrorEntry(entry->path, err, ErrnoMessage(entry->path, err)), entry, w);
  }
  if (static_cast<uint64_t>(n) != size) {
    std::string message = entry->path + ": file shrank from " + std::to_string(size) + " to " +
                          std::to_string(n) + " bytes while being read";
    return PlaceError(ErrorEntry(entry->path, EIO, std::move(message)), entry, w);
  }
  const bool appended = w->Append(entry->meta, entry->path, "", entry->xattrs, scratch);
  DF_CHECK(appended);  // Fits() said so above
  ++stats.files;
  stats.bytes += size;
  return Placement::kPlaced;
}

Result<Placement> LanePacker::Impl::PlaceStream(SourceEntry* entry, RecordWriter* w) {
  if (streams.size() >= kMaxQueuedStreams) return Placement::kQueueFull;
  RecordMeta meta = entry->meta;
  meta.type = RecordType::kStreamFile;
  meta.file_id = next_file_id;
  if (!w->Append(meta, entry->path, "", entry->xattrs, {})) {
    if (w->count() > 0) return Placement::kSlotFull;
    CloseSourceFd(&entry->fd);
    return PlaceError(ErrorEntry(entry->path, E2BIG,
                                 entry->path + ": name and xattrs do not fit a batch slot"),
                      entry, w);
  }
  ++next_file_id;
  ++stats.files;
  streams.push_back(StreamJob{meta.file_id, entry->fd, meta.size, 0, entry->path});
  entry->fd = -1;
  return Placement::kPlaced;
}

Result<Placement> LanePacker::Impl::PlaceOther(SourceEntry* entry, RecordWriter* w) {
  if (w->Append(entry->meta, entry->path, entry->target, entry->xattrs, {})) {
    if (entry->meta.type != RecordType::kError) ++stats.files;
    return Placement::kPlaced;
  }
  if (w->count() > 0) return Placement::kSlotFull;
  // Alone in an empty slot and still too big: it never will fit.
  if (entry->meta.type == RecordType::kError) return PlaceError(std::move(*entry), entry, w);
  return PlaceError(
      ErrorEntry(entry->path, E2BIG, entry->path + ": record does not fit a batch slot"), entry,
      w);
}

// `error` stands for `*entry`. When it does not fit a slot that already holds records it
// replaces *entry and waits for the next slot; alone in a slot its message is cut. Fails
// only when a slot cannot hold even a header and the path: a size no caller should choose.
Result<Placement> LanePacker::Impl::PlaceError(SourceEntry error, SourceEntry* entry,
                                               RecordWriter* w) {
  if (w->Append(error.meta, error.path, error.target, {}, {})) return Placement::kPlaced;
  if (w->count() > 0) {
    *entry = std::move(error);
    return Placement::kSlotFull;
  }
  const std::string_view cut = std::string_view(error.target).substr(0, kMinErrorMessage);
  if (w->Append(error.meta, error.path, cut, {}, {})) return Placement::kPlaced;
  return Status(Code::kInvalidArgument,
                "batch slot of " + std::to_string(memory->Capacity(proto::Lane::Batch)) +
                    " bytes cannot hold a record for " + error.path);
}

BufferDesc LanePacker::Impl::FillStream(uint32_t index) {
  StreamJob& job = streams.front();
  const Chunk c = ReadChunk(&job, memory->Buffer(proto::Lane::Stream, index));
  stream_busy[index] = true;
  stats.bytes += c.length;
  BufferDesc desc;
  desc.lane = proto::Lane::Stream;
  desc.index = index;
  desc.length = c.length;
  desc.file_id = job.file_id;
  desc.offset = c.offset;
  desc.eof = c.eof;
  if (c.err != 0) late_errors.push_back(ErrorEntry(job.path, c.err, ErrnoMessage(job.path, c.err)));
  if (c.eof) {
    CloseSourceFd(&job.fd);
    streams.pop_front();
  }
  return desc;
}

LanePacker::LanePacker(TreeSource* source, LaneMemory* memory, uint64_t stream_threshold)
    : impl_(std::make_unique<Impl>()) {
  DF_CHECK(memory->Count(proto::Lane::Batch) > 0 && memory->Count(proto::Lane::Stream) > 0);
  DF_CHECK(memory->Capacity(proto::Lane::Stream) > 0);
  impl_->source = source;
  impl_->memory = memory;
  impl_->threshold = stream_threshold;
  impl_->batch_busy.assign(memory->Count(proto::Lane::Batch), false);
  impl_->stream_busy.assign(memory->Count(proto::Lane::Stream), false);
}

LanePacker::~LanePacker() = default;

Result<std::vector<BufferDesc>> LanePacker::Fill(uint32_t max_stream) {
  std::vector<BufferDesc> filled;
  Result<std::optional<BufferDesc>> batch = impl_->FillBatch();
  if (!batch.ok()) return batch.status();
  if (batch->has_value()) filled.push_back(**batch);
  // Streams announced by the batch above may start at once: it is applied first.
  for (uint32_t n = 0; n < max_stream && !impl_->streams.empty(); ++n) {
    auto& busy = impl_->stream_busy;
    const auto free = std::find(busy.begin(), busy.end(), false);
    if (free == busy.end()) break;
    filled.push_back(impl_->FillStream(static_cast<uint32_t>(free - busy.begin())));
  }
  return filled;
}

Status LanePacker::Release(proto::Lane lane, uint32_t index) {
  const bool batch = lane == proto::Lane::Batch;
  if (!batch && lane != proto::Lane::Stream) {
    return Status(Code::kProtocolError,
                  "release of a buffer in unknown lane " +
                      std::to_string(static_cast<unsigned>(lane)));
  }
  std::vector<bool>& busy = batch ? impl_->batch_busy : impl_->stream_busy;
  const std::string name = std::string(batch ? "batch" : "stream") + " buffer " +
                           std::to_string(index);
  if (index >= busy.size()) {
    return Status(Code::kProtocolError, "release of " + name + ": the lane has " +
                                            std::to_string(busy.size()) + " buffers");
  }
  if (!busy[index]) return Status(Code::kProtocolError, "release of " + name + ": not in use");
  busy[index] = false;
  return Status::Ok();
}

bool LanePacker::done() const {
  return impl_->source_done && !impl_->pending && impl_->late_errors.empty() &&
         impl_->streams.empty();
}

const PackerStats& LanePacker::stats() const { return impl_->stats; }

}  // namespace diskferry
