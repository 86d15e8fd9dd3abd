// Child processes (QEMU): the platform interface. process_posix.cc implements it for
// Linux, qemu-win/process_win.cc for Windows. Nothing here includes a platform header.
//
// Guarantees on Linux, so that no QEMU outlives diskferry or lingers as a zombie:
// - the child gets PR_SET_PDEATHSIG(SIGKILL), so it dies when diskferry dies, even by
//   SIGKILL. Children are forked by one long-lived internal thread, because the kernel
//   delivers that signal when the *thread* that forked exits, not the process;
// - every live child is in the process-wide registry (child_registry.h), which the
//   SIGINT/SIGTERM handler kills before diskferry dies;
// - ~Process() kills (SIGKILL) and reaps a child that is still running;
// - the child starts with stdin on /dev/null, stdout+stderr as SpawnOptions says, and no
//   descriptors other than 0-2 (close_range), so it cannot hold our sockets open; it runs
//   in its own process group, so a terminal's Ctrl-C reaches diskferry, not QEMU.
// Limits: a process that set SIGCHLD to SIG_IGN loses exit statuses (TryWait reports
// ECHILD); a child of ours forked without exec cannot Spawn (no spawner thread there).
//
// Guarantees on Windows, the same in Windows terms:
// - the child is created suspended, put in a process-wide job object with
//   JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE and only then resumed, so it (and anything it
//   starts) dies when diskferry dies, however it dies;
// - every live child is in the registry, which the console Ctrl-C/Ctrl-Break/close
//   handler kills before diskferry exits;
// - ~Process() kills (TerminateProcess) a child still running, waits for it and closes
//   its handle (the pid stays reserved until then, so the registry never hits a reused pid);
// - stdin is NUL, stdout+stderr as SpawnOptions says ("NUL" for kDiscard); the child
//   inherits those handles and no other (PROC_THREAD_ATTRIBUTE_HANDLE_LIST). It gets
//   CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW, so a console Ctrl-C reaches diskferry only.
// - argv is UTF-8, passed as UTF-16 on a command line quoted for the MSVCRT/CommandLineToArgvW
//   rules, so the child's argv matches ours byte for byte. argv[0] may not contain '"'
//   (the first token has no escapes there): kInvalidArgument. A program name without '/'
//   or '\' is looked up in PATH; one without an extension gets ".exe".
// - Windows has no signals: ExitStatus is always Kind::kExited with the exit code, which
//   is 137 (as a shell reports a SIGKILLed command: 128 + 9) for a child that Kill() or
//   KillRegisteredChildren() ended. NTSTATUS crash codes print in hex ("0xC0000005").
//   A kFile output gets the directory's default ACL, not mode 0600.
#ifndef DISKFERRY_APPLIANCE_PROCESS_H_
#define DISKFERRY_APPLIANCE_PROCESS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

struct ExitStatus {
  enum class Kind { kExited, kSignaled };
  Kind kind = Kind::kExited;
  int value = 0;  // exit code, or signal number for kSignaled

  bool success() const { return kind == Kind::kExited && value == 0; }
  // "exited with status 1", "killed by signal 9 (SIGKILL)"
  std::string ToString() const;
  bool operator==(const ExitStatus&) const = default;
};

enum class OutputMode {
  kDiscard,  // stdout and stderr to /dev/null
  kFile,     // both to SpawnOptions::output_path (created or truncated, mode 0600)
  kPipe,     // both to a pipe; read it with Process::ReadOutput()
};

struct SpawnOptions {
  // argv[0] names the program; without a '/', it is looked up in PATH before spawning.
  std::vector<std::string> argv;
  OutputMode output = OutputMode::kDiscard;
  std::string output_path;  // kFile only
};

// Move-only owner of one child process.
// Thread-compatible: one thread at a time per Process; distinct Processes are independent.
class Process {
 public:
  // Starts the program. Errors: kInvalidArgument (empty argv), kNotFound (program not in
  // PATH or not executable), kIoError (output file, fork or exec failed; exec failures
  // are reported with the child's errno).
  static Result<Process> Spawn(const SpawnOptions& options);

  Process() = default;  // owns nothing
  Process(Process&& other) noexcept;
  // Kills and reaps the child this object owned before taking over `other`'s.
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  // True while this object owns a child that has not been reaped.
  bool running() const { return process_ != 0; }
  // The platform process id (also after reaping, for messages); 0 if this object never
  // owned a child or was moved from.
  int64_t pid() const { return last_pid_; }
  // The exit status once reaped.
  const std::optional<ExitStatus>& exit_status() const { return exit_status_; }

  // Sends SIGKILL; does not reap. Ok if the child has already exited or been reaped.
  Status Kill();
  // Reaps the child if it has exited: its status, or std::nullopt while it runs.
  // Errors: kFailedPrecondition when nothing was ever spawned, kIoError from waitid().
  Result<std::optional<ExitStatus>> TryWait();
  // Waits up to `timeout` for the child to exit and reaps it. kTimeout if it is still
  // running (it is neither killed nor reaped then).
  Result<ExitStatus> Wait(std::chrono::milliseconds timeout);
  // Kill() then Wait(timeout): the way to end a child for sure.
  Result<ExitStatus> KillAndWait(std::chrono::milliseconds timeout);

  // OutputMode::kPipe only: reads until the child closes its output (EOF) or `timeout`
  // passes, returning what arrived (kTimeout is not an error here: partial output).
  Result<std::string> ReadOutput(std::chrono::milliseconds timeout);

 private:
  // Platform handles are kept as integers so that this header needs no platform header.
  Process(intptr_t process, int64_t pid, intptr_t output);
  void Reset();  // kill + reap + close; leaves the object empty

  // Linux: the pid; Windows: the process HANDLE. Nonzero while owned and not reaped.
  intptr_t process_ = 0;
  int64_t last_pid_ = 0;
  // Read end of the pipe for OutputMode::kPipe (a descriptor, or a HANDLE); -1 if none.
  intptr_t output_ = -1;
  std::optional<ExitStatus> exit_status_;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_PROCESS_H_
