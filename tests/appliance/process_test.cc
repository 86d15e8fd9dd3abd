// Process (spawn, wait, kill, RAII and moves) and the child registry / signal cleanup.
#include "appliance/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "appliance/child_registry.h"

namespace diskferry {
namespace {

using namespace std::chrono_literals;

constexpr char kHelperEnv[] = "DF_TEST_PROCESS_HELPER";

Process SpawnOrDie(std::vector<std::string> argv, OutputMode output = OutputMode::kDiscard) {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.output = output;
  Result<Process> p = Process::Spawn(o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : Process();
}

// True once `pid` is neither running nor a zombie we could still reap.
bool Gone(int64_t pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

TEST(ProcessTest, WaitReturnsExitCode) {
  Process p = SpawnOrDie({"sh", "-c", "exit 3"});
  Result<ExitStatus> s = p.Wait(10s);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (ExitStatus{ExitStatus::Kind::kExited, 3}));
  EXPECT_EQ(s->ToString(), "exited with status 3");
  EXPECT_FALSE(p.running());
  EXPECT_TRUE(Gone(p.pid()));
}

TEST(ProcessTest, ProgramNotInPathIsNotFound) {
  Result<Process> p = Process::Spawn({{"diskferry-no-such-program"}, OutputMode::kDiscard, ""});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kNotFound);
  EXPECT_EQ(p.status().message(), "diskferry-no-such-program: not found in PATH");
}

TEST(ProcessTest, ExecFailureReportsTheChildsErrno) {
  char path[] = "/tmp/df-noexec-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd,
                    "\x7f"
                    "ELFgarbage",
                    11),
            11);
  ::close(fd);
  ::chmod(path, 0755);
  Result<Process> p = Process::Spawn({{path}, OutputMode::kDiscard, ""});
  ::unlink(path);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kIoError);
  EXPECT_NE(p.status().message().find("Exec format error"), std::string::npos)
      << p.status().message();
}

TEST(ProcessTest, PipeCapturesStdoutAndStderrAndStdinIsDevNull) {
  Process p = SpawnOrDie({"sh", "-c", "echo out; echo err >&2; cat; echo done"}, OutputMode::kPipe);
  Result<std::string> out = p.ReadOutput(10s);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "out\nerr\ndone\n");
  EXPECT_TRUE(p.Wait(10s).ok());
}

TEST(ProcessTest, FileOutputIsWritten) {
  char dir[] = "/tmp/df-proc-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string log = std::string(dir) + "/out.log";
  Result<Process> p =
      Process::Spawn({{"sh", "-c", "echo hello; echo oops >&2"}, OutputMode::kFile, log});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->Wait(10s).ok());
  std::stringstream ss;
  ss << std::ifstream(log).rdbuf();
  EXPECT_EQ(ss.str(), "hello\noops\n");
  ::unlink(log.c_str());
  ::rmdir(dir);
}

TEST(ProcessTest, ChildInheritsNoDescriptorsButStdio) {
  const int leaky = ::dup2(::open("/dev/null", O_RDONLY), 200);  // deliberately no CLOEXEC
  ASSERT_EQ(leaky, 200);
  Process p = SpawnOrDie({"sh", "-c", "ls /proc/$$/fd"}, OutputMode::kPipe);
  Result<std::string> out = p.ReadOutput(10s);
  ::close(leaky);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->find("200"), std::string::npos) << *out;
  EXPECT_TRUE(p.Wait(10s).ok());
}

TEST(ProcessTest, ChildRunsInItsOwnProcessGroup) {
  Process p = SpawnOrDie({"sleep", "100"});
  EXPECT_EQ(::getpgid(static_cast<pid_t>(p.pid())), p.pid());
}

TEST(ProcessTest, KillThenWaitReportsSigkill) {
  Process p = SpawnOrDie({"sleep", "100"});
  Result<std::optional<ExitStatus>> early = p.TryWait();
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  ASSERT_TRUE(p.Kill().ok());
  Result<ExitStatus> s = p.Wait(10s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (ExitStatus{ExitStatus::Kind::kSignaled, SIGKILL}));
  EXPECT_EQ(s->ToString(), "killed by signal 9 (SIGKILL)");
  EXPECT_TRUE(p.Kill().ok());  // killing a reaped child is a no-op
}

