// The registry's tables (child_registry.h), shared by its portable part
// (child_registry.cc: registering and forgetting) and its host halves
// (child_registry_posix.cc, qemu-win/child_registry_win.cc: killing and deleting from a
// signal or console handler). Lock-free atomics only, so a handler may read them.
// Internal to those files.
#ifndef DISKFERRY_APPLIANCE_CHILD_REGISTRY_SLOTS_H_
#define DISKFERRY_APPLIANCE_CHILD_REGISTRY_SLOTS_H_

#include <atomic>

#include "appliance/child_registry.h"

namespace diskferry::internal {

// 0 marks a free slot (no child of ours has pid 0 on either host).
extern std::atomic<int> g_registered_children[kMaxRegisteredChildren];
static_assert(std::atomic<int>::is_always_lock_free);

// A slot is free, being filled by RegisterFile(), or ready; handlers read ready ones.
enum FileSlotState : int { kFileSlotFree = 0, kFileSlotFilling = 1, kFileSlotReady = 2 };
struct RegisteredFileSlot {
  std::atomic<int> state{kFileSlotFree};
  char path[kMaxRegisteredPathLength + 1];
};
extern RegisteredFileSlot g_registered_files[kMaxRegisteredFiles];

}  // namespace diskferry::internal

#endif  // DISKFERRY_APPLIANCE_CHILD_REGISTRY_SLOTS_H_
