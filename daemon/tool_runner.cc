#include "daemon/tool_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <utility>

#include "daemon/scoped_fd.h"
#include "daemon/storage_disk.h"

namespace diskferry::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// A SIGKILLed process that does not die within this is stuck in the kernel (D state).
constexpr std::chrono::seconds kKillGrace(5);
constexpr size_t kReadChunk = 64 * 1024;

struct ToolSpec {
  std::string_view name;
  std::string_view package;
};
constexpr ToolSpec kTools[] = {
    {"cache_check", "thin-provisioning-tools"},
    {"cryptsetup", "cryptsetup-bin"},
    {"dmsetup", "dmsetup"},
    {"fls", "sleuthkit"},
    {"icat", "sleuthkit"},
    {"lvm", "lvm2"},
    {"mdadm", "mdadm"},
    {"ntfs-3g", "ntfs-3g"},
    {"thin_check", "thin-provisioning-tools"},
};

struct Pipe {
  ScopedFd read, write;
};

OpResult<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2");
  return Pipe{ScopedFd(fds[0]), ScopedFd(fds[1])};
}

// Blocks SIGPIPE in this thread for its lifetime, and discards a SIGPIPE that became
// pending meanwhile (one that was pending before is left alone).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

// Makes `fd` the child's descriptor `target`, inheritable across execve.
void MoveTo(int fd, int target) {
  if (fd == target) {
    ::fcntl(fd, F_SETFD, 0);
  } else {
    ::dup2(fd, target);  // the copy does not inherit O_CLOEXEC
  }
}

// In the forked child: async-signal-safe calls only (the daemon has other threads).
[[noreturn]] void ExecChild(char* const* argv, char* const* envp, int in, int out, int err,
                            int report) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Ignored signals stay ignored across execve; the daemon ignores SIGPIPE.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  MoveTo(in, 0);
  MoveTo(out, 1);
  MoveTo(err, 2);
  // Every other descriptor closes at execve, the report pipe only then, so that the
  // parent reads EOF on success or our errno on failure.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const rlim_t last = std::min<rlim_t>(limit.rlim_cur, 1 << 16);
    for (rlim_t fd = 3; fd < last; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }
  if (::chdir("/") == 0) ::execve(argv[0], argv, envp);
  const int error = errno;
  ssize_t ignored = ::write(report, &error, sizeof error);
  (void)ignored;
  ::_exit(127);
}

// The errno the child reported before exiting, or 0 once execve succeeded.
int ReadExecError(int report) {
  int error = 0;
  ssize_t n;
  do {
    n = ::read(report, &error, sizeof error);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof error) ? error : 0;
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits up to `limit` for the pidfd to say the child exited, then reaps it.
int ReapWithin(pid_t pid, int pidfd, std::chrono::milliseconds limit) {
  pollfd p{pidfd, POLLIN, 0};
  const auto deadline = Clock::now() + limit;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (n > 0) break;
    if (n == 0) return -1;
    if (errno != EINTR) return -1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return ExitCodeOf(status);
}

// Appends what `fd` has to `sink` (up to `cap`, the rest dropped). False at EOF or error.
bool Drain(int fd, std::string* sink, size_t cap) {
  char buffer[kReadChunk];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  const size_t room = cap - std::min(cap, sink->size());
  sink->append(buffer, std::min(room, static_cast<size_t>(n)));
  return true;
}

// The parent's side while the child runs: feeds stdin, collects stdout and stderr, and
// watches the pidfd. Returns false when the deadline passed first.
struct Session {
  ScopedFd in, out, err;
  int pidfd = -1;
  pid_t pid = -1;
  std::string_view input;
  size_t cap = 0;
  ToolLeftovers leftovers = ToolLeftovers::kKill;
  bool exited = false;

  bool Run(ToolOutcome* outcome, Clock::time_point deadline) {
    if (input.empty()) in.reset();
    while (out.valid() || err.valid() || !exited) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd fds[4];
      int n = 0;
      const int in_at = in.valid() ? n++ : -1;
      if (in_at >= 0) fds[in_at] = {in.get(), POLLOUT, 0};
      const int out_at = out.valid() ? n++ : -1;
      if (out_at >= 0) fds[out_at] = {out.get(), POLLIN, 0};
      const int err_at = err.valid() ? n++ : -1;
      if (err_at >= 0) fds[err_at] = {err.get(), POLLIN, 0};
      const int pid_at = exited ? -1 : n++;
      if (pid_at >= 0) fds[pid_at] = {pidfd, POLLIN, 0};
      if (::poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30))) < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      if (in_at >= 0 && fds[in_at].revents != 0) Feed();
      if (out_at >= 0 && fds[out_at].revents != 0 && !Drain(out.get(), &outcome->out, cap)) {
        out.reset();
      }
      if (err_at >= 0 && fds[err_at].revents != 0 && !Drain(err.get(), &outcome->err, cap)) {
        err.reset();
      }
      if (pid_at >= 0 && fds[pid_at].revents != 0) {
        exited = true;
        // What the tool left running in its group would hold our pipes open; the tool
        // itself is a zombie until reaped, so its pid (the group's id) is still ours.
        if (leftovers == ToolLeftovers::kKill) ::kill(-pid, SIGKILL);
      }
    }
    return true;
  }

  void Feed() {
    const ssize_t n = ::write(in.get(), input.data(), input.size());
    if (n > 0) input.remove_prefix(static_cast<size_t>(n));
    // EPIPE: the tool closed its stdin; what it did not read is not ours to insist on.
    if (input.empty() || (n < 0 && errno != EINTR && errno != EAGAIN)) in.reset();
  }
};

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

