// HashingSink: a TreeSink decorator that describes every entry of a transfer as a
// FileRecord (the run report's manifest) and hashes the logical content of each regular
// file on the way: inline bytes, or a stream file's chunks with the ranges never sent
// (holes) hashed as zeros, so the digests equal those of `sha256sum` on the extracted file.
// Every call is passed on to the inner sink first; its error is returned as is and the
// entry is not reported. With no inner sink (verify jobs) nothing is written anywhere.
//
// `on_record` is called once per entry when it is complete: at its record, or for a stream
// file at its OnStreamEnd -- so stream files may be reported after entries that followed
// them. Nothing is kept per entry once reported, so memory stays flat however large the
// tree (only stream files in flight have state).
//
// Per entry:
//   - type "file" for kFile and kStreamFile, with `hashes`; "dir", "symlink", "hardlink"
//     (target = the earlier path; its content is that entry's, not hashed again),
//     "special"; "error" for kError records, with status = the source's message.
//   - A stream file whose read failed midway ends early and a kError record for the same
//     path follows: the file is reported with the missing part hashed as zeros, then the
//     error; readers of the report should let the later record win.
//   - Stream data must come in increasing offsets per file (LanePacker's order) to be
//     hashed; a chunk behind the bytes already hashed makes the file's status
//     "not hashed: stream data out of order" and its hashes empty (not a failure).
//   - Whether the inner sink managed to write the entry is not known here (HostTreeWriter
//     reports that in its own report()).
//
// Failures: kInvalidArgument/kUnavailable from Create for unknown or unusable hash names;
// kProtocolError for a file_id announced again while in flight, for data past a stream
// file's announced size, for a stream never ended at Finish, and (when there is no inner
// sink to judge them) for stream calls naming an unknown or ended file_id; kInternal if
// the hashing library (digests.h) fails mid-hash.
//
// The inner sink is not owned and must outlive this one. Used by one thread at a time (the
// TreeSink contract); `on_record` runs on that thread.
#ifndef DISKFERRY_SINKS_HASHING_SINK_H_
#define DISKFERRY_SINKS_HASHING_SINK_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/status.h"
#include "protocol/tree_io.h"
#include "sinks/digests.h"
#include "sinks/file_record.h"
#include "sinks/held_budget.h"  // Misbehaved

namespace diskferry {

// What a job summary counts.
struct TreeCounts {
  uint64_t entries = 0;  // every record reported, errors included
  uint64_t files = 0;    // regular files (stream files included)
  uint64_t bytes = 0;    // their logical sizes
  uint64_t errors = 0;   // kError records
};

class HashingSink : public TreeSink {
 public:
  // Stream files hashed at once (a digest state each), as TarSink::kMaxPendingStreams; a
  // peer announcing more is refused with kProtocolError "the appliance misbehaved: ...".
  static constexpr size_t kMaxPendingStreams = 256;

  // `inner` may be null. `algorithms` are names for ParseDigestAlgorithms ("sha256", "sha1",
  // "md5"); empty: entries are described without hashes.
  static Result<std::unique_ptr<HashingSink>> Create(TreeSink* inner,
                                                     const std::vector<std::string>& algorithms,
                                                     FileRecordCallback on_record);

  Status OnRecord(const Record& record) override;
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override;
  Status OnStreamEnd(uint64_t file_id) override;
  Status Finish() override;

  const TreeCounts& counts() const { return counts_; }

 private:
  struct PendingStream {
    FileRecord record;
    MultiDigest digest;
    uint64_t hashed = 0;  // bytes [0, hashed) are in the digest
    bool out_of_order = false;
  };

  HashingSink(TreeSink* inner, std::vector<DigestAlgorithm> algorithms, FileRecordCallback cb);
  Status Report(FileRecord record);
  Status HashInline(const Record& record, FileRecord* out);
  Status BeginStream(const Record& record, FileRecord out);
  Status CheckStreamData(uint64_t file_id, uint64_t offset, size_t length, PendingStream** stream);

  TreeSink* inner_;
  std::vector<DigestAlgorithm> algorithms_;
  FileRecordCallback on_record_;
  std::unordered_map<uint64_t, PendingStream> streams_;
  TreeCounts counts_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HASHING_SINK_H_
