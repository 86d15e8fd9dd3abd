// FileRecord: what a run reports about one entry of a transferred tree (HashingSink makes
// them, RunReport writes and reads them back, WriteSha256Sums lists their sha256).
// Thread-compatible: a plain value.
#ifndef DISKFERRY_SINKS_FILE_RECORD_H_
#define DISKFERRY_SINKS_FILE_RECORD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "protocol/lane_records.h"

namespace diskferry {

inline constexpr std::string_view kStatusOk = "ok";

struct FileRecord {
  std::string path;  // relative to the transfer root, no leading '/'; raw bytes
  std::string type;  // FileTypeName(): "file", "dir", "symlink", "hardlink", "special", "error"
  uint64_t size = 0;
  uint32_t mode = 0;  // st_mode, file type bits included
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_ns = 0;
  // Forensic metadata (DFXML, body files); 0 = unknown (an older report, or a filesystem
  // that keeps no creation time).
  uint64_t ino = 0;
  uint32_t nlink = 0;
  int64_t atime_ns = 0;
  int64_t ctime_ns = 0;
  int64_t crtime_ns = 0;
  std::string target;  // symlink target, or a hard link's earlier path; raw bytes
  std::map<std::string, std::string> hashes;    // "sha256" -> lowercase hex digest
  std::string status = std::string(kStatusOk);  // "ok", or what went wrong with this entry
  bool deleted = false;  // a deleted file recovered by `recover: deleted` (JSON only when set)

  bool operator==(const FileRecord&) const = default;
};

// Called once per completed entry.
using FileRecordCallback = std::function<void(const FileRecord&)>;

// The report's name for a record type: kFile and kStreamFile are both "file".
inline std::string_view FileTypeName(RecordType type) {
  switch (type) {
    case RecordType::kFile:
    case RecordType::kStreamFile:
      return "file";
    case RecordType::kDirectory:
      return "dir";
    case RecordType::kSymlink:
      return "symlink";
    case RecordType::kHardlink:
      return "hardlink";
    case RecordType::kSpecial:
      return "special";
    case RecordType::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_FILE_RECORD_H_
