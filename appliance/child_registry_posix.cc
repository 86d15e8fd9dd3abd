#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "appliance/child_registry.h"
#include "appliance/child_registry_slots.h"

namespace diskferry {
namespace {

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

void CleanupHandler(int sig) {
  const int saved_errno = errno;
  KillRegisteredChildren();
  UnlinkRegisteredFiles();
  // Restore the default action and re-raise, so our parent sees "killed by SIGINT".
  // The signal is blocked while this handler runs and is delivered when it returns.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  ::raise(sig);
  errno = saved_errno;
}

void InstallOnce() {
  for (const int sig : kCleanupSignals) {
    struct sigaction old = {};
    if (::sigaction(sig, nullptr, &old) != 0) continue;
    const bool is_default = !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL;
    if (!is_default) continue;  // the program ignores or handles it: leave it alone
    struct sigaction sa = {};
    sa.sa_handler = CleanupHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(sig, &sa, nullptr);
  }
}

}  // namespace

void KillRegisteredChildren() {
  for (const std::atomic<int>& slot : internal::g_registered_children) {
    const int pid = slot.load();
    if (pid > 0) ::kill(pid, SIGKILL);
  }
}

void UnlinkRegisteredFiles() {
  for (internal::RegisteredFileSlot& f : internal::g_registered_files) {
    if (f.state.load(std::memory_order_acquire) == internal::kFileSlotReady) ::unlink(f.path);
  }
}

void InstallChildCleanupHandlers() {
  static std::once_flag once;
  std::call_once(once, InstallOnce);
}

}  // namespace diskferry
