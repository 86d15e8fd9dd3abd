#include "appliance/appliance_cache.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <utility>

#include "appliance/builder_io.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEntryPrefix = "appliance-";
constexpr std::string_view kStagingPrefix = "tmp-";
constexpr auto kAbandonedStagingAge = std::chrono::hours(1);
constexpr auto kLockPoll = std::chrono::milliseconds(20);

bool HasSize(const std::string& path, uint64_t size) {
  Result<FileStamp> stamp = StampFile(path);
  return stamp.ok() && stamp->size == size;
}

}  // namespace

std::string HexOf(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

Result<std::string> ComputeCacheKey(std::span<const std::string> input_paths) {
  std::string text =
      std::string(kApplianceManifestMagic) + " format " + std::to_string(kApplianceFormatVersion) + "\n";
  for (const std::string& path : input_paths) {
    Result<FileStamp> stamp = StampFile(path);
    if (!stamp.ok()) return stamp.status();
    text +=
        path + '\0' + std::to_string(stamp->size) + '\0' + std::to_string(stamp->mtime_ns) + '\n';
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return Status(Code::kInternal, "SHA-256 failed in OpenSSL");
  }
  return HexOf(digest, length);
}

CacheLock::CacheLock(CacheLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

CacheLock& CacheLock::operator=(CacheLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

CacheLock::~CacheLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the flock
}

Status ApplianceCache::Init() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  return ec ? ErrnoStatus(ec.value(), "cache directory " + dir_) : Status::Ok();
}

std::string ApplianceCache::EntryDir(std::string_view key) const {
  return dir_ + "/" + std::string(kEntryPrefix) + std::string(key);
}

std::optional<ApplianceImage> ApplianceCache::Lookup(std::string_view key) const {
  std::string entry = EntryDir(key);
  Result<std::string> text = ReadFileToString(entry + "/" + std::string(kManifestFile));
  if (!text.ok()) return std::nullopt;
  Result<ApplianceManifest> m = ParseManifest(*text);
  if (!m.ok()) return std::nullopt;
  std::string kernel = entry + "/" + std::string(kKernelFile);
  std::string initrd = entry + "/" + std::string(kInitrdFile);
  if (!HasSize(kernel, m->kernel_size) || !HasSize(initrd, m->initrd_size)) return std::nullopt;
  std::string storage;
  if (m->storage_size > 0) {
    storage = entry + "/" + std::string(kStorageFile);
    if (!HasSize(storage, m->storage_size)) return std::nullopt;
  }
  return ApplianceImage{kernel, initrd,           m->kernel_release, m->filesystems,
                        std::string(key), true, m->storage_tools,  std::move(storage)};
}

Result<CacheLock> ApplianceCache::Lock(std::chrono::milliseconds timeout) const {
  std::string path = dir_ + "/lock";
  CacheLock lock(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.held()) return ErrnoStatus(errno, path);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // flock belongs to the open file description, so each caller's own open() makes
  // threads of one process exclude each other as well as other processes.
  while (flock(lock.fd(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return ErrnoStatus(errno, path);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(Code::kTimeout, path + ": another diskferry is still building");
    }
    std::this_thread::sleep_for(kLockPoll);
  }
  return lock;
}

Result<std::string> ApplianceCache::CreateStaging() const {
  std::string path = dir_ + "/" + std::string(kStagingPrefix) + "XXXXXX";
  if (mkdtemp(path.data()) == nullptr) return ErrnoStatus(errno, "staging directory in " + dir_);
  return path;
}

// rename(2) onto an empty directory replaces it atomically, so the entry vanishes from
// its name in one step and is deleted afterwards under a staging name.
Status ApplianceCache::MoveAside(const std::string& entry) const {
  Result<std::string> trash = CreateStaging();
  if (!trash.ok()) return trash.status();
  int err = rename(entry.c_str(), trash->c_str()) == 0 ? 0 : errno;
  std::error_code ec;
  fs::remove_all(*trash, ec);
  return err == 0 || err == ENOENT ? Status::Ok() : ErrnoStatus(err, "moving aside " + entry);
}

Result<ApplianceImage> ApplianceCache::Publish(const std::string& staging, std::string_view key,
                                               bool replace) const {
  std::string entry = EntryDir(key);
  std::error_code ec;
  Status status = replace ? MoveAside(entry) : Status::Ok();
  for (int attempt = 0; status.ok() && attempt < 3; ++attempt) {
    if (rename(staging.c_str(), entry.c_str()) == 0) {
      if (std::optional<ApplianceImage> ours = Lookup(key)) return *ours;
      return Status(Code::kIoError, entry + ": entry incomplete right after publishing");
    }
    int err = errno;
    if (err != EEXIST && err != ENOTEMPTY) {
      status = ErrnoStatus(err, "publishing " + entry);
      break;
    }
    if (std::optional<ApplianceImage> theirs = Lookup(key)) {  // a concurrent build won
      fs::remove_all(staging, ec);
      return *theirs;
    }
    status = MoveAside(entry);  // a broken entry is in the way
  }
  fs::remove_all(staging, ec);
  return status.ok() ? Status(Code::kIoError, entry + ": could not publish") : status;
}

void ApplianceCache::Prune(std::string_view keep_key, size_t keep) const {
  std::vector<std::pair<fs::file_time_type, fs::path>> entries;
  std::error_code ec;
  std::string kept = fs::path(EntryDir(keep_key)).filename().string();
  auto now = fs::file_time_type::clock::now();
  for (const auto& item : fs::directory_iterator(dir_, ec)) {
    std::string name = item.path().filename().string();
    fs::file_time_type mtime = item.last_write_time(ec);
    if (ec) continue;
    if (name.starts_with(kStagingPrefix) && now - mtime > kAbandonedStagingAge) {
      fs::remove_all(item.path(), ec);
    } else if (name.starts_with(kEntryPrefix) && name != kept) {
      entries.emplace_back(mtime, item.path());
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  size_t others_kept = keep > 0 ? keep - 1 : 0;  // keep_key counts as one
  for (size_t i = others_kept; i < entries.size(); ++i) {
    (void)MoveAside(entries[i].second.string());  // best effort: another run may own it
  }
}

}  // namespace diskferry
