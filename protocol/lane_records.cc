#include "protocol/lane_records.h"

#include <cstring>

#include "protocol/errno_names.h"
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

// Fixed little-endian layout of the 112-byte header; offsets are part of the protocol.
enum Offset : size_t {
  kOffRecordSize = 0,  // u32 total bytes of this record, padding included
  kOffType = 4,        // u16
  kOffFlags = 6,       // u16
  kOffPathLen = 8,     // u32
  kOffTargetLen = 12,  // u32
  kOffXattrLen = 16,   // u32
  kOffErrno = 20,      // i32
  kOffDataLen = 24,    // u64
  kOffFileId = 32,     // u64
  kOffMode = 40,       // u32 x4: mode uid gid nlink
  kOffSize = 56,       // u64 x3: size ino rdev
  kOffAtime = 80,      // i64 x3: atime mtime ctime
  kOffCrtime = 104,    // i64: creation time, when flags has kRecordHasCrtime
};
static_assert(kOffCrtime + 8 == kRecordHeaderSize);

template <typename T>
void Put(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);  // x86-64 and every guest we boot are little-endian
}
template <typename T>
T Get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Status Bad(uint32_t index, const std::string& what) {
  return Status(Code::kProtocolError, "batch record " + std::to_string(index) + ": " + what);
}

bool ValidType(uint16_t t) { return t >= 1 && t <= 7; }

void PutHeader(uint8_t* h, const RecordMeta& m, uint32_t size, std::string_view path,
               std::string_view target, size_t xattr_len, size_t data_len) {
  std::memset(h, 0, kRecordHeaderSize);
  Put<uint32_t>(h + kOffRecordSize, size);
  Put<uint16_t>(h + kOffType, static_cast<uint16_t>(m.type));
  Put<uint16_t>(h + kOffFlags, m.flags);
  Put<uint32_t>(h + kOffPathLen, static_cast<uint32_t>(path.size()));
  Put<uint32_t>(h + kOffTargetLen, static_cast<uint32_t>(target.size()));
  Put<uint32_t>(h + kOffXattrLen, static_cast<uint32_t>(xattr_len));
  Put<int32_t>(h + kOffErrno, ErrnoToWire(m.errno_value));
  Put<uint64_t>(h + kOffDataLen, data_len);
  Put<uint64_t>(h + kOffFileId, m.file_id);
  const uint32_t ids[4] = {m.mode, m.uid, m.gid, m.nlink};
  std::memcpy(h + kOffMode, ids, sizeof ids);
  const uint64_t nums[3] = {m.size, m.ino, m.rdev};
  std::memcpy(h + kOffSize, nums, sizeof nums);
  const int64_t times[3] = {m.atime_ns, m.mtime_ns, m.ctime_ns};
  std::memcpy(h + kOffAtime, times, sizeof times);
  Put<int64_t>(h + kOffCrtime, m.crtime_ns);
}

RecordMeta GetMeta(const uint8_t* h) {
  RecordMeta m;
  m.type = static_cast<RecordType>(Get<uint16_t>(h + kOffType));
  m.flags = Get<uint16_t>(h + kOffFlags);
  m.errno_value = ErrnoFromWire(Get<int32_t>(h + kOffErrno));
  m.file_id = Get<uint64_t>(h + kOffFileId);
  m.mode = Get<uint32_t>(h + kOffMode);
  m.uid = Get<uint32_t>(h + kOffMode + 4);
  m.gid = Get<uint32_t>(h + kOffMode + 8);
  m.nlink = Get<uint32_t>(h + kOffMode + 12);
  m.size = Get<uint64_t>(h + kOffSize);
  m.ino = Get<uint64_t>(h + kOffSize + 8);
  m.rdev = Get<uint64_t>(h + kOffSize + 16);
  m.atime_ns = Get<int64_t>(h + kOffAtime);
  m.mtime_ns = Get<int64_t>(h + kOffAtime + 8);
  m.ctime_ns = Get<int64_t>(h + kOffAtime + 16);
  m.crtime_ns = Get<int64_t>(h + kOffCrtime);
  return m;
}

}  // namespace

std::optional<uint64_t> RecordSize(uint64_t path_len, uint64_t target_len, uint64_t xattr_len,
                                   uint64_t data_len) {
  uint64_t total = kRecordHeaderSize;
  for (uint64_t part : {path_len, target_len, xattr_len, data_len}) {
    if (__builtin_add_overflow(total, part, &total)) return std::nullopt;
  }
  if (total > UINT32_MAX - 7) return std::nullopt;
  return (total + 7) & ~uint64_t{7};
}

bool RecordWriter::Fits(size_t path_len, size_t target_len, size_t xattr_len,
                        uint64_t data_len) const {
  auto size = RecordSize(path_len, target_len, xattr_len, data_len);
  return size && *size <= buf_.size() - used_;
}

