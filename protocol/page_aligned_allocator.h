// PageAlignedAllocator: a std::allocator stand-in whose storage starts at a 4096-byte
// boundary, for buffers handed to O_DIRECT writes (which need memory aligned to the
// device's logical block size; every size Linux allows divides 4096). Stateless.
#ifndef DISKFERRY_PROTOCOL_PAGE_ALIGNED_ALLOCATOR_H_
#define DISKFERRY_PROTOCOL_PAGE_ALIGNED_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace diskferry {

inline constexpr size_t kPageAlignment = 4096;

template <typename T>
struct PageAlignedAllocator {
  using value_type = T;
  PageAlignedAllocator() = default;
  template <typename U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kPageAlignment}));
  }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{kPageAlignment}); }
  bool operator==(const PageAlignedAllocator&) const { return true; }
};

using PageAlignedBytes = std::vector<uint8_t, PageAlignedAllocator<uint8_t>>;

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_PAGE_ALIGNED_ALLOCATOR_H_
