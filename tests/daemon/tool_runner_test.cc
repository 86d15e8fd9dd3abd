// RunTool with /bin/sh and coreutils standing in for the storage tools: stdin delivery,
// output caps, exit codes, the timeout's kill of the whole process group, and what the
// child inherits. StorageToolPath against a scratch root.
#include "daemon/tool_runner.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace diskferry::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;

ToolOutcome RunArgv(const std::vector<std::string>& argv, std::string_view input = {},
                milliseconds timeout = seconds(30), size_t cap = 1 << 20) {
  OpResult<ToolOutcome> outcome = RunTool(argv, input, timeout, cap);
  EXPECT_TRUE(outcome.ok()) << (outcome.ok() ? "" : outcome.error().message);
  return outcome.ok() ? std::move(outcome).value() : ToolOutcome{};
}

ToolOutcome Shell(const std::string& script, std::string_view input = {},
                  milliseconds timeout = seconds(30), size_t cap = 1 << 20) {
  return RunArgv({"/bin/sh", "-c", script}, input, timeout, cap);
}

// Waits (up to `limit`) for process `pid`, not our child, to be gone; true if it is.
bool ProcessEnds(pid_t pid, seconds limit) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  const bool ended = ::poll(&p, 1, static_cast<int>(milliseconds(limit).count())) == 1;
  ::close(fd);
  return ended;
}

TEST(SpawnToolReaderTest, StreamsStdoutAndLeavesTheReapingToTheCaller) {
  OpResult<SpawnedTool> tool =
      SpawnToolReader({"/bin/sh", "-c", "echo out; echo err >&2; read x; echo \"[$x]\""});
  ASSERT_TRUE(tool.ok()) << tool.error().message;
  std::string got;
  char buffer[64];
  ssize_t n;
  while ((n = ::read(tool->out.get(), buffer, sizeof buffer)) > 0) got.append(buffer, n);
  EXPECT_EQ(got, "out\n[]\n");  // stderr and stdin are /dev/null
  int status = -1;
  ASSERT_EQ(::waitpid(tool->pid, &status, 0), tool->pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(SpawnToolReaderTest, RefusesRelativePathsAndNamesAMissingProgram) {
  EXPECT_EQ(SpawnToolReader({"sh"}).error().err, EINVAL);
  OpResult<SpawnedTool> missing = SpawnToolReader({"/no/such/tool"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().err, ENOENT);
  EXPECT_NE(missing.error().message.find("/no/such/tool"), std::string::npos);
}

TEST(RunToolTest, ReportsExitCodeAndBothOutputs) {
  ToolOutcome outcome = Shell("echo out; echo err >&2; exit 3");
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.out, "out\n");
  EXPECT_EQ(outcome.err, "err\n");
  EXPECT_EQ(Shell("true").exit_code, 0);
}

TEST(RunToolTest, ASignalEndingTheToolIs128PlusItsNumber) {
  EXPECT_EQ(Shell("kill -TERM $$").exit_code, 128 + SIGTERM);
}

TEST(RunToolTest, DeliversStdinAndClosesIt) {
  ToolOutcome outcome = RunArgv({"/bin/cat"}, "passphrase\nwith a second line");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.out, "passphrase\nwith a second line");
  EXPECT_EQ(RunArgv({"/bin/cat"}).out, "") << "no input is an immediate EOF";
}

TEST(RunToolTest, StdinLargerThanAPipeArrivesWhole) {
  std::string input(3 << 20, '\0');
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>(i * 7 + i / 4096);
  ToolOutcome outcome = RunArgv({"/bin/cat"}, input, seconds(60), 4 << 20);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_TRUE(outcome.out == input) << "got " << outcome.out.size() << " bytes";
}

TEST(RunToolTest, AToolThatIgnoresItsStdinDoesNotRaiseSigpipeHere) {
  // This test process does not ignore SIGPIPE: a stray one would kill it.
  ToolOutcome outcome = Shell("exec 0<&-; echo done", std::string(1 << 20, 'k'));
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.out, "done\n");
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
}

TEST(RunToolTest, OutputBeyondTheCapIsDroppedWithoutBlockingTheTool) {
  ToolOutcome outcome =
      Shell("head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2; echo end >&2", {}, seconds(30),
            1000);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.out.size(), 1000u);
  EXPECT_EQ(outcome.err.size(), 1000u);
}

TEST(RunToolTest, TimeoutKillsTheWholeProcessGroup) {
  ToolOutcome outcome = Shell("sleep 60 & echo $!; wait", {}, milliseconds(300));
  EXPECT_TRUE(outcome.timed_out);
  EXPECT_EQ(outcome.exit_code, 128 + SIGKILL);
  const pid_t sleeper = static_cast<pid_t>(std::stol(outcome.out));
  EXPECT_TRUE(ProcessEnds(sleeper, seconds(10))) << "sleep " << sleeper << " survived";
}

