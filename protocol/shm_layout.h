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
#include <optional>

namespace diskferry {

inline constexpr uint64_t kShmMagic = 0x59525245464b5344ull;  // "DSKFERRY" little-endian
inline constexpr uint32_t kShmLayoutVersion = 1;
inline constexpr uint64_t kShmHeaderSize = 4096;
inline constexpr uint64_t kCacheLine = 64;

// Sizes QEMU accepts for ivshmem: powers of two (it aborts otherwise).
inline constexpr bool IsValidShmSize(uint64_t size) {
  return size >= 2 * kShmHeaderSize && (size & (size - 1)) == 0;
}

// Where the two lanes live in the region. A pure function of the region size
// (ComputeShmLayout), so each side computes it; the guest stamps its copy in the header and
// the host refuses a region whose stamp differs from its own computation.
struct ShmLayout {
  uint64_t batch_offset = 0;       // first batch slot
  uint64_t batch_slot_size = 0;    // bytes per slot, a multiple of 4096
  uint32_t batch_slots = 0;
  uint32_t stream_chunks = 0;
  uint64_t stream_offset = 0;      // first stream chunk
  uint64_t stream_chunk_size = 0;  // bytes per chunk, a multiple of 4096
  friend bool operator==(const ShmLayout&, const ShmLayout&) = default;
};

// Stream chunks: 4 MiB measured best under TCG (benchmarks/README.md, transfers), smaller in
// small regions.
inline constexpr uint64_t kStreamChunkSize = 4u << 20;
inline constexpr uint32_t kBatchSlots = 4;

// Page 0 holds the header; the batch lane takes the rest of the first quarter, split into
// kBatchSlots slots; the stream lane takes the other three quarters in chunks. nullopt for
// an invalid size or one too small to hold a 64 KiB slot and two chunks.
inline std::optional<ShmLayout> ComputeShmLayout(uint64_t region_size) {
  if (!IsValidShmSize(region_size) || region_size < (uint64_t{2} << 20)) return std::nullopt;
  ShmLayout l;
  l.batch_offset = kShmHeaderSize;
  l.batch_slots = kBatchSlots;
  l.batch_slot_size = ((region_size / 4 - kShmHeaderSize) / kBatchSlots) & ~uint64_t{4095};
  l.stream_offset = region_size / 4;
  l.stream_chunk_size = region_size / 16 < kStreamChunkSize ? region_size / 16 : kStreamChunkSize;
  l.stream_chunks = static_cast<uint32_t>((region_size - l.stream_offset) / l.stream_chunk_size);
  if (l.batch_slot_size < (64u << 10) || l.stream_chunks < 2) return std::nullopt;
  return l;
}

struct alignas(kCacheLine) ShmHeader {
  uint64_t magic;       // kShmMagic, written by the guest at hello
  uint32_t version;     // kShmLayoutVersion
  uint32_t reserved0;
  uint64_t region_size; // as the guest sees BAR2
  uint8_t pad0[kCacheLine - 24];
  ShmLayout layout;     // the guest's ComputeShmLayout(region_size)
  // Ticked by the guest about once a second: a stop shows a hang; a tick proves no progress.
  alignas(kCacheLine) std::atomic<uint64_t> guest_heartbeat;
  uint8_t pad1[kCacheLine - 8];
};

static_assert(sizeof(ShmLayout) == 40);
static_assert(sizeof(ShmHeader) == 3 * kCacheLine);
static_assert(sizeof(ShmHeader) <= kShmHeaderSize);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_SHM_LAYOUT_H_
