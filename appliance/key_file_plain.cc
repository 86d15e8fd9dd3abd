// key_file.h's platform half where no POSIX one applies (Windows): plain heap memory,
// wiped on release. Locking it would need VirtualLock, i.e. <windows.h>, which only
// qemu-win/ may include.
#include <new>

#include "appliance/key_file.h"
#include "protocol/wipe.h"

namespace diskferry {

uint8_t* SecretAllocate(size_t size, size_t* capacity) {
  auto* p = new (std::nothrow) uint8_t[size]();
  *capacity = size;
  return p;
}

void SecretFree(uint8_t* data, size_t capacity) {
  WipeBytes(data, capacity);
  delete[] data;
}

void ForbidCoreDumps() {}

}  // namespace diskferry
