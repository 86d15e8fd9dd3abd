#include "sinks/hashing_sink.h"

#include <cstring>
#include <utility>

#include "protocol/printable_text.h"

namespace diskferry {
namespace {

FileRecord Describe(const Record& r) {
  FileRecord out;
  out.path = std::string(r.path);
  out.type = std::string(FileTypeName(r.meta.type));
  out.size = r.meta.size;
  out.mode = r.meta.mode;
  out.uid = r.meta.uid;
  out.gid = r.meta.gid;
  out.mtime_ns = r.meta.mtime_ns;
  out.ino = r.meta.ino;
  out.nlink = r.meta.nlink;
  out.atime_ns = r.meta.atime_ns;
  out.ctime_ns = r.meta.ctime_ns;
  if (r.meta.flags & kRecordHasCrtime) out.crtime_ns = r.meta.crtime_ns;
  if (r.meta.type == RecordType::kSymlink || r.meta.type == RecordType::kHardlink) {
    out.target = std::string(r.target);
  }
  if (r.meta.type == RecordType::kError) {
    out.status = r.target.empty() ? std::strerror(r.meta.errno_value) : std::string(r.target);
  }
  return out;
}

Status ProtocolError(std::string message) {
  return Status(Code::kProtocolError, std::move(message));
}

}  // namespace

Result<std::unique_ptr<HashingSink>> HashingSink::Create(TreeSink* inner,
                                                         const std::vector<std::string>& algorithms,
                                                         FileRecordCallback on_record) {
  Result<std::vector<DigestAlgorithm>> parsed = ParseDigestAlgorithms(algorithms);
  if (!parsed.ok()) return parsed.status();
  // Fails now, not at the first file, when the hashing library refuses one of them.
  Result<MultiDigest> probe = MultiDigest::Create(*parsed);
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<HashingSink>(
      new HashingSink(inner, std::move(*parsed), std::move(on_record)));
}

HashingSink::HashingSink(TreeSink* inner, std::vector<DigestAlgorithm> algorithms,
                         FileRecordCallback cb)
    : inner_(inner), algorithms_(std::move(algorithms)), on_record_(std::move(cb)) {}

Status HashingSink::OnRecord(const Record& record) {
  if (inner_ != nullptr) {
    if (Status st = inner_->OnRecord(record); !st.ok()) return st;
  }
  FileRecord out = Describe(record);
  switch (record.meta.type) {
    case RecordType::kStreamFile:
      return BeginStream(record, std::move(out));
    case RecordType::kFile:
      if (Status st = HashInline(record, &out); !st.ok()) return st;
      break;
    default:
      break;
  }
  return Report(std::move(out));
}

Status HashingSink::HashInline(const Record& record, FileRecord* out) {
  Result<MultiDigest> digest = MultiDigest::Create(algorithms_);
  if (!digest.ok()) return digest.status();
  digest->Update(record.data);
  out->size = record.data.size();
  Result<std::map<std::string, std::string>> hashes = digest->Final();
  if (!hashes.ok()) return hashes.status();
  out->hashes = std::move(*hashes);
  return Status::Ok();
}

Status HashingSink::BeginStream(const Record& record, FileRecord out) {
  const uint64_t id = record.meta.file_id;
  if (streams_.contains(id)) {
    return ProtocolError("stream file " + out.path + ": file_id " + std::to_string(id) +
                         " already in use");
  }
  if (streams_.size() >= kMaxPendingStreams) {
    return GuestMisbehaved("more than " + std::to_string(kMaxPendingStreams) +
                           " stream files announced before their data ended, at " +
                           QuotedText(out.path));
  }
  Result<MultiDigest> digest = MultiDigest::Create(algorithms_);
  if (!digest.ok()) return digest.status();
  streams_.emplace(id, PendingStream{std::move(out), std::move(*digest)});
  return Status::Ok();
}

Status HashingSink::OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) {
  if (inner_ != nullptr) {
    if (Status st = inner_->OnStreamData(file_id, offset, data); !st.ok()) return st;
  }
  PendingStream* stream = nullptr;
  if (Status st = CheckStreamData(file_id, offset, data.size(), &stream); !st.ok()) return st;
  if (stream == nullptr || stream->out_of_order) return Status::Ok();
  if (offset < stream->hashed) {
    stream->out_of_order = true;
    return Status::Ok();
  }
  stream->digest.UpdateZeros(offset - stream->hashed);  // a hole: never sent
  stream->digest.Update(data);
  stream->hashed = offset + data.size();
  return Status::Ok();
}

// With an inner sink, a stream call it accepted for a file_id unknown here is its business
// (it judged the call); without one, this sink is the judge.
Status HashingSink::CheckStreamData(uint64_t file_id, uint64_t offset, size_t length,
                                    PendingStream** stream) {
  auto it = streams_.find(file_id);
  if (it == streams_.end()) {
    if (inner_ != nullptr) return Status::Ok();
    return ProtocolError("stream data for unknown or ended file_id " + std::to_string(file_id));
  }
  const uint64_t size = it->second.record.size;
  if (offset > size || length > size - offset) {
    return ProtocolError("stream file " + it->second.record.path + ": " + std::to_string(length) +
                         " bytes at offset " + std::to_string(offset) + " past its size " +
                         std::to_string(size));
  }
  *stream = &it->second;
  return Status::Ok();
}

Status HashingSink::OnStreamEnd(uint64_t file_id) {
  if (inner_ != nullptr) {
    if (Status st = inner_->OnStreamEnd(file_id); !st.ok()) return st;
  }
  auto node = streams_.extract(file_id);
  if (node.empty()) {
    if (inner_ != nullptr) return Status::Ok();
    return ProtocolError("end of stream for unknown or ended file_id " + std::to_string(file_id));
  }
  PendingStream& stream = node.mapped();
  if (stream.out_of_order) {
    stream.record.status = "not hashed: stream data out of order";
    return Report(std::move(stream.record));
  }
  stream.digest.UpdateZeros(stream.record.size - stream.hashed);  // a trailing hole
  Result<std::map<std::string, std::string>> hashes = stream.digest.Final();
  if (!hashes.ok()) return hashes.status();
  stream.record.hashes = std::move(*hashes);
  return Report(std::move(stream.record));
}

Status HashingSink::Finish() {
  if (inner_ != nullptr) {
    if (Status st = inner_->Finish(); !st.ok()) return st;
  }
  if (!streams_.empty()) {
    return ProtocolError("stream file " + streams_.begin()->second.record.path + " never ended");
  }
  return Status::Ok();
}

Status HashingSink::Report(FileRecord record) {
  ++counts_.entries;
  if (record.type == "file") {
    ++counts_.files;
    counts_.bytes += record.size;
  }
  if (record.type == "error") ++counts_.errors;
  if (on_record_) on_record_(record);
  return Status::Ok();
}

}  // namespace diskferry
