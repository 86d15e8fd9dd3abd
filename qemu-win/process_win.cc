// The Windows half of appliance/process.h. Process keeps the process HANDLE (and the pipe's
// read end) as an intptr_t; spawn_win.cc builds the command line and creates the child.
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <utility>

#include "appliance/child_registry.h"
#include "appliance/process.h"
#include "qemu-win/spawn_win.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;

// A terminated process normally vanishes in milliseconds; one stuck in a driver call is
// left to the job object rather than hang a destructor.
constexpr std::chrono::seconds kReapAfterKillTimeout(10);
// QEMU's console output arrives in bursts; 64 KiB (a Linux pipe's size) keeps it from
// blocking on a reader that polls.
constexpr DWORD kPipeBufferSize = 64 * 1024;
constexpr intptr_t kNoOutput = -1;

using internal::UniqueHandle;

HANDLE AsHandle(intptr_t value) { return reinterpret_cast<HANDLE>(value); }
intptr_t FromHandle(HANDLE handle) { return reinterpret_cast<intptr_t>(handle); }

// The child's ends are created inheritable; CreateChild() lists them, so only it gets them.
SECURITY_ATTRIBUTES Inheritable() { return {sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE}; }

Result<UniqueHandle> OpenNul(DWORD access) {
  SECURITY_ATTRIBUTES sa = Inheritable();
  UniqueHandle nul(::CreateFileW(L"NUL", access, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!nul) return internal::WinErrorStatus(::GetLastError(), "open NUL");
  return nul;
}

Result<UniqueHandle> OpenOutput(const SpawnOptions& options, UniqueHandle* pipe_read) {
  if (options.output == OutputMode::kFile) {
    Result<std::wstring> path = internal::Utf8ToWide(options.output_path, "output path");
    if (!path.ok()) return path.status();
    SECURITY_ATTRIBUTES sa = Inheritable();
    // Shared for delete too: a reader may remove a log while the child still writes it.
    UniqueHandle file(::CreateFileW(path->c_str(), GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa,
                              CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!file) return internal::WinErrorStatus(::GetLastError(), "open " + options.output_path);
    return file;
  }
  if (options.output == OutputMode::kPipe) {
    HANDLE read = nullptr, write = nullptr;
    if (!::CreatePipe(&read, &write, nullptr, kPipeBufferSize)) {
      return internal::WinErrorStatus(::GetLastError(), "pipe");
    }
    *pipe_read = UniqueHandle(read);
    UniqueHandle child_end(write);
    if (!::SetHandleInformation(write, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) {
      return internal::WinErrorStatus(::GetLastError(), "pipe");
    }
    return child_end;
  }
  return OpenNul(GENERIC_WRITE);
}

std::string TimeoutMessage(int64_t pid, std::chrono::milliseconds timeout) {
  return "process " + std::to_string(pid) + " still running after " +
         std::to_string(timeout.count()) + " ms";
}

}  // namespace

std::string ExitStatus::ToString() const {
  // Windows has no signals; kSignaled only appears in values built by hand.
  if (kind == Kind::kSignaled) return "killed by signal " + std::to_string(value);
  const auto code = static_cast<uint32_t>(value);
  if (code >= 0xC0000000u) {  // an NTSTATUS error (a crash): read as hex everywhere
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(code));
    return std::string("exited with status ") + hex;
  }
  return "exited with status " + std::to_string(value);
}

Result<Process> Process::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return Status(Code::kInvalidArgument, "spawn: empty argv");
  Result<std::wstring> program = internal::ResolveProgram(options.argv[0]);
  if (!program.ok()) return program.status();
  Result<std::wstring> command_line = internal::BuildCommandLine(options.argv);
  if (!command_line.ok()) return command_line.status();
  Result<UniqueHandle> in = OpenNul(GENERIC_READ);
  if (!in.ok()) return in.status();
  UniqueHandle pipe_read;
  Result<UniqueHandle> out = OpenOutput(options, &pipe_read);
  if (!out.ok()) return out.status();
  InstallChildCleanupHandlers();
  Result<internal::CreatedChild> child =
      internal::CreateChild(*program, std::move(*command_line), in->get(), out->get());
  if (!child.ok()) return child.status();
  // Our copies of the child's ends close here, so its exit is the pipe's EOF.
  return Process(FromHandle(child->process), child->pid,
                 pipe_read ? FromHandle(pipe_read.Release()) : kNoOutput);
}

Process::Process(intptr_t process, int64_t pid, intptr_t output)
    : process_(process), last_pid_(pid), output_(output) {}

Process::Process(Process&& other) noexcept
    : process_(std::exchange(other.process_, 0)),
      last_pid_(std::exchange(other.last_pid_, 0)),
      output_(std::exchange(other.output_, kNoOutput)),
      exit_status_(std::exchange(other.exit_status_, std::nullopt)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this == &other) return *this;
  Reset();
  process_ = std::exchange(other.process_, 0);
  last_pid_ = std::exchange(other.last_pid_, 0);
  output_ = std::exchange(other.output_, kNoOutput);
  exit_status_ = std::exchange(other.exit_status_, std::nullopt);
  return *this;
}

