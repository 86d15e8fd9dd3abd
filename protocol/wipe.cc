#include "protocol/wipe.h"

namespace diskferry {

void WipeBytes(void* data, size_t size) {
  // Stores through a volatile pointer are observable behaviour, so they are kept.
  volatile uint8_t* p = static_cast<volatile uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) p[i] = 0;
}

}  // namespace diskferry
