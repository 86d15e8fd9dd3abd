// ShmRegion: the host end of an appliance's ivshmem region: shared memory that QEMU maps
// as the guest's BAR2 and that we map too. One interface, two halves:
//
//  - Linux (appliance/shm_posix.cc): a file /dev/shm/diskferry-<pid>-<counter>-<random>
//    that QEMU maps with memory-backend-file,share=on. A named file outlives a crash, so
//    the name is registered for removal on SIGINT/SIGTERM/SIGHUP, unlinked early by
//    Unlink(), and swept by RemoveStaleShmFiles() after a crash.
//  - Windows (qemu-win/shm_win.cc): a named pagefile-backed section
//    "Local\diskferry-<pid>-<counter>-<random>" (CreateFileMappingW). The system deletes
//    such a section with its last handle, however its holders exit, so nothing can go
//    stale: Unlink() only records that the name no longer matters (the name stays
//    openable while any handle, ours or another process's, is open), and
//    RemoveStaleShmFiles() removes nothing. Upstream QEMU for Windows builds no ivshmem
//    and has no memory backend that could map such a section (docs/design-notes.md,
//    docs/windows.md), so Windows appliances use the socket lane; this half exists for a
//    future shared-memory lane on Windows and for its tests.
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
#include <utility>

#include "protocol/status.h"

namespace diskferry {

// Linux: where region files live.
inline constexpr char kShmDirectory[] = "/dev/shm";
// A region file this old whose creator's pid is gone was left by a crash (the launcher
// unlinks the name at hello, so a live appliance has none). Older than any sane launch.
inline constexpr std::chrono::minutes kStaleShmAge(5);

// Removes /dev/shm/diskferry-<pid>-* files of ours (same owner) whose <pid> no longer
// exists and that are older than `min_age`: what a diskferry killed during a launch
// leaves behind, 256 MiB of RAM each. Best effort; returns how many were removed.
// ShmRegion::Create calls it. Thread-safe. Windows: returns 0 (sections cannot go stale).
size_t RemoveStaleShmFiles(std::chrono::seconds min_age = kStaleShmAge);

// Move-only: owns the mapping, the descriptor (Linux) or section handle (Windows), and
// the name.
class ShmRegion {
 public:
  // Creates /dev/shm/diskferry-<pid>-<counter>-<random> with O_CREAT|O_EXCL and mode 0600,
  // reserves `size` bytes of tmpfs for it (so a full /dev/shm is an error here rather
  // than a SIGBUS in QEMU later), and maps it shared, zero-filled. First removes stale
  // region files (RemoveStaleShmFiles). Until Unlink() or Close(), the name is registered
  // for removal should SIGINT/SIGTERM/SIGHUP end diskferry (child_registry.h).
  // Errors: kInvalidArgument unless IsValidShmSize(size); kUnavailable when /dev/shm
  // lacks the space (the message says how much is free); kIoError otherwise.
  // Windows: creates the section "Local\diskferry-<pid>-<counter>-<random>" of `size`
  // committed bytes (so a full commit limit is an error here, kUnavailable) and maps all
  // of it, zero-filled; a section of that name that already exists is kIoError (someone
  // else made it: we never share one we did not create).
  static Result<ShmRegion> Create(uint64_t size);

  ShmRegion() = default;  // owns nothing
  ShmRegion(ShmRegion&& other) noexcept;
  // Closes the region this object owned before taking over `other`'s.
  ShmRegion& operator=(ShmRegion&& other) noexcept;
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;
  ~ShmRegion() { Close(); }

  // Unmaps, closes and unlinks. Idempotent. A QEMU that still maps the file keeps its
  // pages until it exits; nobody can open the name again. (Windows: the name goes when
  // the last handle to the section does, which is this one unless another process
  // opened it.)
  void Close();
  // Removes the file name early, keeping the mapping: once QEMU has mapped the file, a
  // crash of diskferry then leaves nothing behind in /dev/shm. path() still returns the
  // old name (for messages). Idempotent. Windows: changes nothing but this object's
  // state; the section keeps its name until its last handle is closed.
  void Unlink();

  bool valid() const { return data_ != nullptr; }
  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // "/dev/shm/diskferry-..." (Windows: "Local\diskferry-..."); empty when !valid().
  const std::string& path() const { return path_; }

 private:
  // No descriptor or handle: -1 on both hosts (no Windows HANDLE of a section is -1).
  static constexpr intptr_t kNoHandle = -1;

  ShmRegion(uint8_t* data, uint64_t size, intptr_t handle, std::string path);

  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  intptr_t handle_ = kNoHandle;  // Linux: the file descriptor; Windows: the section HANDLE
  std::string path_;
  bool linked_ = false;    // path_ still names the file (Windows: Unlink() not yet called)
  int cleanup_slot_ = -1;  // child_registry.h: unlinked if a signal ends diskferry (Linux)
};

// Moves are the same on both hosts: the members carry everything a half owns.
inline ShmRegion::ShmRegion(ShmRegion&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      handle_(std::exchange(other.handle_, kNoHandle)),
      path_(std::exchange(other.path_, std::string())),
      linked_(std::exchange(other.linked_, false)),
      cleanup_slot_(std::exchange(other.cleanup_slot_, -1)) {}

inline ShmRegion& ShmRegion::operator=(ShmRegion&& other) noexcept {
  if (this == &other) return *this;
  Close();
  data_ = std::exchange(other.data_, nullptr);
  size_ = std::exchange(other.size_, 0);
  handle_ = std::exchange(other.handle_, kNoHandle);
  path_ = std::exchange(other.path_, std::string());
  linked_ = std::exchange(other.linked_, false);
  cleanup_slot_ = std::exchange(other.cleanup_slot_, -1);
  return *this;
}

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_SHM_REGION_H_
