// The host-independent part of child_registry.h: registering and forgetting children and
// files. Killing and deleting them is each host's (child_registry_posix.cc,
// qemu-win/child_registry_win.cc).
#include <cstring>

#include "appliance/child_registry.h"
#include "appliance/child_registry_slots.h"
#include "protocol/check.h"

namespace diskferry {
namespace internal {

std::atomic<int> g_registered_children[kMaxRegisteredChildren];
RegisteredFileSlot g_registered_files[kMaxRegisteredFiles];

}  // namespace internal

using internal::g_registered_children;
using internal::g_registered_files;

bool RegisterChild(int pid) {
  DF_CHECK(pid > 0);
  for (std::atomic<int>& slot : g_registered_children) {
    int expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return true;
  }
  return false;
}

void UnregisterChild(int pid) {
  for (std::atomic<int>& slot : g_registered_children) {
    int expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

size_t RegisteredChildCount() {
  size_t n = 0;
  for (const std::atomic<int>& slot : g_registered_children) n += slot.load() > 0 ? 1 : 0;
  return n;
}

int RegisterFile(std::string_view path) {
  if (path.empty() || path.size() > kMaxRegisteredPathLength) return -1;
  for (size_t i = 0; i < kMaxRegisteredFiles; ++i) {
    internal::RegisteredFileSlot& slot = g_registered_files[i];
    int expected = internal::kFileSlotFree;
    if (!slot.state.compare_exchange_strong(expected, internal::kFileSlotFilling)) continue;
    std::memcpy(slot.path, path.data(), path.size());
    slot.path[path.size()] = '\0';
    slot.state.store(internal::kFileSlotReady, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void UnregisterFile(int slot) {
  if (slot >= 0 && static_cast<size_t>(slot) < kMaxRegisteredFiles) {
    g_registered_files[slot].state.store(internal::kFileSlotFree);
  }
}

}  // namespace diskferry
