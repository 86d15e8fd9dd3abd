#include "sinks/file_record_json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <type_traits>

namespace diskferry {
namespace {

constexpr char kBase64Digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  for (int v = 0; v < 64; ++v) {
    if (kBase64Digits[v] == c) return v;
  }
  return -1;
}

void PutBytes(Json* j, const char* key, const std::string& bytes) {
  if (IsValidUtf8(bytes)) {
    (*j)[key] = bytes;
  } else {
    (*j)[std::string(key) + "_b64"] = Base64Encode(bytes);
  }
}

std::string OctalMode(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06o", mode);
  return buf;
}

Status FieldError(const char* key, const char* what) {
  return Status(Code::kInvalidArgument, std::string("field \"") + key + "\": " + what);
}

// Optional string field; `raw` also accepts KEY_b64. Leaves *out alone when absent.
Status GetBytes(const Json& j, const char* key, std::string* out) {
  const std::string b64_key = std::string(key) + "_b64";
  if (auto it = j.find(b64_key); it != j.end()) {
    std::optional<std::string> bytes;
    if (it->is_string()) bytes = Base64Decode(it->get_ref<const std::string&>());
    if (!bytes) return FieldError(b64_key.c_str(), "not base64");
    *out = std::move(*bytes);
    return Status::Ok();
  }
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_string()) return FieldError(key, "not a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

// Optional integer field that must fit T. Leaves *out alone when absent.
template <typename T>
Status GetNumber(const Json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return FieldError(key, "out of range");
    }
    *out = static_cast<T>(v);
    return Status::Ok();
  }
  if constexpr (std::is_signed_v<T>) {
    if (it->is_number_integer()) {
      *out = static_cast<T>(it->get<int64_t>());
      return Status::Ok();
    }
  }
  return FieldError(key, "not an integer in range");
}

Status GetMode(const Json& j, uint32_t* mode) {
  auto it = j.find("mode");
  if (it == j.end()) return Status::Ok();
  if (!it->is_string()) return FieldError("mode", "not an octal string");
  const std::string& s = it->get_ref<const std::string&>();
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *mode, 8);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    return FieldError("mode", "not an octal string");
  }
  return Status::Ok();
}

Status GetHashes(const Json& j, std::map<std::string, std::string>* hashes) {
  auto it = j.find("hashes");
  if (it == j.end()) return Status::Ok();
  if (!it->is_object()) return FieldError("hashes", "not an object");
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) return FieldError("hashes", "a digest is not a string");
    (*hashes)[name] = value.get<std::string>();
  }
  return Status::Ok();
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) {
      v = (v << 8) | (k < n ? static_cast<uint8_t>(bytes[i + k]) : 0);
    }
    for (size_t k = 0; k < 4; ++k) {
      out += k <= n ? kBase64Digits[(v >> (18 - 6 * k)) & 0x3F] : '=';
    }
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int d = k < 4 - pad ? Base64Value(text[i + k]) : 0;
      if (d < 0) return std::nullopt;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    for (size_t k = 0; k < 3 - pad; ++k) out += static_cast<char>((v >> (16 - 8 * k)) & 0xFF);
    // Canonical form only: the bits under the padding are zero.
    if (pad > 0 && (v & ((1u << (8 * pad)) - 1)) != 0) return std::nullopt;
  }
  return out;
}

Json FileRecordToJson(const std::string& job, const FileRecord& record) {
  Json j = Json::object();
  j["record"] = "file";
  j["job"] = job;
  PutBytes(&j, "path", record.path);
  j["type"] = record.type;
  j["size"] = record.size;
  j["mode"] = OctalMode(record.mode);
  j["uid"] = record.uid;
  j["gid"] = record.gid;
  j["mtime_ns"] = record.mtime_ns;
  // Written only when known, so reports without them (older ones too) read back as 0.
  if (record.ino != 0) j["ino"] = record.ino;
  if (record.nlink != 0) j["nlink"] = record.nlink;
  if (record.atime_ns != 0) j["atime_ns"] = record.atime_ns;
  if (record.ctime_ns != 0) j["ctime_ns"] = record.ctime_ns;
  if (record.crtime_ns != 0) j["crtime_ns"] = record.crtime_ns;
  if (!record.target.empty()) PutBytes(&j, "target", record.target);
  if (!record.hashes.empty()) j["hashes"] = record.hashes;
  j["status"] = record.status;
  if (record.deleted) j["deleted"] = true;
  return j;
}

Result<FileRecord> FileRecordFromJson(const Json& j) {
  if (!j.is_object()) return Status(Code::kInvalidArgument, "not a JSON object");
  FileRecord r;
  if (!j.contains("path") && !j.contains("path_b64")) return FieldError("path", "missing");
  if (!j.contains("type")) return FieldError("type", "missing");
  for (Status st : {GetBytes(j, "path", &r.path), GetBytes(j, "type", &r.type),
                    GetNumber(j, "size", &r.size), GetMode(j, &r.mode), GetNumber(j, "uid", &r.uid),
                    GetNumber(j, "gid", &r.gid), GetNumber(j, "mtime_ns", &r.mtime_ns),
                    GetNumber(j, "ino", &r.ino), GetNumber(j, "nlink", &r.nlink),
                    GetNumber(j, "atime_ns", &r.atime_ns), GetNumber(j, "ctime_ns", &r.ctime_ns),
                    GetNumber(j, "crtime_ns", &r.crtime_ns), GetBytes(j, "target", &r.target),
                    GetHashes(j, &r.hashes), GetBytes(j, "status", &r.status)}) {
    if (!st.ok()) return st;
  }
  if (auto it = j.find("deleted"); it != j.end()) {
    if (!it->is_boolean()) return FieldError("deleted", "not a boolean");
    r.deleted = it->get<bool>();
  }
  return r;
}

Json JobFilesystemsToJson(const std::vector<JobFilesystem>& filesystems) {
  Json list = Json::array();
  for (const JobFilesystem& fs : filesystems) {
    Json j = Json::object();
    j["device"] = fs.device;
    j["type"] = fs.type;
    j["mount_point"] = fs.mount_point;
    j["replayed"] = fs.replayed;
    list.push_back(std::move(j));
  }
  return list;
}

std::string DumpLine(const Json& object) {
  return object.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace diskferry