TEST(RunToolTest, WhatTheToolLeftRunningIsKilledWhenItExits) {
  // The background sleep keeps stdout open; without the group kill this would wait for it.
  ToolOutcome outcome = Shell("sleep 60 & echo $!", {}, seconds(60));
  EXPECT_FALSE(outcome.timed_out);
  EXPECT_EQ(outcome.exit_code, 0);
  const pid_t sleeper = static_cast<pid_t>(std::stol(outcome.out));
  EXPECT_TRUE(ProcessEnds(sleeper, seconds(10))) << "sleep " << sleeper << " survived";
}

TEST(RunToolTest, AServerTheToolForksIsKeptWhenAsked) {
  // As ntfs-3g does: the server closes stdio, the tool exits 0, the server stays.
  OpResult<ToolOutcome> outcome =
      RunTool({"/bin/sh", "-c", "sleep 60 </dev/null >/dev/null 2>&1 & echo $!"}, "",
              seconds(60), 1 << 20, ToolLeftovers::kKeep);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_EQ(outcome->exit_code, 0);
  const pid_t server = static_cast<pid_t>(std::stol(outcome->out));
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, server, 0));
  ASSERT_GE(fd, 0) << "the server " << server << " is gone";
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0) << "the server " << server << " ended";
  ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);
  ::close(fd);
}

TEST(RunToolTest, TheToolGetsOnlyTheFixedEnvironment) {
  ::setenv("DISKFERRY_SECRET_FOR_TEST", "leaked", 1);
  ToolOutcome outcome = RunArgv({"/usr/bin/env"});
  ::unsetenv("DISKFERRY_SECRET_FOR_TEST");
  EXPECT_EQ(outcome.out,
            "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLVM_SUPPRESS_FD_WARNINGS=1\nDM_DISABLE_UDEV=1\n");
}

TEST(RunToolTest, TheToolInheritsNoOtherDescriptor) {
  const int leaky = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 3);
  // The glob's own directory descriptor is closed again by the time of the test -e.
  ToolOutcome outcome = Shell("for f in /proc/$$/fd/*; do [ -e $f ] && echo -n \"${f##*/} \"; done");
  ::close(leaky);
  EXPECT_EQ(outcome.out, "0 1 2 ");
}

TEST(RunToolTest, TheToolRunsInItsOwnProcessGroupFromTheRoot) {
  // Field 5 of /proc/PID/stat is the process group.
  ToolOutcome outcome = Shell("echo $$ $(cut -d' ' -f5 /proc/$$/stat) $(pwd)");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::istringstream words(outcome.out);
  std::string pid, pgid, cwd;
  words >> pid >> pgid >> cwd;
  EXPECT_EQ(pgid, pid);
  EXPECT_NE(pgid, std::to_string(::getpgrp()));
  EXPECT_EQ(cwd, "/");
}

TEST(RunToolTest, AMissingProgramIsAnErrorNamingIt) {
  OpResult<ToolOutcome> outcome = RunTool({"/nonexistent/lvm", "version"}, {}, seconds(5));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().err, ENOENT);
  EXPECT_EQ(outcome.error().message, "/nonexistent/lvm: No such file or directory");
}

TEST(RunToolTest, RefusesAnEmptyOrRelativeCommand) {
  EXPECT_EQ(RunTool({}, {}, seconds(5)).error().err, EINVAL);
  EXPECT_EQ(RunTool({"sh", "-c", "true"}, {}, seconds(5)).error().err, EINVAL);
}

class StorageToolPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/df-tool-path-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    root_ = dir;
    std::filesystem::create_directories(root_ + "/usr/sbin");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string root_;
};

TEST_F(StorageToolPathTest, NamesThePackageToInstallForAMissingTool) {
  OpResult<std::string> path = StorageToolPathUnder(root_, "lvm");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().err, ENOENT);
  EXPECT_EQ(path.error().message,
            "lvm is not in this appliance: install lvm2 on the host (scripts/setup.sh) and run "
            "diskferry again");
  EXPECT_NE(StorageToolPathUnder(root_, "cryptsetup").error().message.find("cryptsetup-bin"),
            std::string::npos);
}

TEST_F(StorageToolPathTest, FindsAPackedTool) {
  const std::string tool = root_ + "/usr/sbin/mdadm";
  std::ofstream(tool) << "#!/bin/sh\n";
  ASSERT_EQ(::chmod(tool.c_str(), 0755), 0);
  OpResult<std::string> path = StorageToolPathUnder(root_, "mdadm");
  ASSERT_TRUE(path.ok()) << path.error().message;
  EXPECT_EQ(*path, tool);
}

TEST_F(StorageToolPathTest, RefusesWhatIsNotAStorageTool) {
  OpResult<std::string> path = StorageToolPath("sh");
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.error().err, EINVAL);
  EXPECT_THAT(StorageToolNames(), ElementsAre("cache_check", "cryptsetup", "dmsetup", "fls", "icat",
                                              "lvm", "mdadm", "ntfs-3g", "thin_check"));
}

}  // namespace
}  // namespace diskferry::daemon
