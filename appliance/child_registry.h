// The process-wide registry of live children (QEMUs) and the SIGINT/SIGTERM handler that
// kills them before diskferry dies. Process (process.h) registers every child it spawns
// and unregisters it just before reaping it, so the handler never signals a recycled pid.
//
// This is the second line of defence: PR_SET_PDEATHSIG already kills each child when
// diskferry dies. The handler makes the children die first, so a Ctrl-C leaves nothing
// behind even for a moment, and covers a child whose death signal was lost.
//
// The same handler unlinks registered files: the /dev/shm region of an appliance still
// launching (256 MiB of RAM each) would otherwise outlive a Ctrl-C.
//
// Thread-safe and async-signal-safe: fixed arrays of atomics, no locks, no allocation.
#ifndef DISKFERRY_APPLIANCE_CHILD_REGISTRY_H_
#define DISKFERRY_APPLIANCE_CHILD_REGISTRY_H_

#include <cstddef>
#include <string_view>

namespace diskferry {

// At most this many children are tracked at once; beyond it RegisterChild() fails and the
// child relies on PR_SET_PDEATHSIG alone.
inline constexpr size_t kMaxRegisteredChildren = 256;

// Returns false when the registry is full. `pid` must be > 0.
bool RegisterChild(int pid);
// No-op if `pid` is not registered.
void UnregisterChild(int pid);
// Number of registered pids (for tests and diagnostics).
size_t RegisteredChildCount();

// SIGKILLs every registered child. Async-signal-safe: a program with its own SIGINT or
// SIGTERM handler calls this from it.
void KillRegisteredChildren();

inline constexpr size_t kMaxRegisteredFiles = 64;
inline constexpr size_t kMaxRegisteredPathLength = 127;

// Registers a file to unlink if a signal ends diskferry. Returns a slot for
// UnregisterFile(), or -1 when the registry is full or the path is too long (the file is
// then left to RemoveStaleShmFiles()).
int RegisterFile(std::string_view path);
// Forgets the slot (after the file was removed or must now survive). No-op for -1.
void UnregisterFile(int slot);
// Unlinks every registered file. Async-signal-safe, like KillRegisteredChildren().
void UnlinkRegisteredFiles();

// For SIGINT, SIGTERM and SIGHUP whose disposition is still the default (the signal would
// kill us), installs a handler that calls KillRegisteredChildren() and
// UnlinkRegisteredFiles(), restores the default disposition and re-raises the signal, so
// the exit status is unchanged. Signals the program ignores or handles itself are left
// alone. Idempotent; Process::Spawn and ShmRegion::Create call it.
void InstallChildCleanupHandlers();

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CHILD_REGISTRY_H_
