// Internal to the Windows half of process.h and child_registry.h (process_win.cc,
// child_registry_win.cc): UTF-8/UTF-16 conversion, the quoted command line, program lookup
// in PATH, the kill-on-close job every child joins, and CreateProcessW itself.
// The counterpart of appliance/spawn_posix.h. Tests: qemu-win/tests/process_win_test.cc.
//
// Thread-safe: pure functions; ChildJob() is created once; CreateChild() may run on any
// thread (the handles it is given are inherited by that child alone, see CreateChild).
#ifndef DISKFERRY_QEMU_WIN_SPAWN_WIN_H_
#define DISKFERRY_QEMU_WIN_SPAWN_WIN_H_

#include <windows.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"
#include "qemu-win/win_util.h"

namespace diskferry::internal {

// The exit code TerminateProcess gives a child that Process::Kill() or
// KillRegisteredChildren() ends: 128 + SIGKILL, what a shell reports for a killed command.
inline constexpr UINT kKilledExitCode = 137;

// The command line that the MSVCRT startup code (and CommandLineToArgvW) splits back into
// exactly `argv`. argv[0] is always quoted verbatim: that first token knows no escapes, so
// an argv[0] holding '"' is kInvalidArgument, as is a line longer than CreateProcessW
// takes (32767 characters) or argv text that Utf8ToWide() refuses.
Result<std::wstring> BuildCommandLine(const std::vector<std::string>& argv);

// The file to run for argv[0]. A name with a directory part ('/', '\\' or a drive's ':')
// is used as it is; any other name is searched in the directories of PATH. Either way a
// name without an extension gets ".exe". kNotFound: "NAME: not found in PATH", or
// "NAME: no such executable file".
Result<std::wstring> ResolveProgram(const std::string& name);

// The process-wide job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE. It is created on
// first use and its handle never closed nor inherited, so the system closes it when
// diskferry exits, however it exits, and so kills every process in it. nullptr if it could
// not be created; GetLastError() says why. Defined in child_registry_win.cc.
HANDLE ChildJob();

// The console control handler InstallChildCleanupHandlers() installs: for Ctrl-C,
// Ctrl-Break, console close, logoff and shutdown it kills the registered children and
// deletes the registered files, then returns FALSE so that the default handling ends the
// process. Defined in child_registry_win.cc; tests call it directly.
BOOL WINAPI ChildCleanupCtrlHandler(DWORD event);

struct CreatedChild {
  HANDLE process = nullptr;  // the caller closes it, after UnregisterChild(pid)
  DWORD pid = 0;
};

// Starts `program` with `command_line`: created suspended, assigned to ChildJob(),
// registered (child_registry.h), then resumed; CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW.
// `std_in` and `std_out` (also used as stderr) must be inheritable; the child inherits
// those two handles and no other (PROC_THREAD_ATTRIBUTE_HANDLE_LIST). kIoError (or
// kNotFound) naming the program if any step fails; the child is then already terminated.
Result<CreatedChild> CreateChild(const std::wstring& program, std::wstring command_line,
                                 HANDLE std_in, HANDLE std_out);

}  // namespace diskferry::internal

#endif  // DISKFERRY_QEMU_WIN_SPAWN_WIN_H_
