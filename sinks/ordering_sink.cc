#include "sinks/ordering_sink.h"

#include <utility>

#include "protocol/printable_text.h"

namespace diskferry {

OrderingSink::OrderingSink(WalkRange range, ReleaseCallback on_release, HeldLimits held)
    : range_(std::move(range)),
      on_release_(std::move(on_release)),
      held_("entries waiting for an earlier stream file to end", held) {}

void OrderingSink::Push(Entry entry) {
  entry.in_range = InWalkRange(range_, entry.path);
  pending_.push_back(std::move(entry));
}

Status OrderingSink::Hold(std::string_view path) {
  std::string key(path);
  if (pending_paths_.contains(key)) {
    return GuestMisbehaved("entry " + QuotedText(path) + " sent twice");
  }
  if (Status st = held_.Take(key.size()); !st.ok()) return st;
  pending_paths_.insert(key);
  Entry entry{std::move(key), true, false, 0, {}};
  entry.held = true;
  Push(std::move(entry));
  return Status::Ok();
}

Status OrderingSink::OnRecord(const Record& record) {
  const uint64_t seq = first_seq_ + pending_.size();
  if (Status st = Hold(record.path); !st.ok()) return st;
  if (record.meta.type == RecordType::kStreamFile) streams_[record.meta.file_id] = seq;
  completing_ = static_cast<int64_t>(seq);
  Status st = inner_ ? inner_->OnRecord(record) : Status::Ok();
  completing_ = -1;
  // Without an inner sink an entry is complete at once, a stream file at its end.
  if (!inner_ && record.meta.type != RecordType::kStreamFile) pending_.back().done = true;
  if (!st.ok()) return st;
  Release();
  return Status::Ok();
}

Status OrderingSink::OnStreamData(uint64_t file_id, uint64_t offset,
                                  std::span<const uint8_t> data) {
  if (auto it = streams_.find(file_id); it != streams_.end() && it->second >= first_seq_) {
    pending_[it->second - first_seq_].streamed += data.size();
  }
  if (on_stream_data_) on_stream_data_(data.size());
  return inner_ ? inner_->OnStreamData(file_id, offset, data) : Status::Ok();
}

Status OrderingSink::OnStreamEnd(uint64_t file_id) {
  auto it = streams_.find(file_id);
  if (it != streams_.end()) completing_ = static_cast<int64_t>(it->second);
  Status st = inner_ ? inner_->OnStreamEnd(file_id) : Status::Ok();
  if (!inner_ && it != streams_.end() && it->second >= first_seq_) {
    pending_[it->second - first_seq_].done = true;
  }
  completing_ = -1;
  if (it != streams_.end()) streams_.erase(it);
  if (!st.ok()) return st;
  Release();
  return Status::Ok();
}

Status OrderingSink::Finish() {
  if (inner_) {
    if (Status st = inner_->Finish(); !st.ok()) return st;
  }
  Release();
  if (!pending_.empty()) {
    return Status(Code::kProtocolError, "transfer ended with " + std::to_string(pending_.size()) +
                                            " entries unfinished, the first " +
                                            pending_.front().path);
  }
  return Status::Ok();
}

// The entry a completion belongs to: the one inside the current call, else (a record the
// inner sink produced on its own) the oldest unfinished entry of that path.
OrderingSink::Entry* OrderingSink::Completing(const FileRecord& record) {
  if (completing_ >= 0 && static_cast<uint64_t>(completing_) >= first_seq_) {
    const uint64_t index = static_cast<uint64_t>(completing_) - first_seq_;
    if (index < pending_.size()) return &pending_[index];
  }
  for (Entry& e : pending_) {
    if (!e.done && e.path == record.path) return &e;
  }
  return nullptr;
}

void OrderingSink::Complete(const FileRecord& record) {
  Entry* entry = Completing(record);
  if (entry == nullptr) {
    // Nothing pending claims it: it is complete and, being last, in order.
    Push(Entry{record.path, true, true, 0, {record}});
    return;
  }
  entry->done = true;
  entry->records.push_back(record);
}

void OrderingSink::AddCompleted(FileRecord record) {
  std::string path = record.path;
  Push(Entry{std::move(path), true, true, 0, {std::move(record)}});
  Release();
}

void OrderingSink::Release() {
  while (!pending_.empty() && pending_.front().done) {
    Entry& e = pending_.front();
    if (e.in_range) {
      for (const FileRecord& r : e.records) on_release_(r, e.streamed);
    }
    if (e.held) {
      held_.Give(e.path.size());
      pending_paths_.erase(e.path);
    }
    if (e.in_range) last_released_ = std::move(e.path);
    pending_.pop_front();
    ++first_seq_;
  }
}

}  // namespace diskferry
