#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "appliance/child_registry.h"
#include "protocol/check.h"

namespace diskferry {
namespace {

// 0 marks a free slot. Lock-free atomics are async-signal-safe to load and store.
std::atomic<int> g_children[kMaxRegisteredChildren];
static_assert(std::atomic<int>::is_always_lock_free);

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

// A slot is free, being filled by RegisterFile(), or ready; the handler reads ready ones.
enum FileSlotState : int { kFree = 0, kFilling = 1, kReady = 2 };
struct FileSlot {
  std::atomic<int> state{kFree};
  char path[kMaxRegisteredPathLength + 1];
};
FileSlot g_files[kMaxRegisteredFiles];

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

int RegisterFile(std::string_view path) {
  if (path.empty() || path.size() > kMaxRegisteredPathLength) return -1;
  for (size_t i = 0; i < kMaxRegisteredFiles; ++i) {
    int expected = kFree;
    if (!g_files[i].state.compare_exchange_strong(expected, kFilling)) continue;
    std::memcpy(g_files[i].path, path.data(), path.size());
    g_files[i].path[path.size()] = '\0';
    g_files[i].state.store(kReady, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;
}

void UnregisterFile(int slot) {
  if (slot >= 0 && static_cast<size_t>(slot) < kMaxRegisteredFiles)
    g_files[slot].state.store(kFree);
}

void UnlinkRegisteredFiles() {
  for (FileSlot& f : g_files) {
    if (f.state.load(std::memory_order_acquire) == kReady) ::unlink(f.path);
  }
}

void InstallChildCleanupHandlers() {
  static std::once_flag once;
  std::call_once(once, InstallOnce);
}

}  // namespace diskferry
