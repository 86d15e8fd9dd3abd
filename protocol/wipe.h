// Wiping secrets (LUKS keys) from memory once used, in a way the compiler cannot drop as a
// dead store. Thread-safe: pure functions.
#ifndef DISKFERRY_PROTOCOL_WIPE_H_
#define DISKFERRY_PROTOCOL_WIPE_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace diskferry {

void WipeBytes(void* data, size_t size);
inline void WipeBytes(std::span<uint8_t> bytes) { WipeBytes(bytes.data(), bytes.size()); }

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_WIPE_H_
