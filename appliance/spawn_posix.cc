#include "appliance/spawn_posix.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "appliance/child_registry.h"

extern char** environ;

namespace diskferry::internal {
namespace {

// A fork takes milliseconds; this only bounds a wedged spawner thread.
constexpr std::chrono::seconds kSpawnerTimeout(30);

[[noreturn]] void FailInChild(int fd) {
  const int err = errno;
  [[maybe_unused]] ssize_t n = ::write(fd, &err, sizeof err);
  ::_exit(127);
}

void CloseOtherDescriptors(int keep) {
  // Everything but stdio and the exec-error pipe; the pipe is CLOEXEC and goes at exec.
  if (keep > 3 && ::close_range(3, static_cast<unsigned>(keep) - 1, 0) != 0) {
    for (int fd = 3; fd < keep; ++fd) ::close(fd);
  }
  if (::close_range(static_cast<unsigned>(keep) + 1, ~0u, 0) != 0) {
    for (int fd = keep + 1; fd < 65536; ++fd) ::close(fd);
  }
}

// A descriptor that stdio wiring cannot clobber: a program that closed its own stdin or
// stdout gets 0-2 back from open()/pipe(), and dup2(fd, fd) would keep CLOEXEC set.
int AboveStdio(int fd) { return fd >= 0 && fd < 3 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd; }

// Runs in the child between fork() and exec: async-signal-safe calls only.
[[noreturn]] void RunChild(const ChildPlan& plan, char* const* argv, pid_t parent) {
  const int err_fd = AboveStdio(plan.exec_error_fd);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) FailInChild(err_fd);
  // The parent may have died before prctl(): then nobody will deliver the signal.
  if (::getppid() != parent) ::_exit(127);
  // Own process group: a terminal's Ctrl-C goes to diskferry, which decides QEMU's fate.
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int in = AboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int out =
      AboveStdio(plan.stdout_fd >= 0 ? plan.stdout_fd : ::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (err_fd < 0 || in < 0 || out < 0) FailInChild(err_fd);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) FailInChild(err_fd);
  CloseOtherDescriptors(err_fd);
  ::execve(plan.program.c_str(), argv, environ);
  FailInChild(err_fd);
}

Result<int> ForkNow(const ChildPlan& plan) {
  // Built before fork(): the child may not allocate.
  std::vector<char*> argv;
  for (const std::string& a : plan.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, "fork for " + plan.program);
  if (pid == 0) RunChild(plan, argv.data(), parent);
  RegisterChild(pid);
  return static_cast<int>(pid);
}

struct Job {
  const ChildPlan* plan = nullptr;
  Result<int> result = Status(Code::kInternal, "spawn not run");
  bool done = false;
};

class Spawner {
 public:
  static Spawner& Get() {
    static Spawner* spawner = new Spawner();  // never destroyed: the thread must outlive all
    return *spawner;
  }

  Result<int> Run(const ChildPlan& plan) {
    Job job;
    job.plan = &plan;
    std::unique_lock lock(mu_);
    queue_.push_back(&job);
    work_.notify_one();
    if (done_.wait_for(lock, kSpawnerTimeout, [&] { return job.done; })) return job.result;
    // Not yet taken (the spawner forks while holding mu_): withdraw it.
    std::erase(queue_, &job);
    return Status(Code::kTimeout, "spawner thread did not run " + plan.program);
  }

 private:
  Spawner() {
    std::thread([this] { Loop(); }).detach();
  }

  void Loop() {
    // Signals go to other threads; the child resets its mask before exec.
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lock(mu_);
    for (;;) {
      work_.wait(lock, [&] { return !queue_.empty(); });  // idle service loop: no deadline
      Job* job = queue_.front();
      queue_.pop_front();
      job->result = ForkNow(*job->plan);
      job->done = true;
      done_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::deque<Job*> queue_;  // guarded by mu_
};

}  // namespace

Result<int> ForkOnSpawnerThread(const ChildPlan& plan) {
  InstallChildCleanupHandlers();
  return Spawner::Get().Run(plan);
}

}  // namespace diskferry::internal
