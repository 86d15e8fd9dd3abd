// Terminal mode: what ends up on the screen (replayed through a model of the few escapes
// used), width limits, hostile names, and the renderer thread stopping. Quiet mode too.
#include <gtest/gtest.h>

#include <thread>

#include "cli/run_events_display.h"
#include "tests/cli/run_events_test_util.h"

namespace diskferry {
namespace {

using std::chrono::milliseconds;
using testing::CapturedFile;
using testing::SplitLines;
using testing::WaitFor;

// Replays terminal output: text, '\n', '\r', ESC[nA (cursor up), ESC[J (clear to the end of
// the screen, only ever used at the start of a line). Any other escape fails the test.
std::vector<std::string> Screen(const std::string& output) {
  std::vector<std::string> rows(1);
  size_t row = 0;
  for (size_t i = 0; i < output.size(); ++i) {
    const char c = output[i];
    if (c == '\n') {
      if (++row == rows.size()) rows.emplace_back();
    } else if (c == '\r') {
      EXPECT_TRUE(rows[row].empty() || output.compare(i + 1, 1, "\x1b") == 0);
    } else if (c == '\x1b') {
      size_t end = i + 2;
      while (end < output.size() && std::isdigit(static_cast<unsigned char>(output[end]))) ++end;
      EXPECT_EQ(output[i + 1], '[');
      if (output[end] == 'A') {
        const size_t n = std::stoul(output.substr(i + 2, end - i - 2));
        EXPECT_LE(n, row);
        row -= n;
      } else if (output[end] == 'J') {
        rows.resize(row + 1);
        rows[row].clear();
      } else {
        ADD_FAILURE() << "unexpected escape at " << i;
      }
      i = end;
    } else {
      rows[row] += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

bool HasLineStarting(const std::vector<std::string>& lines, const std::string& prefix) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

TEST(RunEventsTerminalTest, ScreenModelFollowsRedraws) {
  EXPECT_EQ(Screen("a\nb\n\r\x1b[1A\x1b[Jc\n"), (std::vector<std::string>{"a", "c"}));
}

TEST(RunEventsTerminalTest, LiveBlockIsRedrawnInPlaceAndFinishedJobsStayAboveIt) {
  CapturedFile tty;  // stdout and stderr on one terminal
  auto events = MakeTerminalEvents(tty.get(), tty.get(), {.refresh = milliseconds(2)});
  events->RunStarted(2, 1);
  JobMeter* a = events->JobStarted("alpha", "extract");
  JobMeter* b = events->JobStarted("beta", "inject");
  a->AddFile(10);
  WaitFor([&] { return HasLineStarting(Screen(tty.Text()), "  alpha"); });
  events->Log(LogLevel::kInfo, "hello");
  events->JobFinished("alpha", JobStatus::kOk, "");
  // While beta runs, the screen is: permanent lines, then the live block.
  std::vector<std::string> screen = Screen(tty.Text());
  ASSERT_EQ(screen.size(), 4u) << tty.Text();
  EXPECT_EQ(screen[0], "hello");
  EXPECT_EQ(screen[1].rfind("[ok] alpha (extract): 1 file, 10 B in ", 0), 0u) << screen[1];
  EXPECT_EQ(screen[2].rfind("  beta  inject  0 files  0 B", 0), 0u) << screen[2];
  EXPECT_EQ(screen[3].rfind("  all   1/2 jobs done, 1 running  1 file  10 B", 0), 0u) << screen[3];
  b->AddBytes(5);
  events->JobFinished("beta", JobStatus::kFailed, "disk full");
  events->RunFinished(
      {.jobs = {JobStatus::kOk, JobStatus::kFailed}, .files = 1, .bytes = 15, .seconds = 0.25});
  screen = Screen(tty.Text());
  ASSERT_EQ(screen.size(), 4u) << tty.Text();
  EXPECT_EQ(screen[2].rfind("[failed] beta (inject): 0 files, 5 B in ", 0), 0u) << screen[2];
  EXPECT_EQ(screen[2].substr(screen[2].size() - 11), ": disk full");
  EXPECT_EQ(screen[3], "2 jobs: 1 ok, 1 failed; 1 file, 15 B in 0.2 s");
}

TEST(RunEventsTerminalTest, LogsGoToTheLogStreamAndJobsToTheTerminal) {
  CapturedFile out, err;
  {
    auto events = MakeTerminalEvents(out.get(), err.get(), {.refresh = milliseconds(1000)});
    events->Log(LogLevel::kWarning, "careful");
    events->FileError("j", "a\x1b[2Jb", "gone");
    events->Appliance({.what = "reused", .slot = 1});
    events->JobFinished("j", JobStatus::kOk, "");
    events->RunFinished({});
  }
  EXPECT_EQ(err.Text(), "warning: careful\nwarning: j: a\\x1b[2Jb: gone\n");
  const std::vector<std::string> screen = Screen(out.Text());
  ASSERT_EQ(screen.size(), 2u);
  EXPECT_EQ(screen[0].rfind("[ok] j: 0 files", 0), 0u) << screen[0];
}

TEST(RunEventsTerminalTest, OutputLinesArePrintableAboveTheLiveBlock) {
  CapturedFile tty;
  auto events = MakeTerminalEvents(tty.get(), tty.get(), {.refresh = milliseconds(2)});
  events->RunStarted(1, 1);
  events->JobStarted("j", "list");
  WaitFor([&] { return Screen(tty.Text()).size() == 2; });
  events->Output("file\t3\t/caf\xe9\x1b[2J");
  const std::vector<std::string> screen = Screen(tty.Text());
  ASSERT_EQ(screen.size(), 3u);
  EXPECT_EQ(screen[0], "file\t3\t/caf\\xe9\\x1b[2J");
  EXPECT_EQ(screen[1].rfind("  j  ", 0), 0u) << screen[1];
  events->RunFinished({});
}

TEST(RunEventsTerminalTest, LinesFitTheGivenWidth) {
  CapturedFile tty;
  auto events = MakeTerminalEvents(tty.get(), tty.get(), {.refresh = milliseconds(2), .width = 20});
  events->RunStarted(1, 1);
  events->JobStarted("a-rather-long-job-name", "extract")->AddFile(1 << 20);
  WaitFor([&] { return Screen(tty.Text()).size() == 2; });
  for (const std::string& line : Screen(tty.Text())) EXPECT_LE(line.size(), 19u) << line;
  events->RunFinished({});
}

TEST(RunEventsTerminalTest, FallsBackToEightyColumnsWhenNotATerminal) {
  CapturedFile tty;
  auto events = MakeTerminalEvents(tty.get(), tty.get(), {.refresh = milliseconds(2)});
  events->RunStarted(1, 1);
  events->JobStarted(std::string(200, 'n'), "extract");
  WaitFor([&] { return Screen(tty.Text()).size() == 2; });
  const std::vector<std::string> screen = Screen(tty.Text());
  EXPECT_EQ(screen[0].size(), 79u);
  events->RunFinished({});
}

TEST(RunEventsTerminalTest, HostileJobNamesCannotSendEscapes) {
  CapturedFile tty;
  {
    auto events = MakeTerminalEvents(tty.get(), tty.get(), {.refresh = milliseconds(2)});
    events->RunStarted(1, 1);
    events->JobStarted("\x1b]0;owned\x07", "extract");
    WaitFor([&] { return Screen(tty.Text()).size() == 2; });
    events->JobFinished("\x1b]0;owned\x07", JobStatus::kOk, "\x1b[31m");
    events->RunFinished({});
  }
  // Screen() fails the test on any escape other than the display's own.
  const std::vector<std::string> screen = Screen(tty.Text());
  EXPECT_EQ(screen[0].rfind("[ok] \\x1b]0;owned\\x07 (extract)", 0), 0u) << screen[0];
}

TEST(RunEventsTerminalTest, RendererStopsAtRunFinished) {
  CapturedFile tty;
  auto events = MakeTerminalEvents(tty.get(), tty.get(), {.refresh = milliseconds(1)});
  events->RunStarted(1, 1);
  events->JobStarted("j", "extract");
  WaitFor([&] { return !tty.Text().empty(); });
  events->RunFinished({});
  const std::string text = tty.Text();
  testing::WaitTicks(milliseconds(1), 10);  // as many refreshes as a renderer left running makes
  EXPECT_EQ(tty.Text(), text);
  // Still usable for late lines, with no live block.
  events->Log(LogLevel::kError, "late");
  EXPECT_EQ(tty.Text(), text + "error: late\n");
}

TEST(RunEventsTerminalTest, RendererStopsWhenDestroyedWithoutRunFinished) {
  CapturedFile tty;
  {
    auto events = MakeTerminalEvents(tty.get(), tty.get(), {.refresh = milliseconds(1)});
    events->RunStarted(1, 1);
    events->JobStarted("j", "extract")->AddFile(1);
    WaitFor([&] { return !tty.Text().empty(); });
  }
  const std::string text = tty.Text();
  testing::WaitTicks(milliseconds(1), 10);
  EXPECT_EQ(tty.Text(), text);
}

TEST(RunEventsQuietTest, PrintsOnlyWarningsAndErrorsAndNothingOnStdout) {
  CapturedFile out, err;
  ::testing::internal::CaptureStdout();
  {
    auto events = MakeQuietEvents(out.get(), err.get());
    events->RunStarted(3, 2);
    events->Appliance({.what = "launched", .slot = 0, .pid = 9, .launch_seconds = 1});
    events->Appliance({.what = "killed", .slot = 0, .pid = 9, .message = "hung for 30 s"});
    events->JobStarted("a", "extract")->AddFile(5);
    events->Log(LogLevel::kInfo, "not shown");
    events->Log(LogLevel::kWarning, "w");
    events->Log(LogLevel::kError, "e");
    events->JobFinished("a", JobStatus::kOk, "");
    events->JobStarted("b", "verify");
    events->JobFinished("b", JobStatus::kDifferences, "2 files differ");
    events->JobFinished("c", JobStatus::kFailed, "no filesystem");
    events->RunFinished({.jobs = {JobStatus::kOk, JobStatus::kDifferences, JobStatus::kFailed}});
  }
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(out.Text(), "");
  const std::vector<std::string> lines = SplitLines(err.Text());
  ASSERT_EQ(lines.size(), 5u) << err.Text();
  EXPECT_EQ(lines[0], "warning: appliance 0 (pid 9): killed: hung for 30 s");
  EXPECT_EQ(lines[1], "warning: w");
  EXPECT_EQ(lines[2], "error: e");
  EXPECT_EQ(lines[3].rfind("warning: [differences] b (verify): 0 files, 0 B in ", 0), 0u);
  EXPECT_EQ(lines[4], "error: [failed] c: 0 files, 0 B in 0.0 s: no filesystem");
}

TEST(RunEventsQuietTest, OutputLinesGoToStdoutWithEachColumnEscaped) {
  CapturedFile out, err;
  {
    auto events = MakeQuietEvents(out.get(), err.get());
    events->Output("file\t3\t/etc/caf\xe9");
    events->Output("dir\t0\t/etc/caf\xc3\xa9");
    events->RunFinished({});
    EXPECT_EQ(out.Text(), "file\t3\t/etc/caf\\xe9\ndir\t0\t/etc/caf\xc3\xa9\n");
  }
  EXPECT_EQ(err.Text(), "");
}

TEST(RunEventsQuietTest, FileErrorsAreCappedPerJob) {
  CapturedFile out, err;
  {
    auto events = MakeQuietEvents(out.get(), err.get());
    for (int i = 0; i < 50; ++i) events->FileError("a", "f" + std::to_string(i), "EIO");
    events->FileError("b", "g", "EIO");
  }
  const std::vector<std::string> lines = SplitLines(err.Text());
  ASSERT_EQ(lines.size(), RunEvents::kMaxFileErrorLines + 2);
  EXPECT_EQ(lines[0], "warning: a: f0: EIO");
  EXPECT_EQ(lines[RunEvents::kMaxFileErrorLines],
            "warning: a: more file errors; all are in the report");
  EXPECT_EQ(lines.back(), "warning: b: g: EIO");
}

}  // namespace
}  // namespace diskferry
