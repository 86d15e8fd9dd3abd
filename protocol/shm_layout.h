// Layout of the ivshmem shared-memory region (BAR2 in the guest, a /dev/shm file on the
// host). Page 0 is the header; the guest stamps it at hello and the host checks it.
// The lanes after page 0 are described in docs/protocol.md.
//
// Everything in the region is writable by an untrusted guest: readers copy a field to a
// local before checking it and never keep pointers derived from unchecked values.
#ifndef DISKFERRY_PROTOCOL_SHM_LAYOUT_H_
#define DISKFERRY_PROTOCOL_SHM_LAYOUT_H_

#include <atomic>
#include <cstdint>

namespace diskferry {

inline constexpr uint64_t kShmMagic = 0x59525245464b5344ull;  // "DSKFERRY" little-endian
inline constexpr uint32_t kShmLayoutVersion = 1;
inline constexpr uint64_t kShmHeaderSize = 4096;
inline constexpr uint64_t kCacheLine = 64;

// Sizes QEMU accepts for ivshmem: powers of two (it aborts otherwise).
inline constexpr bool IsValidShmSize(uint64_t size) {
  return size >= 2 * kShmHeaderSize && (size & (size - 1)) == 0;
}

struct alignas(kCacheLine) ShmHeader {
  uint64_t magic;       // kShmMagic, written by the guest at hello
  uint32_t version;     // kShmLayoutVersion
  uint32_t reserved0;
  uint64_t region_size; // as the guest sees BAR2
  uint8_t pad0[kCacheLine - 24];
  // Incremented by the guest about once a second; the host watches it to detect a hang.
  alignas(kCacheLine) std::atomic<uint64_t> guest_heartbeat;
  uint8_t pad1[kCacheLine - 8];
};

static_assert(sizeof(ShmHeader) == 2 * kCacheLine);
static_assert(sizeof(ShmHeader) <= kShmHeaderSize);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_SHM_LAYOUT_H_
