// SizeCheckingSink: passes a tree on to another TreeSink after checking the size each
// record announces against a cap. A sparse file's holes are never sent, but tar, hashing
// and cat turn them into zeros on the host, so an announced size is host work without
// matching data (docs/security.md, "Progress deadline"). ExtractTree puts it first in
// every chain (appliance/transfer.cc); the writer fuzz target does the same.
//
// Thread-compatible, like the sink it wraps.
#ifndef DISKFERRY_PROTOCOL_SIZE_CHECKING_SINK_H_
#define DISKFERRY_PROTOCOL_SIZE_CHECKING_SINK_H_

#include <cstdint>
#include <span>
#include <string>

#include "protocol/printable_text.h"
#include "protocol/status.h"
#include "protocol/tree_io.h"

namespace diskferry {

// The default cap (TransferOptions::max_file_size): 16 TiB, the largest file ext4 holds
// with 4 KiB blocks.
inline constexpr uint64_t kDefaultMaxFileSize = uint64_t{1} << 44;

class SizeCheckingSink final : public TreeSink {
 public:
  SizeCheckingSink(TreeSink* sink, uint64_t max_file_size)
      : sink_(sink), max_file_size_(max_file_size) {}

  // A larger announced size is GuestMisbehaved("PATH: announced as N bytes, more than the
  // MAX a file may have"); nothing reaches `sink` for it.
  Status OnRecord(const Record& record) override {
    if (record.meta.size > max_file_size_) {
      return GuestMisbehaved(PrintableText(record.path) + ": announced as " +
                             std::to_string(record.meta.size) + " bytes, more than the " +
                             std::to_string(max_file_size_) + " a file may have");
    }
    inline_bytes_ += record.data.size();
    return sink_->OnRecord(record);
  }
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override {
    return sink_->OnStreamData(file_id, offset, data);
  }
  Status OnStreamEnd(uint64_t file_id) override { return sink_->OnStreamEnd(file_id); }
  Status Finish() override { return sink_->Finish(); }

  // File bytes that came inline in batch records (small files); stream bytes are the
  // caller's to count.
  uint64_t inline_bytes() const { return inline_bytes_; }

 private:
  uint64_t inline_bytes_ = 0;
  TreeSink* sink_;
  uint64_t max_file_size_;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_SIZE_CHECKING_SINK_H_
