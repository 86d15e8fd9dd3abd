// The Windows half of sinks/host_system.h.
#include <windows.h>
#include <psapi.h>

#include <cstdio>

#include "sinks/host_system.h"
#include "qemu-win/files_win.h"

namespace diskferry {
namespace {

// What a shell reports for a SIGKILLed command, as Process::Kill gives (appliance/process.h).
constexpr UINT kKilledExitCode = 137;

// The console behind `stream`, or nullptr when it writes elsewhere (a file, a pipe).
HANDLE ConsoleOf(FILE* stream) {
  const HANDLE h = internal::HandleOfFd(::_fileno(stream));
  DWORD mode = 0;
  return h != INVALID_HANDLE_VALUE && ::GetConsoleMode(h, &mode) ? h : nullptr;
}

}  // namespace

std::string HostName() {
  wchar_t name[256];
  DWORD size = sizeof name / sizeof name[0];
  if (!::GetComputerNameExW(ComputerNameDnsHostname, name, &size)) return "";
  return internal::WideToUtf8(std::wstring_view(name, size));
}

// The commit charge (PagefileUsage, the same figure as PrivateUsage, which wine leaves at
// 0): the memory only this process uses, which is what grows with the files in flight (the
// lanes' shared memory is not in it).
uint64_t AnonymousMemoryKib() {
  PROCESS_MEMORY_COUNTERS counters{};
  counters.cb = sizeof counters;
  if (!::GetProcessMemoryInfo(::GetCurrentProcess(), &counters, sizeof counters)) return 0;
  return counters.PagefileUsage / 1024;
}

std::optional<uint64_t> AvailableMemoryMib() {
  MEMORYSTATUSEX status{};
  status.dwLength = sizeof status;
  if (!::GlobalMemoryStatusEx(&status)) return std::nullopt;
  return status.ullAvailPhys / (1024 * 1024);
}

void KillProcessNow(int64_t pid) {
  if (pid <= 0 || pid > MAXDWORD) return;
  const HANDLE h = ::OpenProcess(PROCESS_TERMINATE, FALSE, static_cast<DWORD>(pid));
  if (h == nullptr) return;
  ::TerminateProcess(h, kKilledExitCode);
  ::CloseHandle(h);
}

std::optional<size_t> TerminalColumns(FILE* stream) {
  const HANDLE console = ConsoleOf(stream);
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (console == nullptr || !::GetConsoleScreenBufferInfo(console, &info)) return std::nullopt;
  const int columns = info.srWindow.Right - info.srWindow.Left + 1;
  if (columns <= 0) return std::nullopt;
  return static_cast<size_t>(columns);
}

bool EnableTerminalEscapes(FILE* stream) {
  const HANDLE console = ConsoleOf(stream);
  DWORD mode = 0;
  if (console == nullptr || !::GetConsoleMode(console, &mode)) return false;
  if ((mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0) return true;
  return ::SetConsoleMode(console, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

}  // namespace diskferry
