#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>

#include "appliance/child_registry.h"
#include "appliance/process.h"
#include "appliance/spawn_posix.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;

// A SIGKILLed child normally vanishes in microseconds; one stuck in uninterruptible I/O
// is left to init rather than hang a destructor.
constexpr std::chrono::seconds kReapAfterKillTimeout(10);
constexpr int kExecWaitMs = 30000;

class Fd {  // closes on scope exit
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

Result<std::string> ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (IsExecutableFile(name)) return name;
    return Status(Code::kNotFound, name + ": no such executable file");
  }
  const char* path_env = std::getenv("PATH");
  std::string_view dirs = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Status(Code::kNotFound, name + ": not found in PATH");
}

ExitStatus FromWaitStatus(int status) {
  if (WIFSIGNALED(status)) return {ExitStatus::Kind::kSignaled, WTERMSIG(status)};
  return {ExitStatus::Kind::kExited, WEXITSTATUS(status)};
}

// Reads the child's exec errno, if any: EOF means exec succeeded (the pipe was CLOEXEC).
Result<int> ReadExecError(int fd) {
  pollfd p{fd, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, kExecWaitMs);
  while (r < 0 && errno == EINTR);
  if (r == 0) return Status(Code::kTimeout, "child neither exec'ed nor failed in time");
  int err = 0;
  ssize_t n;
  do n = ::read(fd, &err, sizeof err);
  while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

Result<Fd> OpenOutput(const SpawnOptions& options, Fd* pipe_read) {
  if (options.output == OutputMode::kFile) {
    const int fd =
        ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus(errno, "open " + options.output_path);
    return Fd(fd);
  }
  if (options.output == OutputMode::kPipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
    *pipe_read = Fd(fds[0]);
    return Fd(fds[1]);
  }
  return Fd();
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (kind == Kind::kExited) return "exited with status " + std::to_string(value);
  const char* abbrev = ::sigabbrev_np(value);
  return "killed by signal " + std::to_string(value) +
         (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
}

Result<Process> Process::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return Status(Code::kInvalidArgument, "spawn: empty argv");
  Result<std::string> program = ResolveProgram(options.argv[0]);
  if (!program.ok()) return program.status();
  Fd pipe_read;
  Result<Fd> out = OpenOutput(options, &pipe_read);
  if (!out.ok()) return out.status();
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  const internal::ChildPlan plan{*program, options.argv, out->get(), err_write.get()};
  Result<int> pid = internal::ForkOnSpawnerThread(plan);
  if (!pid.ok()) return pid.status();
  err_write.Reset();
  out->Reset();
  Process child(*pid, *pid, pipe_read.Release());
  Result<int> exec_errno = ReadExecError(err_read.get());
  if (exec_errno.ok() && *exec_errno == 0) return child;
  child.Reset();
  if (!exec_errno.ok()) return exec_errno.status();
  return ErrnoStatus(*exec_errno, "exec " + *program);
}

Process::Process(intptr_t process, int64_t pid, intptr_t output)
    : process_(process), last_pid_(pid), output_(output) {}

Process::Process(Process&& other) noexcept
    : process_(std::exchange(other.process_, 0)),
      last_pid_(std::exchange(other.last_pid_, 0)),
      output_(std::exchange(other.output_, -1)),
      exit_status_(std::exchange(other.exit_status_, std::nullopt)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this == &other) return *this;
  Reset();
  process_ = std::exchange(other.process_, 0);
  last_pid_ = std::exchange(other.last_pid_, 0);
  output_ = std::exchange(other.output_, -1);
  exit_status_ = std::exchange(other.exit_status_, std::nullopt);
  return *this;
}

Process::~Process() { Reset(); }

void Process::Reset() {
  if (process_ > 0) {
    Result<ExitStatus> s = KillAndWait(kReapAfterKillTimeout);
    if (!s.ok()) {
      std::fprintf(stderr, "diskferry: child %lld not reaped: %s\n",
                   static_cast<long long>(last_pid_), s.status().ToString().c_str());
      process_ = 0;  // still registered, so the signal handler can kill it
    }
  }
  if (output_ >= 0) ::close(static_cast<int>(output_));
  output_ = -1;
}

Status Process::Kill() {
  if (process_ > 0 && ::kill(static_cast<pid_t>(process_), SIGKILL) != 0 && errno != ESRCH) {
    return ErrnoStatus(errno, "kill " + std::to_string(last_pid_));
  }
  return Status::Ok();
}

Result<std::optional<ExitStatus>> Process::TryWait() {
  if (process_ <= 0) {
    if (exit_status_) return exit_status_;
    return Status(Code::kFailedPrecondition, "no child process");
  }
  // Peek without reaping, so the pid leaves the registry before it can be recycled.
  siginfo_t info = {};
  int r;
  const pid_t pid = static_cast<pid_t>(process_);
  do r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    const int err = errno;
    UnregisterChild(pid);
    process_ = 0;  // ECHILD: reaped elsewhere (SIGCHLD ignored?); never signal it again
    return ErrnoStatus(err, "waitid " + std::to_string(last_pid_));
  }
  if (info.si_pid == 0) return std::optional<ExitStatus>();
  UnregisterChild(pid);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  process_ = 0;
  exit_status_ = FromWaitStatus(status);
  return exit_status_;
}

Result<ExitStatus> Process::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto nap = std::chrono::milliseconds(1);
  for (;;) {
    Result<std::optional<ExitStatus>> s = TryWait();
    if (!s.ok()) return s.status();
    if (s->has_value()) return **s;
    if (Clock::now() >= deadline) {
      return Status(Code::kTimeout, "process " + std::to_string(last_pid_) +
                                        " still running after " + std::to_string(timeout.count()) +
                                        " ms");
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(nap, deadline - Clock::now()));
    nap = std::min(nap * 2, std::chrono::milliseconds(20));
  }
}

Result<ExitStatus> Process::KillAndWait(std::chrono::milliseconds timeout) {
  if (Status s = Kill(); !s.ok()) return s;
  return Wait(timeout);
}

Result<std::string> Process::ReadOutput(std::chrono::milliseconds timeout) {
  if (output_ < 0) return Status(Code::kFailedPrecondition, "process output is not a pipe");
  const auto deadline = Clock::now() + timeout;
  std::string out;
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return out;
    const int fd = static_cast<int>(output_);
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) return ErrnoStatus(errno, "poll child output");
    if (r <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno != EINTR && errno != EAGAIN) return ErrnoStatus(errno, "read child output");
    if (n == 0) return out;
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace diskferry
