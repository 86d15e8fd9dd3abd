#include "runner/upload_source.h"

#include <utility>

#include "host/file_mode.h"
#include "protocol/source_file.h"

namespace diskferry {

UploadSource::UploadSource(TreeSource* inner, std::string old_name, std::string new_name,
                           const UploadOverrides& overrides)
    : inner_(inner),
      old_name_(std::move(old_name)),
      new_name_(std::move(new_name)),
      overrides_(overrides) {}

std::optional<std::string> UploadSource::Rename(const std::string& path) const {
  if (path == old_name_) return new_name_;
  if (path.size() <= old_name_.size() + 1 || path.compare(0, old_name_.size(), old_name_) != 0 ||
      path[old_name_.size()] != '/') {
    return std::nullopt;
  }
  const std::string rest = path.substr(old_name_.size() + 1);
  return new_name_.empty() ? rest : new_name_ + "/" + rest;
}

void UploadSource::ApplyOverrides(SourceEntry* entry) const {
  RecordMeta& meta = entry->meta;
  if (meta.type == RecordType::kError) return;
  const bool regular = meta.type == RecordType::kFile || meta.type == RecordType::kStreamFile;
  if (overrides_.mode && regular) {
    meta.mode = ModeType(meta.mode) | (*overrides_.mode & kModePermissionMask);
  }
  if (overrides_.uid) meta.uid = *overrides_.uid;
  if (overrides_.gid) meta.gid = *overrides_.gid;
}

Result<std::optional<SourceEntry>> UploadSource::Next() {
  for (;;) {
    Result<std::optional<SourceEntry>> next = inner_->Next();
    if (!next.ok() || !next->has_value()) return next;
    SourceEntry& entry = **next;
    std::optional<std::string> path = Rename(entry.path);
    if (!path) {
      CloseSourceFd(&entry.fd);  // the entry owns it and is dropped here
      return Status(Code::kInternal, "upload: entry " + entry.path + " is not under " + old_name_);
    }
    // The top entry itself when it becomes the root: the root is already there.
    if (path->empty()) {
      CloseSourceFd(&entry.fd);
      continue;
    }
    entry.path = std::move(*path);
    if (entry.meta.type == RecordType::kHardlink) {
      std::optional<std::string> target = Rename(entry.target);
      if (target && !target->empty()) entry.target = std::move(*target);
    }
    ApplyOverrides(&entry);
    return next;
  }
}

}  // namespace diskferry
