#include "appliance/key_file.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <utility>

#include "protocol/wipe.h"

namespace diskferry {
namespace {

// The size of a regular file, or why it is not one we read.
Result<size_t> KeyFileSize(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(std::filesystem::path(path), ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return Status(Code::kNotFound, "key file " + path + ": no such file");
    }
    return Status(Code::kIoError, "key file " + path + ": " + ec.message());
  }
  if (!std::filesystem::is_regular_file(status)) {
    return Status(Code::kInvalidArgument, "key file " + path + ": not a regular file");
  }
  const auto size = std::filesystem::file_size(std::filesystem::path(path), ec);
  if (ec) return Status(Code::kIoError, "key file " + path + ": " + ec.message());
  if (size == 0) return Status(Code::kInvalidArgument, "key file " + path + " is empty");
  if (size > kMaxKeyFileBytes) {
    return Status(Code::kInvalidArgument,
                  "key file " + path + " is larger than 8 MiB, the most cryptsetup reads");
  }
  return static_cast<size_t>(size);
}

}  // namespace

Status CheckKeyFile(const std::string& path) {
  auto size = KeyFileSize(path);
  if (!size.ok()) return size.status();
  std::ifstream in(std::filesystem::path(path), std::ios::binary);
  if (!in) {
    const int err = errno;
    return err != 0 ? ErrnoStatus(err, "key file " + path)
                    : Status(Code::kIoError, "key file " + path + ": cannot be opened");
  }
  return Status::Ok();
}

Result<KeyFile> KeyFile::Read(const std::string& path) {
  auto size = KeyFileSize(path);
  if (!size.ok()) return size.status();
  ForbidCoreDumps();
  KeyFile key;
  key.path_ = path;
  key.data_ = SecretAllocate(*size, &key.capacity_);
  if (key.data_ == nullptr) return Status(Code::kIoError, "key file " + path + ": out of memory");
  key.size_ = *size;
  // No stream buffer: std::ifstream's own buffer would keep a copy nobody wipes.
  std::ifstream in;
  in.rdbuf()->pubsetbuf(nullptr, 0);
  in.open(std::filesystem::path(path), std::ios::binary);
  if (!in) {
    const int err = errno;
    return err != 0 ? ErrnoStatus(err, "key file " + path)
                    : Status(Code::kIoError, "key file " + path + ": cannot be opened");
  }
  in.read(reinterpret_cast<char*>(key.data_), static_cast<std::streamsize>(key.size_));
  if (static_cast<size_t>(in.gcount()) != key.size_) {
    return Status(Code::kIoError, "key file " + path + ": changed size while being read");
  }
  return key;
}

KeyFile::KeyFile(KeyFile&& other) noexcept
    : path_(std::move(other.path_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

KeyFile& KeyFile::operator=(KeyFile&& other) noexcept {
  if (this != &other) {
    Release();
    path_ = std::move(other.path_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

KeyFile::~KeyFile() { Release(); }

void KeyFile::Release() {
  if (data_ != nullptr) SecretFree(data_, capacity_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

}  // namespace diskferry
