// The Windows half of appliance/child_registry.h, and the kill-on-close job object that
// plays PR_SET_PDEATHSIG's part (spawn_win.h).
//
// The console control handler runs on a thread the system starts for it, not in a signal
// context; the registry stays lock-free and allocation-free anyway, so the handler cannot
// wait on a lock that the interrupted program holds.
#include <windows.h>

#include <atomic>
#include <cstring>
#include <mutex>

#include "appliance/child_registry.h"
#include "appliance/child_registry_slots.h"
#include "qemu-win/spawn_win.h"

namespace diskferry {
namespace {

struct Job {
  HANDLE handle = nullptr;
  DWORD error = 0;  // why handle is nullptr
};

Job CreateKillOnCloseJob() {
  // Not inheritable: a child holding it would keep the job, and so itself, alive.
  HANDLE job = ::CreateJobObjectW(nullptr, nullptr);
  if (job == nullptr) return {nullptr, ::GetLastError()};
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!::SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                                 sizeof limits)) {
    const DWORD error = ::GetLastError();
    ::CloseHandle(job);
    return {nullptr, error};
  }
  return {job, 0};
}

}  // namespace

namespace internal {

HANDLE ChildJob() {
  static const Job job = CreateKillOnCloseJob();
  if (job.handle == nullptr) ::SetLastError(job.error);
  return job.handle;
}

}  // namespace internal

// A registered pid cannot have been reused: its Process holds the process handle until
// after UnregisterChild(), and Windows keeps a pid while any handle to it is open.
void KillRegisteredChildren() {
  for (const std::atomic<int>& slot : internal::g_registered_children) {
    const int pid = slot.load();
    if (pid <= 0) continue;
    HANDLE process = ::OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(pid));
    if (process == nullptr) continue;  // already gone
    ::TerminateProcess(process, internal::kKilledExitCode);
    ::CloseHandle(process);
  }
}

void UnlinkRegisteredFiles() {
  // UTF-16 never needs more code units than UTF-8 has bytes: a stack buffer is enough.
  wchar_t wide[kMaxRegisteredPathLength + 1];
  for (internal::RegisteredFileSlot& f : internal::g_registered_files) {
    if (f.state.load(std::memory_order_acquire) != internal::kFileSlotReady) continue;
    const int n = ::MultiByteToWideChar(CP_UTF8, 0, f.path, -1, wide,
                                        static_cast<int>(kMaxRegisteredPathLength + 1));
    if (n > 0) ::DeleteFileW(wide);
  }
}

namespace internal {

BOOL WINAPI ChildCleanupCtrlHandler(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      KillRegisteredChildren();
      UnlinkRegisteredFiles();
      break;
    default:
      break;
  }
  // Not handled: the next handler (in the end the default one, ExitProcess) decides how we
  // end, so the exit status is what it would have been without us.
  return FALSE;
}

}  // namespace internal

void InstallChildCleanupHandlers() {
  static std::once_flag once;
  std::call_once(once, [] { ::SetConsoleCtrlHandler(internal::ChildCleanupCtrlHandler, TRUE); });
}

}  // namespace diskferry
