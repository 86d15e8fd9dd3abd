// Records packed into batch-lane buffers: one per file, directory, symlink, hard link,
// special file or per-file error, each with its metadata and (for small files) its bytes.
// Both directions use the same format: the guest writes them when extracting, the host
// when injecting.
//
// Wire layout (little-endian, every record 8-byte aligned):
//   RecordHeader (112 bytes) | path | target | xattrs | data | zero padding to 8
// `path` is relative to the transfer root ("etc/hostname"); `target` is a symlink's target,
// a hard link's earlier path, or an error's message; `xattrs` is a sequence of
// {u32 name_len, u32 value_len, name, value}.
//
// The reader is the trust boundary for whatever the other side wrote: it works on bytes
// already copied out of shared memory, checks every length with overflow-safe arithmetic,
// and returns kProtocolError naming the record and the field that was wrong.
// Thread-compatible.
#ifndef DISKFERRY_PROTOCOL_LANE_RECORDS_H_
#define DISKFERRY_PROTOCOL_LANE_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

enum class RecordType : uint16_t {
  kFile = 1,        // regular file, bytes inline (data_len == size)
  kDirectory = 2,
  kSymlink = 3,     // target = link target
  kHardlink = 4,    // target = path of an earlier record of the same transfer
  kSpecial = 5,     // device, fifo or socket: mode and rdev say which
  kStreamFile = 6,  // regular file whose bytes follow on the stream lane as file_id
  kError = 7,       // the file at path could not be read: errno_value, target = message
};

// RecordMeta::flags bits. Any other bit set is a protocol error.
inline constexpr uint16_t kRecordHasCrtime = 1;  // crtime_ns is the file's creation time
inline constexpr uint16_t kRecordKnownFlags = kRecordHasCrtime;

struct RecordMeta {
  RecordType type = RecordType::kFile;
  uint16_t flags = 0;
  uint64_t file_id = 0;      // kStreamFile: the id its stream buffers carry
  int32_t errno_value = 0;   // kError
  uint32_t mode = 0, uid = 0, gid = 0, nlink = 0;
  uint64_t size = 0, ino = 0, rdev = 0;
  int64_t atime_ns = 0, mtime_ns = 0, ctime_ns = 0;
  int64_t crtime_ns = 0;  // creation (birth) time; meaningful only with kRecordHasCrtime
};

// A decoded record. The views alias the buffer given to RecordReader.
struct Record {
  RecordMeta meta;
  std::string_view path;
  std::string_view target;
  std::span<const uint8_t> xattrs;
  std::span<const uint8_t> data;
};

inline constexpr size_t kRecordHeaderSize = 112;
inline constexpr size_t kMaxRecordPath = 4096;

// Bytes a record with these field sizes occupies, or nullopt on overflow.
std::optional<uint64_t> RecordSize(uint64_t path_len, uint64_t target_len, uint64_t xattr_len,
                                   uint64_t data_len);

// Packs records into a caller-owned buffer (a shm slot or a vector for the socket lane).
class RecordWriter {
 public:
  explicit RecordWriter(std::span<uint8_t> buffer) : buf_(buffer) {}
  // False, writing nothing, when the record does not fit in the space left.
  bool Append(const RecordMeta& meta, std::string_view path, std::string_view target,
              std::span<const uint8_t> xattrs, std::span<const uint8_t> data);
  // Room for `data_len` bytes of data after a record with these other fields?
  bool Fits(size_t path_len, size_t target_len, size_t xattr_len, uint64_t data_len) const;
  size_t used() const { return used_; }
  uint32_t count() const { return count_; }
  void Reset() { used_ = 0; count_ = 0; }

 private:
  std::span<uint8_t> buf_;
  size_t used_ = 0;
  uint32_t count_ = 0;
};

// Decodes `expected` records from `bytes`. After the last one, Next() returns nullopt only
// if exactly `expected` records were read and no bytes are left over.
class RecordReader {
 public:
  RecordReader(std::span<const uint8_t> bytes, uint32_t expected)
      : bytes_(bytes), expected_(expected) {}
  Result<std::optional<Record>> Next();

 private:
  std::span<const uint8_t> bytes_;
  uint32_t expected_;
  size_t pos_ = 0;
  uint32_t seen_ = 0;
};

// Encodes name/value pairs into the xattr blob format.
std::vector<uint8_t> EncodeXattrs(const std::vector<std::pair<std::string, std::string>>& xattrs);
// Decodes an xattr blob; kProtocolError on any length that does not fit, an empty name or
// a name containing NUL.
Result<std::vector<std::pair<std::string, std::string>>> DecodeXattrs(
    std::span<const uint8_t> blob);

// A path relative to a transfer root: non-empty, not absolute, at most kMaxRecordPath bytes,
// no NUL, no empty, "." or ".." components. kProtocolError naming the path otherwise.
Status ValidateRelativePath(std::string_view path);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_LANE_RECORDS_H_
