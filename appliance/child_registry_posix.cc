#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "appliance/child_registry.h"
#include "protocol/check.h"

namespace diskferry {
namespace {

// 0 marks a free slot. Lock-free atomics are async-signal-safe to load and store.
std::atomic<int> g_children[kMaxRegisteredChildren];
static_assert(std::atomic<int>::is_always_lock_free);

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

void CleanupHandler(int sig) {
  const int saved_errno = errno;
  KillRegisteredChildren();
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

bool RegisterChild(int pid) {
  DF_CHECK(pid > 0);
  for (std::atomic<int>& slot : g_children) {
    int expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) return true;
  }
  return false;
}

void UnregisterChild(int pid) {
  for (std::atomic<int>& slot : g_children) {
    int expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

size_t RegisteredChildCount() {
  size_t n = 0;
  for (const std::atomic<int>& slot : g_children) n += slot.load() > 0 ? 1 : 0;
  return n;
}

void KillRegisteredChildren() {
  for (const std::atomic<int>& slot : g_children) {
    const int pid = slot.load();
    if (pid > 0) ::kill(pid, SIGKILL);
  }
}

void InstallChildCleanupHandlers() {
  static std::once_flag once;
  std::call_once(once, InstallOnce);
}

}  // namespace diskferry