TEST(ProcessTest, WaitTimesOutWithoutKilling) {
  Process p = SpawnOrDie({"sleep", "100"});
  const auto start = std::chrono::steady_clock::now();
  Result<ExitStatus> s = p.Wait(100ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(s.status().code(), Code::kTimeout);
  EXPECT_TRUE(p.running());
  EXPECT_FALSE(Gone(p.pid()));
}

TEST(ProcessTest, DestructorKillsAndReaps) {
  int64_t pid = 0;
  {
    Process p = SpawnOrDie({"sleep", "100"});
    pid = p.pid();
    ASSERT_FALSE(Gone(pid));
  }
  EXPECT_TRUE(Gone(pid));  // not even a zombie
}

TEST(ProcessTest, MoveConstructionTransfersOwnership) {
  Process a = SpawnOrDie({"sleep", "100"});
  const int64_t pid = a.pid();
  Process b(std::move(a));
  EXPECT_FALSE(a.running());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(b.running());
  EXPECT_EQ(b.pid(), pid);
  EXPECT_FALSE(Gone(pid));
}

TEST(ProcessTest, MoveAssignmentKillsOnlyTheOldChild) {
  Process a = SpawnOrDie({"sleep", "100"});
  Process b = SpawnOrDie({"sleep", "100"});
  const int64_t old_a = a.pid(), old_b = b.pid();
  a = std::move(b);
  EXPECT_TRUE(Gone(old_a));   // killed and reaped
  EXPECT_FALSE(Gone(old_b));  // still running, now owned by a
  EXPECT_EQ(a.pid(), old_b);
  EXPECT_FALSE(b.running());  // NOLINT(bugprone-use-after-move)
  Process& alias = a;
  a = std::move(alias);  // self-move is harmless
  EXPECT_FALSE(Gone(old_b));
  a = Process();
  EXPECT_TRUE(Gone(old_b));
}

TEST(ProcessTest, RegistryTracksLiveChildrenOnly) {
  const size_t before = RegisteredChildCount();
  Process p = SpawnOrDie({"sleep", "100"});
  EXPECT_EQ(RegisteredChildCount(), before + 1);
  ASSERT_TRUE(p.KillAndWait(10s).ok());
  EXPECT_EQ(RegisteredChildCount(), before);
}

TEST(ProcessTest, KillRegisteredChildrenKillsThem) {
  Process p = SpawnOrDie({"sleep", "100"});
  KillRegisteredChildren();
  Result<ExitStatus> s = p.Wait(10s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (ExitStatus{ExitStatus::Kind::kSignaled, SIGKILL}));
}

TEST(ProcessTest, SpawnInstallsCleanupHandlersForDefaultSignals) {
  Process p = SpawnOrDie({"true"});
  struct sigaction sa = {};
  ASSERT_EQ(::sigaction(SIGTERM, nullptr, &sa), 0);
  EXPECT_NE(sa.sa_handler, SIG_DFL);
  EXPECT_TRUE(p.Wait(10s).ok());
}

// Runs in a re-executed copy of this binary (see StartHelper): spawns `sleep 100` through
// Process, prints its pid, then waits to be killed.
TEST(ProcessHelper, SpawnSleepAndWaitToBeKilled) {
  if (std::getenv(kHelperEnv) == nullptr) GTEST_SKIP() << "helper for the orphan tests";
  Process sleeper = SpawnOrDie({"sleep", "100"});
  std::printf("SLEEP_PID=%lld\n", static_cast<long long>(sleeper.pid()));
  std::fflush(stdout);
  for (;;) ::pause();
}

struct Helper {
  Process process;
  pid_t sleep_pid = 0;
};

Helper StartHelper() {
  ::setenv(kHelperEnv, "1", 1);
  Helper h;
  h.process = SpawnOrDie({"/proc/self/exe", "--gtest_filter=ProcessHelper.*"}, OutputMode::kPipe);
  ::unsetenv(kHelperEnv);
  std::string out;
  for (int i = 0; i < 200 && out.find('\n', out.find("SLEEP_PID=")) == std::string::npos; ++i) {
    Result<std::string> more = h.process.ReadOutput(50ms);
    if (more.ok()) out += *more;
  }
  const size_t at = out.find("SLEEP_PID=");
  if (at != std::string::npos) h.sleep_pid = std::atoi(out.c_str() + at + 10);
  return h;
}

// The orphaned sleep is reparented to us (a child subreaper), so we can reap it and see
// how it died; without it, init would. Its parent has been reaped already, so it is our
// child by now: the wait blocks until it ends (a sleep that outlived its parent ends
// after its 100 s, exited 0, and fails the test).
ExitStatus ReapOrphan(pid_t pid) {
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (reaped != pid) return {ExitStatus::Kind::kExited, -1};
  return WIFSIGNALED(status) ? ExitStatus{ExitStatus::Kind::kSignaled, WTERMSIG(status)}
                             : ExitStatus{ExitStatus::Kind::kExited, WEXITSTATUS(status)};
}

TEST(ProcessTest, SigkilledParentLeavesNoChild) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Helper h = StartHelper();
  ASSERT_GT(h.sleep_pid, 0);
  ASSERT_TRUE(h.process.Kill().ok());  // SIGKILL: no handler runs, only PDEATHSIG
  ASSERT_TRUE(h.process.Wait(10s).ok());
  EXPECT_EQ(ReapOrphan(h.sleep_pid), (ExitStatus{ExitStatus::Kind::kSignaled, SIGKILL}));
  EXPECT_TRUE(Gone(h.sleep_pid));
}

TEST(ProcessTest, SigtermedParentKillsChildrenAndDiesBySigterm) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Helper h = StartHelper();
  ASSERT_GT(h.sleep_pid, 0);
  ASSERT_EQ(::kill(static_cast<pid_t>(h.process.pid()), SIGTERM), 0);
  Result<ExitStatus> helper_exit = h.process.Wait(10s);
  ASSERT_TRUE(helper_exit.ok());
  EXPECT_EQ(*helper_exit, (ExitStatus{ExitStatus::Kind::kSignaled, SIGTERM}));  // re-raised
  EXPECT_EQ(ReapOrphan(h.sleep_pid), (ExitStatus{ExitStatus::Kind::kSignaled, SIGKILL}));
}

}  // namespace
}  // namespace diskferry
