// ShmRegion: the host end of an appliance's ivshmem region, a file in /dev/shm that QEMU
// maps as the guest's BAR2 (memory-backend-file,share=on) and that we map too.
// shm_posix.cc implements it for Linux; Windows hosts have no ivshmem (DESIGN.md) and
// use the socket lane instead.
//
// Everything in the mapping is writable by the untrusted guest: see protocol/shm_layout.h
// for how to read it.
//
// Thread-compatible: one thread owns the object; the mapped bytes may be shared with
// other threads under the lane protocol's own rules.
#ifndef DISKFERRY_APPLIANCE_SHM_REGION_H_
#define DISKFERRY_APPLIANCE_SHM_REGION_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/status.h"

namespace diskferry {

inline constexpr char kShmDirectory[] = "/dev/shm";
// A region file this old whose creator's pid is gone was left by a crash (the launcher
// unlinks the name at hello, so a live appliance has none). Older than any sane launch.
inline constexpr std::chrono::minutes kStaleShmAge(5);

// Removes /dev/shm/diskferry-<pid>-* files of ours (same owner) whose <pid> no longer
// exists and that are older than `min_age`: what a diskferry killed during a launch
// leaves behind, 256 MiB of RAM each. Best effort; returns how many were removed.
// ShmRegion::Create calls it. Thread-safe.
size_t RemoveStaleShmFiles(std::chrono::seconds min_age = kStaleShmAge);

// Move-only: owns the mapping, the descriptor and the file name.
class ShmRegion {
 public:
  // Creates /dev/shm/diskferry-<pid>-<counter>-<random> with O_CREAT|O_EXCL and mode 0600,
  // reserves `size` bytes of tmpfs for it (so a full /dev/shm is an error here rather
  // than a SIGBUS in QEMU later), and maps it shared, zero-filled. First removes stale
  // region files (RemoveStaleShmFiles). Until Unlink() or Close(), the name is registered
  // for removal should SIGINT/SIGTERM/SIGHUP end diskferry (child_registry.h).
  // Errors: kInvalidArgument unless IsValidShmSize(size); kUnavailable when /dev/shm
  // lacks the space (the message says how much is free); kIoError otherwise.
  static Result<ShmRegion> Create(uint64_t size);

  ShmRegion() = default;  // owns nothing
  ShmRegion(ShmRegion&& other) noexcept;
  // Closes the region this object owned before taking over `other`'s.
  ShmRegion& operator=(ShmRegion&& other) noexcept;
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;
  ~ShmRegion() { Close(); }

  // Unmaps, closes and unlinks. Idempotent. A QEMU that still maps the file keeps its
  // pages until it exits; nobody can open the name again.
  void Close();
  // Removes the file name early, keeping the mapping: once QEMU has mapped the file, a
  // crash of diskferry then leaves nothing behind in /dev/shm. path() still returns the
  // old name (for messages). Idempotent.
  void Unlink();

  bool valid() const { return data_ != nullptr; }
  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // "/dev/shm/diskferry-..."; empty when !valid().
  const std::string& path() const { return path_; }

 private:
  ShmRegion(uint8_t* data, uint64_t size, int fd, std::string path);

  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  int fd_ = -1;
  std::string path_;
  bool linked_ = false;    // path_ still names the file
  int cleanup_slot_ = -1;  // child_registry.h: unlinked if a signal ends diskferry
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_SHM_REGION_H_
