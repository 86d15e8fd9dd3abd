// A LUKS key file read on the host (--key-file, keys: in manifests). Its bytes live in
// memory that is locked against swapping and left out of core dumps where the platform
// allows, and wiped when the KeyFile goes; reading any key also makes the process
// non-dumpable on POSIX. The bytes go only into ControlClient::Unlock: never into argv,
// logs, reports, events or messages (the path may appear in messages).
//
// Threading: a KeyFile is a value owned by one thread at a time; Read is thread-safe.
#ifndef DISKFERRY_APPLIANCE_KEY_FILE_H_
#define DISKFERRY_APPLIANCE_KEY_FILE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocol/status.h"

namespace diskferry {

// cryptsetup's own limit for a key file (--keyfile-size default): 8 MiB.
inline constexpr size_t kMaxKeyFileBytes = 8u << 20;

// Whether `path` names a regular key file diskferry can read, without reading it: the
// check commands make before booting anything. Errors name the path in one line.
Status CheckKeyFile(const std::string& path);

class KeyFile {
 public:
  // Reads the whole file. kNotFound / kIoError naming the path when it cannot be read,
  // kInvalidArgument when it is empty, not a regular file or over kMaxKeyFileBytes.
  static Result<KeyFile> Read(const std::string& path);

  KeyFile(KeyFile&& other) noexcept;
  KeyFile& operator=(KeyFile&& other) noexcept;
  KeyFile(const KeyFile&) = delete;
  KeyFile& operator=(const KeyFile&) = delete;
  ~KeyFile();  // wipes the bytes

  const std::string& path() const { return path_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  KeyFile() = default;
  void Release();

  std::string path_;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;  // what SecretAllocate gave (page-rounded on POSIX)
};

// The platform half (key_file_posix.cc; key_file_plain.cc where there is none).
// Memory for secrets: zero-filled, locked and excluded from core dumps where possible.
// nullptr when out of memory. *capacity is what SecretFree must be given.
uint8_t* SecretAllocate(size_t size, size_t* capacity);
void SecretFree(uint8_t* data, size_t capacity);  // wipes first
// No core dumps of this process from now on (prctl PR_SET_DUMPABLE 0 on Linux).
void ForbidCoreDumps();

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_KEY_FILE_H_
