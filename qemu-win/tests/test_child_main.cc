// process_test_child.exe: the program qemu-win/tests/process_win_test.cc spawns.
//   args A B ...          writes each argument (UTF-8) followed by a NUL byte to stdout
//   print OUT ERR         writes OUT to stdout, then ERR to stderr
//   print-sleep TEXT MS   writes TEXT to stdout, then sleeps MS milliseconds
//   fill N                writes N bytes of 'x' to stdout
//   exit N                exits with code N
//   sleep MS              sleeps MS milliseconds, exits 0
//   stdin                 reads stdin to its end, writes "stdin:<bytes read>"
//   env NAME              writes the value of environment variable NAME, or "<unset>"
//   set-event HANDLE      SetEvent() on an inherited handle value: exits 0 if it worked
//   spawn-grandchild      spawns "sleep" through Process, writes "GRANDCHILD=<pid>\n",
//                         then sleeps until killed
//   ctrl-c FILE           registers FILE (child_registry.h), spawns a grandchild like
//                         spawn-grandchild, then sends itself Ctrl-C through a console;
//                         exits 4 when it cannot get a console (wine without a terminal)
// Built with -municode: wmain gets the command line as the MSVCRT parses it, in UTF-16.
// Writes go straight to the handles: no CRT text mode turning "\n" into "\r\n".
#include <windows.h>

#include <cstdlib>
#include <string>

#include "appliance/child_registry.h"
#include "appliance/process.h"

namespace {

std::string ToUtf8(const wchar_t* wide) {
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide, -1, nullptr, 0, nullptr, nullptr);
  if (n <= 1) return {};
  std::string out(static_cast<size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide, -1, out.data(), n, nullptr, nullptr);
  out.pop_back();  // the NUL
  return out;
}

void Write(DWORD which, const std::string& text) {
  DWORD n = 0;
  ::WriteFile(::GetStdHandle(which), text.data(), static_cast<DWORD>(text.size()), &n, nullptr);
}

void Out(const std::string& text) { Write(STD_OUTPUT_HANDLE, text); }

std::string SelfPath() {
  wchar_t path[MAX_PATH * 4];
  const DWORD n = ::GetModuleFileNameW(nullptr, path, sizeof path / sizeof path[0]);
  path[n < sizeof path / sizeof path[0] ? n : 0] = L'\0';
  return ToUtf8(path);
}

// Spawns a sleeping copy of ourselves; our Process (and so the grandchild's handle) is
// kept until we die, which is what the tests arrange.
int SpawnGrandchild(diskferry::Process* grandchild) {
  diskferry::Result<diskferry::Process> p =
      diskferry::Process::Spawn({{SelfPath(), "sleep", "600000"}});
  if (!p.ok()) {
    Out("spawn failed: " + p.status().ToString() + "\n");
    return 1;
  }
  *grandchild = std::move(*p);
  Out("GRANDCHILD=" + std::to_string(grandchild->pid()) + "\n");
  return 0;
}

int CtrlC(const wchar_t* file) {
  diskferry::InstallChildCleanupHandlers();
  if (diskferry::RegisterFile(ToUtf8(file)) < 0) return 3;
  diskferry::Process grandchild;
  if (SpawnGrandchild(&grandchild) != 0) return 1;
  // We were started without a console (CREATE_NO_WINDOW); Ctrl-C needs one. Our process
  // group id is our pid (CREATE_NEW_PROCESS_GROUP), where console Ctrl-C is disabled at
  // start: enable it, as a program run from a terminal has it.
  if (!::AllocConsole()) return 4;
  ::SetConsoleCtrlHandler(nullptr, FALSE);
  if (!::GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)) return 5;
  ::Sleep(30000);  // the default handler ends us long before
  return 6;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc < 2) return 2;
  const std::wstring command = argv[1];
  if (command == L"args") {
    for (int i = 2; i < argc; ++i) Out(ToUtf8(argv[i]) + std::string(1, '\0'));
    return 0;
  }
  if (command == L"print" && argc == 4) {
    Out(ToUtf8(argv[2]));
    Write(STD_ERROR_HANDLE, ToUtf8(argv[3]));
    return 0;
  }
  if (command == L"print-sleep" && argc == 4) {
    Out(ToUtf8(argv[2]));
    ::Sleep(static_cast<DWORD>(std::wcstoul(argv[3], nullptr, 10)));
    return 0;
  }
  if (command == L"fill" && argc == 3) {
    Out(std::string(std::wcstoul(argv[2], nullptr, 10), 'x'));
    return 0;
  }
  if (command == L"exit" && argc == 3) return std::wcstol(argv[2], nullptr, 10);
  if (command == L"sleep" && argc == 3) {
    ::Sleep(static_cast<DWORD>(std::wcstoul(argv[2], nullptr, 10)));
    return 0;
  }
  if (command == L"stdin") {
    size_t total = 0;
    char buf[512];
    DWORD n = 0;
    while (::ReadFile(::GetStdHandle(STD_INPUT_HANDLE), buf, sizeof buf, &n, nullptr) && n > 0) {
      total += n;
    }
    Out("stdin:" + std::to_string(total));
    return 0;
  }
  if (command == L"env" && argc == 3) {
    wchar_t value[1024];
    const DWORD n = ::GetEnvironmentVariableW(argv[2], value, 1024);
    Out(n > 0 && n < 1024 ? ToUtf8(value) : "<unset>");
    return 0;
  }
  if (command == L"set-event" && argc == 3) {
    HANDLE event = reinterpret_cast<HANDLE>(std::wcstoull(argv[2], nullptr, 10));
    return ::SetEvent(event) ? 0 : 1;
  }
  if (command == L"spawn-grandchild") {
    diskferry::Process grandchild;
    if (SpawnGrandchild(&grandchild) != 0) return 1;
    ::Sleep(INFINITE);
  }
  if (command == L"ctrl-c" && argc == 3) return CtrlC(argv[2]);
  return 2;
}
