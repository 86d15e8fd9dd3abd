// The Windows half of process.h and child_registry.h: spawn, wait, kill, output modes, the
// command line, RAII and moves, the registry, the kill-on-close job and the Ctrl-C handler.
// The children are process_test_child.exe (test_child_main.cc), found next to this program.
#include <windows.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "appliance/child_registry.h"
#include "appliance/process.h"
#include "qemu-win/spawn_win.h"

namespace diskferry {
namespace {

// Spawn with only argv set (output discarded).
Result<Process> SpawnArgv(std::vector<std::string> argv) {
  SpawnOptions options;
  options.argv = std::move(argv);
  return Process::Spawn(options);
}

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kKilled = 137;  // the exit code Kill() gives (process.h)

fs::path ThisProgram() {
  wchar_t path[4 * MAX_PATH];
  const DWORD n = ::GetModuleFileNameW(nullptr, path, sizeof path / sizeof path[0]);
  return fs::path(std::wstring(path, n));
}

std::string Utf8(const fs::path& path) {
  const std::u8string s = path.u8string();
  return std::string(s.begin(), s.end());
}

std::string Child() { return Utf8(ThisProgram().parent_path() / DF_TEST_CHILD); }

Process SpawnOrDie(std::vector<std::string> args, OutputMode output = OutputMode::kDiscard) {
  SpawnOptions o;
  o.argv = {Child()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.output = output;
  Result<Process> p = Process::Spawn(o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : Process();
}

// True once `pid` has exited (or no longer exists at all).
bool Exited(int64_t pid) {
  HANDLE h = ::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (h == nullptr) return true;
  const bool exited = ::WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
  ::CloseHandle(h);
  return exited;
}

std::string ReadAll(Process* p) {
  Result<std::string> out = p->ReadOutput(30s);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

std::string FileContents(const fs::path& path) {
  std::stringstream ss;
  ss << std::ifstream(path, std::ios::binary).rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("df-proc-" + std::to_string(::GetCurrentProcessId()))) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(ProcessWinTest, WaitReturnsExitCode) {
  Process p = SpawnOrDie({"exit", "3"});
  EXPECT_GT(p.pid(), 0);
  Result<ExitStatus> s = p.Wait(30s);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (ExitStatus{ExitStatus::Kind::kExited, 3}));
  EXPECT_EQ(s->ToString(), "exited with status 3");
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.exit_status(), *s);
  EXPECT_TRUE(Exited(p.pid()));
}

TEST(ProcessWinTest, CrashCodesPrintInHex) {
  Process p = SpawnOrDie({"exit", "-1073741819"});  // 0xC0000005, an access violation
  Result<ExitStatus> s = p.Wait(30s);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->ToString(), "exited with status 0xC0000005");
  EXPECT_FALSE(s->success());
}

TEST(ProcessWinTest, ArgvRoundTripsThroughTheCommandLine) {
  const std::vector<std::string> args = {
      "plain",          "two words",       "",           "say \"hi\"",    "\"",
      "C:\\dir\\",      "C:\\dir with space\\", "a\\\\b",  "a\\\"b",        "\\\\\"",
      "tab\there",      "trailing\\\\",    "\\\\server\\share", "caf\xC3\xA9",
      "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80",  // CJK, then U+1F600 (a surrogate pair)
      "--opt=a b\\c",   "{\"json\": [1, 2]}"};
  std::vector<std::string> argv = {"args"};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p = SpawnOrDie(argv, OutputMode::kPipe);
  const std::string out = ReadAll(&p);
  std::vector<std::string> got;
  for (size_t start = 0, nul; (nul = out.find('\0', start)) != std::string::npos; start = nul + 1) {
    got.push_back(out.substr(start, nul - start));
  }
  EXPECT_EQ(got, args);
  EXPECT_EQ(p.Wait(30s).value(), (ExitStatus{ExitStatus::Kind::kExited, 0}));
}

TEST(ProcessWinTest, CommandLineFollowsMsvcrtQuoting) {
  Result<std::wstring> line = internal::BuildCommandLine(
      {"C:\\p\\x.exe", "a", "b c", "", "q\"q", "end\\", "mid\\\\x", "sl\\\"q", "sp ace\\\\"});
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(*line,
            L"\"C:\\p\\x.exe\" a \"b c\" \"\" \"q\\\"q\" end\\ mid\\\\x \"sl\\\\\\\"q\" "
            L"\"sp ace\\\\\\\\\"");
}

TEST(ProcessWinTest, UnrepresentableArgvIsInvalidArgument) {
  Result<std::wstring> quote = internal::BuildCommandLine({"a\"b.exe"});
  EXPECT_EQ(quote.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(quote.status().message(), "a\"b.exe: a program name cannot contain '\"'");
  Result<std::wstring> nul = internal::BuildCommandLine({"x", std::string("a\0b", 3)});
  EXPECT_EQ(nul.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(nul.status().message(), "argument 1: contains a NUL character");
  Result<std::wstring> utf8 = internal::BuildCommandLine({"x", "ok", "\xC3("});
  EXPECT_EQ(utf8.status().message(), "argument 2: not valid UTF-8");
  Result<std::wstring> huge = internal::BuildCommandLine({"x", std::string(40000, 'a')});
  EXPECT_EQ(huge.status().code(), Code::kInvalidArgument);
  Result<Process> spawned = SpawnArgv({Child(), "args", std::string("\xFF")});
  EXPECT_EQ(spawned.status().code(), Code::kInvalidArgument);
}

TEST(ProcessWinTest, PipeCapturesStdoutAndStderrAndStdinIsNul) {
  Process p = SpawnOrDie({"print", "out\n", "err\n"}, OutputMode::kPipe);
  EXPECT_EQ(ReadAll(&p), "out\nerr\n");  // raw bytes: no "\r\n" added on the way
  EXPECT_TRUE(p.Wait(30s).ok());
  Process in = SpawnOrDie({"stdin"}, OutputMode::kPipe);
  EXPECT_EQ(ReadAll(&in), "stdin:0");
  EXPECT_TRUE(in.Wait(30s).ok());
}

TEST(ProcessWinTest, PipeCarriesMoreThanItsBuffer) {
  // Larger than the pipe's 64 KiB: the child blocks until ReadOutput drains it.
  Process p = SpawnOrDie({"fill", "300000"}, OutputMode::kPipe);
  EXPECT_EQ(ReadAll(&p), std::string(300000, 'x'));
  EXPECT_TRUE(p.Wait(30s).ok());
}

TEST(ProcessWinTest, ReadOutputReturnsPartialOutputAtTheTimeout) {
  Process p = SpawnOrDie({"print-sleep", "first", "600000"}, OutputMode::kPipe);
  std::string out;
  for (int i = 0; i < 100 && out.empty(); ++i) out += p.ReadOutput(100ms).value();
  EXPECT_EQ(out, "first");
  const auto start = std::chrono::steady_clock::now();
  Result<std::string> more = p.ReadOutput(300ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_EQ(*more, "");
  EXPECT_TRUE(p.running());
  EXPECT_EQ(p.KillAndWait(30s).value().value, kKilled);
  EXPECT_EQ(p.ReadOutput(10s).value(), "");  // EOF now: returns at once
}

TEST(ProcessWinTest, FileOutputIsCreatedOrTruncated) {
  TempDir dir;
  const fs::path log = dir.path() / u8"out-\u00e9.log";
  std::ofstream(log) << std::string(1000, 'o');
  Result<Process> p =
      Process::Spawn({{Child(), "print", "hello\n", "oops\n"}, OutputMode::kFile, Utf8(log)});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->Wait(30s).ok());
  EXPECT_EQ(FileContents(log), "hello\noops\n");
  EXPECT_EQ(p->ReadOutput(1s).status().code(), Code::kFailedPrecondition);
}

TEST(ProcessWinTest, FileOutputInAMissingDirectoryNamesThePath) {
  TempDir dir;
  const std::string log = Utf8(dir.path() / "missing" / "out.log");
  Result<Process> p = Process::Spawn({{Child(), "exit", "0"}, OutputMode::kFile, log});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kNotFound);
  EXPECT_EQ(p.status().message().rfind("open " + log + ": ", 0), 0u) << p.status().message();
}

TEST(ProcessWinTest, DiscardRunsTheChildWithoutAPipe) {
  Process p = SpawnOrDie({"print", "lost", "lost"});
  EXPECT_EQ(p.ReadOutput(1s).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(p.Wait(30s).value(), (ExitStatus{ExitStatus::Kind::kExited, 0}));
}

TEST(ProcessWinTest, ProgramNotFoundIsNamed) {
  Result<Process> p = SpawnArgv({"diskferry-no-such-program"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kNotFound);
  EXPECT_EQ(p.status().message(), "diskferry-no-such-program: not found in PATH");
  Result<Process> q = SpawnArgv({"C:\\no\\such\\prog"});
  EXPECT_EQ(q.status().code(), Code::kNotFound);
  EXPECT_EQ(q.status().message(), "C:\\no\\such\\prog: no such executable file");
  EXPECT_EQ(Process::Spawn({}).status().code(), Code::kInvalidArgument);
}

TEST(ProcessWinTest, ProgramIsFoundInPathWithExeAppended) {
  wchar_t saved[32767];
  const DWORD n = ::GetEnvironmentVariableW(L"PATH", saved, 32767);
  const std::wstring dir = ThisProgram().parent_path().wstring();
  ::SetEnvironmentVariableW(L"PATH", (L"C:\\nonexistent;;\"" + dir + L"\"").c_str());
  const std::string name = fs::path(DF_TEST_CHILD).stem().string();  // no ".exe"
  Result<Process> p = SpawnArgv({name, "exit", "7"});
  ::SetEnvironmentVariableW(L"PATH", n > 0 ? saved : nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Wait(30s).value().value, 7);
}

TEST(ProcessWinTest, NotAnExecutableIsAnIoErrorNamingIt) {
  TempDir dir;
  const fs::path fake = dir.path() / "fake.exe";
  std::ofstream(fake, std::ios::binary) << "this is not a PE image";
  const size_t before = RegisteredChildCount();
  Result<Process> p = SpawnArgv({Utf8(fake)});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kIoError);
  EXPECT_EQ(p.status().message().rfind("CreateProcess " + Utf8(fake) + ": ", 0), 0u)
      << p.status().message();
  EXPECT_EQ(RegisteredChildCount(), before);
}

TEST(ProcessWinTest, ChildInheritsTheEnvironment) {
  ::SetEnvironmentVariableW(L"DF_TEST_VALUE", L"v\u00e4lue");
  Process p = SpawnOrDie({"env", "DF_TEST_VALUE"}, OutputMode::kPipe);
  ::SetEnvironmentVariableW(L"DF_TEST_VALUE", nullptr);
  EXPECT_EQ(ReadAll(&p), "v\xC3\xA4lue");
}

// An inheritable handle of ours must not reach the child; the same child does reach it
// when started the plain way (bInheritHandles without a list), so the check can fail.
TEST(ProcessWinTest, ChildInheritsOnlyItsStdio) {
  SECURITY_ATTRIBUTES sa = {sizeof sa, nullptr, TRUE};
  HANDLE event = ::CreateEventW(&sa, TRUE, FALSE, nullptr);
  ASSERT_NE(event, nullptr);
  const std::string value = std::to_string(reinterpret_cast<uintptr_t>(event));
  Process p = SpawnOrDie({"set-event", value});
  EXPECT_EQ(p.Wait(30s).value().value, 1);
  EXPECT_EQ(::WaitForSingleObject(event, 0), static_cast<DWORD>(WAIT_TIMEOUT));

  std::wstring line = L"\"" + fs::path(Child()).wstring() + L"\" set-event " +
                      std::wstring(value.begin(), value.end());
  STARTUPINFOW si{};
  si.cb = sizeof si;
  PROCESS_INFORMATION pi = {};
  ASSERT_TRUE(::CreateProcessW(nullptr, line.data(), nullptr, nullptr, TRUE, CREATE_NO_WINDOW,
                               nullptr, nullptr, &si, &pi));
  ::WaitForSingleObject(pi.hProcess, 30000);
  EXPECT_EQ(::WaitForSingleObject(event, 0), WAIT_OBJECT_0);
  ::CloseHandle(pi.hThread);
  ::CloseHandle(pi.hProcess);
  ::CloseHandle(event);
}

TEST(ProcessWinTest, KillThenWaitReportsTheKilledExitCode) {
  Process p = SpawnOrDie({"sleep", "600000"});
  Result<std::optional<ExitStatus>> early = p.TryWait();
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  EXPECT_FALSE(early->has_value());
  ASSERT_TRUE(p.Kill().ok());
  Result<ExitStatus> s = p.Wait(30s);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (ExitStatus{ExitStatus::Kind::kExited, kKilled}));
  EXPECT_EQ(s->ToString(), "exited with status 137");
  EXPECT_TRUE(p.Kill().ok());  // killing a reaped child is a no-op
  EXPECT_EQ(p.TryWait().value(), *s);
  EXPECT_EQ(p.Wait(1ms).value(), *s);
}

TEST(ProcessWinTest, KillAfterExitIsOk) {
  Process p = SpawnOrDie({"exit", "5"});
  while (!Exited(p.pid())) ::Sleep(5);
  ASSERT_TRUE(p.Kill().ok());
  EXPECT_EQ(p.Wait(30s).value().value, 5);  // not overwritten by the kill
}

TEST(ProcessWinTest, EmptyProcessHasNothingToWaitFor) {
  Process p;
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.pid(), 0);
  EXPECT_EQ(p.TryWait().status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(p.Wait(1ms).status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(p.Kill().ok());
}

TEST(ProcessWinTest, WaitTimesOutWithoutKilling) {
  Process p = SpawnOrDie({"sleep", "600000"});
  const auto start = std::chrono::steady_clock::now();
  Result<ExitStatus> s = p.Wait(100ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(s.status().code(), Code::kTimeout);
  EXPECT_EQ(s.status().message(),
            "process " + std::to_string(p.pid()) + " still running after 100 ms");
  EXPECT_TRUE(p.running());
  EXPECT_FALSE(Exited(p.pid()));
}

TEST(ProcessWinTest, DestructorKillsAndReaps) {
  const size_t before = RegisteredChildCount();
  int64_t pid = 0;
  {
    Process p = SpawnOrDie({"sleep", "600000"});
    pid = p.pid();
    ASSERT_FALSE(Exited(pid));
  }
  EXPECT_TRUE(Exited(pid));
  EXPECT_EQ(RegisteredChildCount(), before);
}

TEST(ProcessWinTest, MoveConstructionTransfersOwnership) {
  Process a = SpawnOrDie({"print-sleep", "moved", "600000"}, OutputMode::kPipe);
  const int64_t pid = a.pid();
  Process b(std::move(a));
  EXPECT_FALSE(a.running());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(a.pid(), 0);      // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.ReadOutput(1ms).status().code(), Code::kFailedPrecondition);  // NOLINT
  EXPECT_TRUE(b.running());
  EXPECT_EQ(b.pid(), pid);
  EXPECT_FALSE(Exited(pid));
  std::string out;
  for (int i = 0; i < 100 && out.empty(); ++i) out += b.ReadOutput(100ms).value();
  EXPECT_EQ(out, "moved");
}

TEST(ProcessWinTest, MoveAssignmentKillsOnlyTheOldChild) {
  const size_t before = RegisteredChildCount();
  Process a = SpawnOrDie({"sleep", "600000"}, OutputMode::kPipe);
  Process b = SpawnOrDie({"sleep", "600000"});
  const int64_t old_a = a.pid(), old_b = b.pid();
  a = std::move(b);
  EXPECT_TRUE(Exited(old_a));  // killed and reaped, its pipe closed
  EXPECT_FALSE(Exited(old_b));  // still running, now owned by a
  EXPECT_EQ(a.pid(), old_b);
  EXPECT_EQ(a.ReadOutput(1ms).status().code(), Code::kFailedPrecondition);
  EXPECT_FALSE(b.running());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(RegisteredChildCount(), before + 1);
  Process& alias = a;
  a = std::move(alias);  // self-move is harmless
  EXPECT_TRUE(a.running());
  EXPECT_FALSE(Exited(old_b));
  a = Process();
  EXPECT_TRUE(Exited(old_b));
  EXPECT_EQ(RegisteredChildCount(), before);
}

TEST(ProcessWinTest, RegistryTracksLiveChildrenOnly) {
  const size_t before = RegisteredChildCount();
  Process p = SpawnOrDie({"sleep", "600000"});
  EXPECT_EQ(RegisteredChildCount(), before + 1);
  ASSERT_TRUE(p.KillAndWait(30s).ok());
  EXPECT_EQ(RegisteredChildCount(), before);
}

TEST(ProcessWinTest, KillRegisteredChildrenKillsThem) {
  Process p = SpawnOrDie({"sleep", "600000"});
  KillRegisteredChildren();
  Result<ExitStatus> s = p.Wait(30s);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, (ExitStatus{ExitStatus::Kind::kExited, kKilled}));
}

TEST(ProcessWinTest, UnlinkRegisteredFilesDeletesThem) {
  TempDir dir;
  const fs::path file = dir.path() / u8"shm-\u00fc";
  std::ofstream(file) << "x";
  const int slot = RegisterFile(Utf8(file));
  ASSERT_GE(slot, 0);
  UnlinkRegisteredFiles();
  EXPECT_FALSE(fs::exists(file));
  UnregisterFile(slot);
  std::ofstream(file) << "x";
  UnlinkRegisteredFiles();  // forgotten: left alone
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ(RegisterFile(std::string(kMaxRegisteredPathLength + 1, 'x')), -1);
}

TEST(ProcessWinTest, ChildIsInTheKillOnCloseJob) {
  Process p = SpawnOrDie({"sleep", "600000"});
  HANDLE job = internal::ChildJob();
  ASSERT_NE(job, nullptr);
  HANDLE h = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(p.pid()));
  ASSERT_NE(h, nullptr);
  ::CloseHandle(h);
  // The job's own list (IsProcessInJob is not implemented by wine).
  struct {
    JOBOBJECT_BASIC_PROCESS_ID_LIST list;
    ULONG_PTR more[63];
  } ids = {};
  ASSERT_TRUE(::QueryInformationJobObject(job, JobObjectBasicProcessIdList, &ids, sizeof ids,
                                          nullptr));
  std::vector<uint64_t> members(ids.list.ProcessIdList,
                                ids.list.ProcessIdList + ids.list.NumberOfProcessIdsInList);
  EXPECT_NE(std::find(members.begin(), members.end(), static_cast<uint64_t>(p.pid())),
            members.end());
  EXPECT_EQ(std::find(members.begin(), members.end(), ::GetCurrentProcessId()), members.end());
  // That the job kills on close is shown by KilledParentTakesItsChildrenWithIt (wine
  // reports no limit flags through QueryInformationJobObject).
}

// Reads the child's "GRANDCHILD=<pid>\n" line; returns a handle to wait on it, or nullptr.
HANDLE OpenGrandchild(Process* child) {
  std::string out;
  for (int i = 0; i < 300 && out.find('\n') == std::string::npos; ++i) {
    Result<std::string> more = child->ReadOutput(100ms);
    if (more.ok()) out += *more;
  }
  const size_t at = out.find("GRANDCHILD=");
  EXPECT_NE(at, std::string::npos) << out;
  if (at == std::string::npos) return nullptr;
  const DWORD pid = std::stoul(out.substr(at + 11));
  return ::OpenProcess(SYNCHRONIZE, FALSE, pid);
}

// The child plays diskferry: TerminateProcess runs none of its code, yet the job it put
// its own child in closes with it and takes the grandchild along.
TEST(ProcessWinTest, KilledParentTakesItsChildrenWithIt) {
  Process p = SpawnOrDie({"spawn-grandchild"}, OutputMode::kPipe);
  HANDLE grandchild = OpenGrandchild(&p);
  ASSERT_NE(grandchild, nullptr);
  EXPECT_EQ(::WaitForSingleObject(grandchild, 200), static_cast<DWORD>(WAIT_TIMEOUT));
  ASSERT_EQ(p.KillAndWait(30s).value().value, kKilled);
  EXPECT_EQ(::WaitForSingleObject(grandchild, 30000), WAIT_OBJECT_0);
  ::CloseHandle(grandchild);
}

// The handler itself, called as the console would: it kills our registered children and
// deletes our registered files, and leaves the process's end to the default handler.
TEST(ProcessWinTest, CtrlHandlerKillsRegisteredChildrenAndDeletesRegisteredFiles) {
  TempDir dir;
  const fs::path file = dir.path() / "shm-region";
  std::ofstream(file) << "x";
  const int slot = RegisterFile(Utf8(file));
  ASSERT_GE(slot, 0);
  Process p = SpawnOrDie({"sleep", "600000"});
  EXPECT_FALSE(internal::ChildCleanupCtrlHandler(CTRL_C_EVENT));
  Result<ExitStatus> s = p.Wait(30s);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->value, kKilled);
  EXPECT_FALSE(fs::exists(file));
  UnregisterFile(slot);
}

// Ctrl-C in a console: the handler kills the registered grandchild and deletes the
// registered file, then lets the default handler end the process as Ctrl-C does.
TEST(ProcessWinTest, CtrlCKillsChildrenAndDeletesRegisteredFiles) {
  TempDir dir;
  const fs::path file = dir.path() / "shm-region";
  std::ofstream(file) << "x";
  Process p = SpawnOrDie({"ctrl-c", Utf8(file)}, OutputMode::kPipe);
  HANDLE grandchild = OpenGrandchild(&p);
  ASSERT_NE(grandchild, nullptr);
  Result<ExitStatus> s = p.Wait(30s);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  if (s->value == 4) {
    ::TerminateProcess(grandchild, 1);
    ::CloseHandle(grandchild);
    GTEST_SKIP() << "no console to send Ctrl-C through (wine without a terminal); "
                    "CtrlHandlerKillsRegisteredChildrenAndDeletesRegisteredFiles covers "
                    "the handler";
  }
  EXPECT_EQ(static_cast<uint32_t>(s->value), 0xC000013Au);  // STATUS_CONTROL_C_EXIT
  EXPECT_EQ(::WaitForSingleObject(grandchild, 30000), WAIT_OBJECT_0);
  DWORD code = 0;
  ::GetExitCodeProcess(grandchild, &code);
  EXPECT_EQ(code, static_cast<DWORD>(kKilled));  // by the handler, not by the job's close
  ::CloseHandle(grandchild);
  EXPECT_FALSE(fs::exists(file));
}

}  // namespace
}  // namespace diskferry
