// The two ends of a tree transfer, independent of where the bytes travel:
//   TreeSource -> LanePacker -> lane buffers -> LaneUnpacker -> TreeSink
// Extraction: the guest walks (a TreeSource over the mounted filesystem) and the host
// writes (a TreeSink into DEST). Injection: the reverse. Records are those of
// protocol/lane_records.h; paths are relative to the transfer root.
//
// Implementations are used by one thread at a time.
#ifndef DISKFERRY_PROTOCOL_TREE_IO_H_
#define DISKFERRY_PROTOCOL_TREE_IO_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/lane_records.h"
#include "protocol/status.h"

namespace diskferry {

// One entry of a walk. Parents come before their children. For a regular file, `fd` is
// open for reading (owned by the entry: the consumer closes it) and meta.size is its size;
// kHardlink entries name an earlier path in `target`.
struct SourceEntry {
  RecordMeta meta;
  std::string path;
  std::string target;
  std::vector<uint8_t> xattrs;  // EncodeXattrs() blob, empty unless asked for
  int fd = -1;
};

class TreeSource {
 public:
  virtual ~TreeSource() = default;
  // The next entry, or nullopt after the last. A file that cannot be read is an entry of
  // type kError (errno_value, message in target), not a failure of the walk; a failure
  // here ends the transfer.
  virtual Result<std::optional<SourceEntry>> Next() = 0;
};

class TreeSink {
 public:
  virtual ~TreeSink() = default;
  // A record from a batch buffer. For kStreamFile, the file's bytes follow through
  // OnStreamData (any order of offsets, holes never sent) and then OnStreamEnd.
  virtual Status OnRecord(const Record& record) = 0;
  virtual Status OnStreamData(uint64_t file_id, uint64_t offset,
                              std::span<const uint8_t> data) = 0;
  virtual Status OnStreamEnd(uint64_t file_id) = 0;
  // After the last record: apply what had to wait (directory times), flush.
  virtual Status Finish() = 0;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_TREE_IO_H_
