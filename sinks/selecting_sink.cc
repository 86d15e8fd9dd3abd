#include "sinks/selecting_sink.h"

#include <utility>

namespace diskferry {

SelectingSink::SelectingSink(TreeSink* inner, SelectPredicate predicate, SelectOptions options)
    : inner_(inner),
      predicate_(std::move(predicate)),
      options_(options),
      held_("dropped directories and linked paths", options.held) {}

Status SelectingSink::OnRecord(const Record& record) {
  if (!predicate_(record.path, record.meta)) return Drop(record);
  if (record.meta.type == RecordType::kHardlink && LinksToDropped(record)) return Status::Ok();
  if (options_.ancestors && !dropped_dirs_.empty()) {
    if (Status st = ForwardAncestors(record.path); !st.ok()) return st;
  }
  ++stats_.forwarded;
  return inner_->OnRecord(record);
}

Status SelectingSink::OnStreamData(uint64_t file_id, uint64_t offset,
                                   std::span<const uint8_t> data) {
  if (dropped_streams_.contains(file_id)) return Status::Ok();
  return inner_->OnStreamData(file_id, offset, data);
}

Status SelectingSink::OnStreamEnd(uint64_t file_id) {
  if (dropped_streams_.erase(file_id) > 0) {
    held_.Give(0);
    return Status::Ok();
  }
  return inner_->OnStreamEnd(file_id);
}

Status SelectingSink::Finish() { return inner_->Finish(); }

Status SelectingSink::Drop(const Record& record) {
  ++stats_.dropped;
  const RecordType type = record.meta.type;
  if (type == RecordType::kFile || type == RecordType::kStreamFile) {
    stats_.dropped_bytes += record.meta.size;
  }
  if (type == RecordType::kStreamFile && !dropped_streams_.contains(record.meta.file_id)) {
    if (Status st = held_.Take(0); !st.ok()) return st;
    dropped_streams_.insert(record.meta.file_id);
  }
  std::string path(record.path);
  if (type == RecordType::kDirectory && options_.ancestors && !dropped_dirs_.contains(path)) {
    if (Status st = held_.Take(path.size() + record.xattrs.size()); !st.ok()) return st;
    dropped_dirs_.emplace(path,
                          DroppedDir{record.meta, {record.xattrs.begin(), record.xattrs.end()}});
  }
  const bool may_be_linked = type != RecordType::kDirectory && type != RecordType::kHardlink &&
                             type != RecordType::kError && record.meta.nlink > 1;
  if (may_be_linked && !dropped_linked_.contains(path)) {
    if (Status st = held_.Take(path.size()); !st.ok()) return st;
    dropped_linked_.insert(std::move(path));
  }
  return Status::Ok();
}

bool SelectingSink::LinksToDropped(const Record& record) {
  if (!dropped_linked_.contains(std::string(record.target))) return false;
  ++stats_.dropped;
  problems_.Add({std::string(record.path), "not written: hard link to " +
                                               std::string(record.target) +
                                               ", which the selection left out"});
  return true;
}

// Parents come before children in a walk, so a dropped ancestor is already known here;
// passing each on at most once (it leaves dropped_dirs_) keeps them in walk order.
Status SelectingSink::ForwardAncestors(std::string_view path) {
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    auto it = dropped_dirs_.find(std::string(path.substr(0, slash)));
    if (it == dropped_dirs_.end()) continue;
    Record parent;
    parent.meta = it->second.meta;
    parent.path = it->first;
    parent.xattrs = it->second.xattrs;
    if (Status st = inner_->OnRecord(parent); !st.ok()) return st;
    ++stats_.ancestors;
    held_.Give(it->first.size() + it->second.xattrs.size());
    dropped_dirs_.erase(it);
  }
  return Status::Ok();
}

}  // namespace diskferry