const std::vector<std::string>& ToolEnvironment() {
  static const std::vector<std::string> kEnvironment = {
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LVM_SUPPRESS_FD_WARNINGS=1", "DM_DISABLE_UDEV=1"};
  return kEnvironment;
}

OpResult<ToolOutcome> RunTool(const std::vector<std::string>& argv, std::string_view stdin_bytes,
                              std::chrono::milliseconds timeout, size_t output_cap,
                              ToolLeftovers leftovers) {
  if (argv.empty() || !argv[0].starts_with('/')) {
    return OpError{EINVAL, "RunTool: argv[0] must be an absolute path"};
  }
  const auto deadline = Clock::now() + timeout;
  std::vector<char*> args = CStrings(argv);
  std::vector<char*> env = CStrings(ToolEnvironment());
  OpResult<Pipe> in = MakePipe(), out = MakePipe(), err = MakePipe(), report = MakePipe();
  for (const OpResult<Pipe>* p : {&in, &out, &err, &report}) {
    if (!p->ok()) return p->error();
  }
  SigpipeBlock block;
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError(errno, "fork");
  if (pid == 0) {
    ExecChild(args.data(), env.data(), in->read.get(), out->write.get(), err->write.get(),
              report->write.get());
  }
  ::setpgid(pid, pid);  // also here: kill(-pid) must work before the child runs
  in->read.reset();
  out->write.reset();
  err->write.reset();
  report->write.reset();
  ScopedFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  const int pidfd_error = errno;
  if (const int exec_error = ReadExecError(report->read.get()); exec_error != 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return ErrnoError(exec_error, argv[0]);
  }
  if (!pidfd.valid()) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return ErrnoError(pidfd_error, "pidfd_open");
  }
  ::fcntl(in->write.get(), F_SETFL, O_NONBLOCK);
  Session session{std::move(in->write),
                  std::move(out->read),
                  std::move(err->read),
                  pidfd.get(),
                  pid,
                  stdin_bytes,
                  output_cap,
                  leftovers};
  ToolOutcome outcome;
  if (!session.Run(&outcome, deadline)) {
    outcome.timed_out = true;
    ::kill(-pid, SIGKILL);
  }
  outcome.exit_code = ReapWithin(pid, pidfd.get(), kKillGrace);
  return outcome;
}

OpResult<SpawnedTool> SpawnToolReader(const std::vector<std::string>& argv) {
  if (argv.empty() || !argv[0].starts_with('/')) {
    return OpError{EINVAL, "SpawnToolReader: argv[0] must be an absolute path"};
  }
  std::vector<char*> args = CStrings(argv);
  std::vector<char*> env = CStrings(ToolEnvironment());
  ScopedFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null.valid()) return ErrnoError(errno, "/dev/null");
  OpResult<Pipe> out = MakePipe(), report = MakePipe();
  for (const OpResult<Pipe>* p : {&out, &report}) {
    if (!p->ok()) return p->error();
  }
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError(errno, "fork");
  if (pid == 0) {
    ExecChild(args.data(), env.data(), null.get(), out->write.get(), null.get(),
              report->write.get());
  }
  ::setpgid(pid, pid);
  out->write.reset();
  report->write.reset();
  if (const int exec_error = ReadExecError(report->read.get()); exec_error != 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return ErrnoError(exec_error, argv[0]);
  }
  return SpawnedTool{pid, std::move(out->read)};
}

std::string LastLineOf(const ToolOutcome& outcome) {
  constexpr size_t kMaxQuoted = 200;
  auto last = [](std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
    }
    const size_t nl = text.rfind('\n');
    text = nl == std::string_view::npos ? text : text.substr(nl + 1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    }
    return std::string(text);
  };
  std::string line = last(outcome.err);
  if (line.empty()) line = last(outcome.out);
  if (line.empty()) return "exit code " + std::to_string(outcome.exit_code);
  if (line.size() > kMaxQuoted) line.resize(kMaxQuoted);
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return line;
}

const std::vector<std::string>& StorageToolNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const ToolSpec& tool : kTools) names.emplace_back(tool.name);
    return names;
  }();
  return kNames;
}

OpResult<std::string> StorageToolPath(std::string_view name) {
  // Once per boot, on the first tool a disk needs; every later call sees the result.
  static const OpResult<bool> unpacked = UnpackStorageDisk(StorageDiskPaths{});
  OpResult<std::string> path = StorageToolPathUnder("", name);
  if (!path.ok() && !unpacked.ok()) return unpacked.error();
  return path;
}

OpResult<std::string> StorageToolPathUnder(std::string_view root, std::string_view name) {
  const ToolSpec* spec = nullptr;
  for (const ToolSpec& tool : kTools) {
    if (tool.name == name) spec = &tool;
  }
  if (spec == nullptr) return OpError{EINVAL, std::string(name) + " is not a storage tool"};
  std::string path = std::string(root) + "/usr/sbin/" + std::string(name);
  if (::access(path.c_str(), X_OK) == 0) return path;
  return OpError{ENOENT, std::string(name) + " is not in this appliance: install " +
                             std::string(spec->package) +
                             " on the host (scripts/setup.sh) and run diskferry again"};
}

}  // namespace diskferry::daemon
