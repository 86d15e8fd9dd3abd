// ApplianceCache: built appliances on disk, keyed by a digest of their inputs.
//
// Layout under the cache directory:
//   appliance-KEY/   a complete entry: `kernel`, `initrd.cpio`, `manifest`
//   tmp-XXXXXX/      an entry being built (or one being deleted)
//   lock             flock(2)ed while building, so concurrent runs wait instead of
//                    duplicating work
// An entry appears only by rename(2) of a finished staging directory, so a reader sees
// a whole entry or none; the lock is an optimisation, never needed for correctness.
//
// Thread-safe and multi-process-safe: all state is on disk and changes by rename.
#ifndef DISKFERRY_APPLIANCE_APPLIANCE_CACHE_H_
#define DISKFERRY_APPLIANCE_APPLIANCE_CACHE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/appliance_dir.h"
#include "appliance/appliance_image.h"
#include "protocol/status.h"

namespace diskferry {

// Lowercase hex of `n` bytes (digests for keys and checksums).
std::string HexOf(const unsigned char* bytes, size_t n);

// Hex SHA-256 over kApplianceFormatVersion and, for each input in order, its path, size
// and mtime in ns. Stats the files, never reads them. Errors: the first failing stat.
Result<std::string> ComputeCacheKey(std::span<const std::string> input_paths);

// An exclusive flock on <cache>/lock, released on destruction. Move-only.
class CacheLock {
 public:
  CacheLock() = default;
  explicit CacheLock(int fd) : fd_(fd) {}
  CacheLock(CacheLock&& other) noexcept;
  CacheLock& operator=(CacheLock&& other) noexcept;
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;
  ~CacheLock();

  bool held() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

class ApplianceCache {
 public:
  static constexpr std::string_view kKernelFile = kApplianceKernelFile;
  static constexpr std::string_view kInitrdFile = kApplianceInitrdFile;
  static constexpr std::string_view kStorageFile = kApplianceStorageFile;
  static constexpr std::string_view kManifestFile = kApplianceManifestFile;

  explicit ApplianceCache(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // Creates the cache directory (and its parents) if needed.
  Status Init() const;

  std::string EntryDir(std::string_view key) const;

  // The image in entry `key` when it is complete (manifest parses, files present with
  // the recorded sizes), with reused = true; nullopt otherwise. A few stat calls.
  std::optional<ApplianceImage> Lookup(std::string_view key) const;

  // Waits up to `timeout` for the build lock. Errors: kTimeout, kIoError.
  Result<CacheLock> Lock(std::chrono::milliseconds timeout) const;

  // A new empty staging directory inside the cache (same filesystem, so rename works).
  Result<std::string> CreateStaging() const;

  // Makes `staging` the entry for `key` by rename(2). When another writer published a
  // complete entry first, keeps theirs and deletes `staging`. An incomplete entry in the
  // way, or any entry when `replace` is set, is moved aside and deleted.
  // Returns the published image. Errors: kIoError when the rename fails otherwise.
  Result<ApplianceImage> Publish(const std::string& staging, std::string_view key,
                                 bool replace) const;

  // Best effort: deletes appliance-* entries beyond the `keep` most recently built
  // (never `keep_key`), and staging directories abandoned over an hour ago.
  void Prune(std::string_view keep_key, size_t keep) const;

 private:
  Status MoveAside(const std::string& entry) const;

  std::string dir_;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_APPLIANCE_CACHE_H_
