// Internal to process_posix.cc: forking a prepared child from one long-lived thread.
//
// PR_SET_PDEATHSIG fires when the thread that forked the child exits, not when the
// process does. diskferry spawns QEMU from pool threads that may come and go, so every
// fork happens on a dedicated thread that lives until the process exits.
//
// Thread-safe: any thread may call ForkOnSpawnerThread().
#ifndef DISKFERRY_APPLIANCE_SPAWN_POSIX_H_
#define DISKFERRY_APPLIANCE_SPAWN_POSIX_H_

#include <string>
#include <vector>

#include "protocol/status.h"

namespace diskferry::internal {

// Everything the child needs, prepared before fork() so the child calls only
// async-signal-safe functions.
struct ChildPlan {
  std::string program;  // absolute or relative path, already resolved
  std::vector<std::string> argv;
  int stdout_fd = -1;      // dup'ed onto 1 and 2; -1: /dev/null
  int exec_error_fd = -1;  // write end of a CLOEXEC pipe: errno if exec fails
};

// Forks on the spawner thread; the child sets PR_SET_PDEATHSIG(SIGKILL), moves to its own
// process group, resets its signal mask, wires stdio, closes other descriptors and
// execs. Returns the pid, already registered in child_registry.h, or kIoError if fork()
// failed. Waits at most a few seconds for the spawner thread.
Result<int> ForkOnSpawnerThread(const ChildPlan& plan);

}  // namespace diskferry::internal

#endif  // DISKFERRY_APPLIANCE_SPAWN_POSIX_H_