bool RecordWriter::Append(const RecordMeta& meta, std::string_view path, std::string_view target,
                          std::span<const uint8_t> xattrs, std::span<const uint8_t> data) {
  if (!Fits(path.size(), target.size(), xattrs.size(), data.size())) return false;
  const auto size = static_cast<uint32_t>(*RecordSize(path.size(), target.size(), xattrs.size(),
                                                      data.size()));
  uint8_t* p = buf_.data() + used_;
  PutHeader(p, meta, size, path, target, xattrs.size(), data.size());
  size_t off = kRecordHeaderSize;
  auto copy = [&](const void* src, size_t n) {
    if (n) std::memcpy(p + off, src, n);
    off += n;
  };
  copy(path.data(), path.size());
  copy(target.data(), target.size());
  copy(xattrs.data(), xattrs.size());
  copy(data.data(), data.size());
  std::memset(p + off, 0, size - off);
  used_ += size;
  ++count_;
  return true;
}

Result<std::optional<Record>> RecordReader::Next() {
  const size_t left = bytes_.size() - pos_;
  if (seen_ == expected_) {
    if (left != 0) return Bad(seen_, std::to_string(left) + " bytes after the last record");
    return std::optional<Record>();
  }
  if (left < kRecordHeaderSize) return Bad(seen_, "truncated header");
  const uint8_t* h = bytes_.data() + pos_;
  const uint32_t size = Get<uint32_t>(h + kOffRecordSize);
  const uint64_t path_len = Get<uint32_t>(h + kOffPathLen);
  const uint64_t target_len = Get<uint32_t>(h + kOffTargetLen);
  const uint64_t xattr_len = Get<uint32_t>(h + kOffXattrLen);
  const uint64_t data_len = Get<uint64_t>(h + kOffDataLen);
  if (size % 8 != 0 || size < kRecordHeaderSize || size > left) {
    return Bad(seen_, "record size " + std::to_string(size) + " outside its buffer");
  }
  const auto needed = RecordSize(path_len, target_len, xattr_len, data_len);
  if (!needed || *needed != size) return Bad(seen_, "field lengths do not add up to its size");
  if (!ValidType(Get<uint16_t>(h + kOffType))) return Bad(seen_, "unknown record type");
  if ((Get<uint16_t>(h + kOffFlags) & ~kRecordKnownFlags) != 0) return Bad(seen_, "unknown flags");
  if (!(Get<uint16_t>(h + kOffFlags) & kRecordHasCrtime) && Get<int64_t>(h + kOffCrtime) != 0) {
    return Bad(seen_, "creation time without its flag");
  }
  Record r;
  r.meta = GetMeta(h);
  const char* base = reinterpret_cast<const char*>(h) + kRecordHeaderSize;
  r.path = std::string_view(base, path_len);
  r.target = std::string_view(base + path_len, target_len);
  const uint8_t* rest = h + kRecordHeaderSize + path_len + target_len;
  r.xattrs = std::span<const uint8_t>(rest, xattr_len);
  r.data = std::span<const uint8_t>(rest + xattr_len, data_len);
  if (Status st = ValidateRelativePath(r.path); !st.ok()) return Bad(seen_, st.message());
  if (r.meta.type == RecordType::kFile && data_len != r.meta.size) {
    return Bad(seen_, "inline data length differs from the file size");
  }
  pos_ += size;
  ++seen_;
  return std::optional<Record>(r);
}

std::vector<uint8_t> EncodeXattrs(const std::vector<std::pair<std::string, std::string>>& xattrs) {
  std::vector<uint8_t> out;
  for (const auto& [name, value] : xattrs) {
    uint8_t lens[8];
    Put<uint32_t>(lens, static_cast<uint32_t>(name.size()));
    Put<uint32_t>(lens + 4, static_cast<uint32_t>(value.size()));
    out.insert(out.end(), lens, lens + 8);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), value.begin(), value.end());
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> DecodeXattrs(
    std::span<const uint8_t> blob) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < blob.size()) {
    if (blob.size() - pos < 8) return Status(Code::kProtocolError, "xattr list truncated");
    const uint64_t name_len = Get<uint32_t>(blob.data() + pos);
    const uint64_t value_len = Get<uint32_t>(blob.data() + pos + 4);
    pos += 8;
    if (name_len == 0 || name_len > blob.size() - pos || value_len > blob.size() - pos - name_len) {
      return Status(Code::kProtocolError, "xattr entry lengths outside the list");
    }
    std::string name(reinterpret_cast<const char*>(blob.data() + pos), name_len);
    if (name.find('\0') != std::string::npos) {
      return Status(Code::kProtocolError, "xattr name contains NUL");
    }
    pos += name_len;
    out.emplace_back(std::move(name),
                     std::string(reinterpret_cast<const char*>(blob.data() + pos), value_len));
    pos += value_len;
  }
  return out;
}

Status ValidateRelativePath(std::string_view path) {
  auto bad = [&](const char* why) {
    return Status(Code::kProtocolError, "unsafe path " + QuotedText(path) + ": " + why);
  };
  if (path.empty()) return bad("empty");
  if (path.size() > kMaxRecordPath) return bad("too long");
  if (path.front() == '/') return bad("absolute");
  if (path.find('\0') != std::string_view::npos) return bad("contains NUL");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty()) return bad("empty component");
    if (part == "." || part == "..") return bad("'.' or '..' component");
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace diskferry