Process::~Process() { Reset(); }

void Process::Reset() {
  if (process_ != 0) {
    Result<ExitStatus> s = KillAndWait(kReapAfterKillTimeout);
    if (!s.ok()) {
      std::fprintf(stderr, "diskferry: child %lld not reaped: %s\n",
                   static_cast<long long>(last_pid_), s.status().ToString().c_str());
      // The handle stays open on purpose: it keeps the pid from being reused while the
      // registry may still terminate it. The job object kills the child when we exit.
      process_ = 0;
    }
  }
  if (output_ != kNoOutput) ::CloseHandle(AsHandle(output_));
  output_ = kNoOutput;
}

Status Process::Kill() {
  if (process_ == 0) return Status::Ok();
  HANDLE process = AsHandle(process_);
  if (::TerminateProcess(process, internal::kKilledExitCode)) return Status::Ok();
  const DWORD error = ::GetLastError();
  // An exited process refuses termination (access denied): there is nothing left to kill.
  if (::WaitForSingleObject(process, 0) == WAIT_OBJECT_0) return Status::Ok();
  return internal::WinErrorStatus(error, "TerminateProcess " + std::to_string(last_pid_));
}

Result<std::optional<ExitStatus>> Process::TryWait() {
  if (process_ == 0) {
    if (exit_status_) return exit_status_;
    return Status(Code::kFailedPrecondition, "no child process");
  }
  HANDLE process = AsHandle(process_);
  const DWORD r = ::WaitForSingleObject(process, 0);
  if (r == WAIT_TIMEOUT) return std::optional<ExitStatus>();
  if (r != WAIT_OBJECT_0) {
    return internal::WinErrorStatus(::GetLastError(), "wait for " + std::to_string(last_pid_));
  }
  DWORD code = 0;
  if (!::GetExitCodeProcess(process, &code)) {
    return internal::WinErrorStatus(::GetLastError(), "exit code of " + std::to_string(last_pid_));
  }
  // Unregister while the handle still pins the pid, so the registry never sees it reused.
  UnregisterChild(static_cast<int>(last_pid_));
  ::CloseHandle(process);
  process_ = 0;
  exit_status_ = ExitStatus{ExitStatus::Kind::kExited, static_cast<int>(code)};
  return exit_status_;
}

Result<ExitStatus> Process::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (process_ != 0) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    // WaitForSingleObject may return a timer tick early: the deadline decides, not it.
    const DWORD wait_ms = static_cast<DWORD>(std::clamp<int64_t>(left, 0, INFINITE - 1));
    const DWORD r = ::WaitForSingleObject(AsHandle(process_), wait_ms);
    if (r == WAIT_OBJECT_0) break;
    if (r != WAIT_TIMEOUT) {
      return internal::WinErrorStatus(::GetLastError(), "wait for " + std::to_string(last_pid_));
    }
    if (Clock::now() >= deadline) return Status(Code::kTimeout, TimeoutMessage(last_pid_, timeout));
  }
  Result<std::optional<ExitStatus>> s = TryWait();
  if (!s.ok()) return s.status();
  if (!s->has_value()) return Status(Code::kTimeout, TimeoutMessage(last_pid_, timeout));
  return **s;
}

Result<ExitStatus> Process::KillAndWait(std::chrono::milliseconds timeout) {
  if (Status s = Kill(); !s.ok()) return s;
  return Wait(timeout);
}

// Anonymous pipes have no overlapped I/O and no wait with a timeout, so this polls
// PeekNamedPipe and reads only what it says is there (a read never blocks).
Result<std::string> Process::ReadOutput(std::chrono::milliseconds timeout) {
  if (output_ == kNoOutput) {
    return Status(Code::kFailedPrecondition, "process output is not a pipe");
  }
  HANDLE pipe = AsHandle(output_);
  const auto deadline = Clock::now() + timeout;
  auto nap = std::chrono::milliseconds(1);
  std::string out;
  char buf[4096];
  for (;;) {
    if (Clock::now() >= deadline) return out;
    DWORD available = 0;
    if (!::PeekNamedPipe(pipe, nullptr, 0, nullptr, &available, nullptr)) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_BROKEN_PIPE) return out;  // every writer is gone and all was read
      return internal::WinErrorStatus(error, "read child output");
    }
    if (available == 0) {
      std::this_thread::sleep_for(std::min<Clock::duration>(nap, deadline - Clock::now()));
      nap = std::min(nap * 2, std::chrono::milliseconds(20));
      continue;
    }
    DWORD n = 0;
    const DWORD want = std::min<DWORD>(available, sizeof buf);
    if (!::ReadFile(pipe, buf, want, &n, nullptr)) {
      const DWORD error = ::GetLastError();
      if (error == ERROR_BROKEN_PIPE) return out;
      return internal::WinErrorStatus(error, "read child output");
    }
    out.append(buf, n);
    nap = std::chrono::milliseconds(1);
  }
}

}  // namespace diskferry
