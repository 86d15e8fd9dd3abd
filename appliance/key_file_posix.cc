// POSIX half of key_file.h: secrets in their own anonymous mapping, so that mlock and
// MADV_DONTDUMP cover exactly them (madvise needs page-aligned ranges).
#include <sys/mman.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "appliance/key_file.h"
#include "protocol/wipe.h"

namespace diskferry {

uint8_t* SecretAllocate(size_t size, size_t* capacity) {
  const long page_size = sysconf(_SC_PAGESIZE);
  const size_t page = page_size > 0 ? static_cast<size_t>(page_size) : 4096;
  const size_t bytes = (size + page - 1) / page * page;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  // Both are best effort: RLIMIT_MEMLOCK may be small (64 KiB by default on Debian),
  // and the key is still wiped on release.
  (void)mlock(p, bytes);
#ifdef MADV_DONTDUMP
  (void)madvise(p, bytes, MADV_DONTDUMP);
#endif
  *capacity = bytes;
  return static_cast<uint8_t*>(p);
}

void SecretFree(uint8_t* data, size_t capacity) {
  WipeBytes(data, capacity);
  (void)munlock(data, capacity);
  munmap(data, capacity);
}

void ForbidCoreDumps() {
#ifdef __linux__
  (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

}  // namespace diskferry
