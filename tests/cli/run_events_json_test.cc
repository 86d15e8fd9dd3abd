// JSON mode: events as JSON Lines in order with their fields, exact counters under
// concurrent updates, ticker-driven progress that stops at job_finished, raw-byte paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "cli/run_events_display.h"
#include "tests/cli/run_events_test_util.h"

namespace diskferry {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using testing::CapturedFile;
using testing::ParseJsonLines;
using testing::WaitFor;

std::vector<std::string> EventNames(const std::vector<Json>& events) {
  std::vector<std::string> names;
  for (const Json& e : events) names.push_back(e.value("event", ""));
  return names;
}

// No progress events unless a test asks for them.
const JsonEventsOptions kNoTicks{.progress_interval = hours(1)};

TEST(RunEventsJsonTest, WritesOneEventPerLineInCallOrderWithTheirFields) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->RunStarted(2, 1);
    events->Appliance(
        {.what = "launched", .slot = 0, .pid = 42, .image = "disk.img", .launch_seconds = 2.5});
    JobMeter* meter = events->JobStarted("copy-etc", "extract");
    meter->AddFile(100);
    meter->AddBytes(1000);
    meter->AddFile(0);
    events->FileError("copy-etc", "etc/shadow", "Permission denied");
    events->Log(LogLevel::kInfo, "only on the log");
    events->Log(LogLevel::kWarning, "slow disk");
    events->JobFinished("copy-etc", JobStatus::kWarnings, "1 file could not be read");
    events->JobFinished("never-started", JobStatus::kSkipped, "");
    events->RunFinished({.jobs = {JobStatus::kWarnings, JobStatus::kSkipped},
                         .files = 2,
                         .bytes = 1100,
                         .seconds = 3.5,
                         .report_path = "run.jsonl"});
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(EventNames(e),
            (std::vector<std::string>{"run_started", "appliance", "job_started", "file_error",
                                      "log", "job_finished", "job_finished", "summary"}));
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const Json& event : e) {
    EXPECT_EQ(event.begin().key(), "event");
    EXPECT_TRUE(std::regex_match(event.value("time", ""), rfc3339)) << event.dump();
  }
  EXPECT_EQ(e[0]["jobs"], 2);
  EXPECT_EQ(e[0]["appliances"], 1);
  EXPECT_EQ(e[1]["what"], "launched");
  EXPECT_EQ(e[1]["pid"], 42);
  EXPECT_EQ(e[1]["image"], "disk.img");
  EXPECT_EQ(e[1]["launch_seconds"], 2.5);
  EXPECT_EQ(e[2]["job"], "copy-etc");
  EXPECT_EQ(e[2]["kind"], "extract");
  EXPECT_EQ(e[3]["path"], "etc/shadow");
  EXPECT_EQ(e[3]["message"], "Permission denied");
  EXPECT_EQ(e[4]["level"], "warning");
  EXPECT_EQ(e[4]["message"], "slow disk");
  EXPECT_EQ(e[5]["status"], "warnings");
  EXPECT_EQ(e[5]["message"], "1 file could not be read");
  EXPECT_EQ(e[5]["files"], 2);
  EXPECT_EQ(e[5]["bytes"], 1100);
  EXPECT_EQ(e[5]["file_errors"], 1);
  EXPECT_GE(e[5]["seconds"].get<double>(), 0);
  const Json& summary = e[7];
  EXPECT_EQ(summary["exit_code"], 1);  // ExitCodeOfRun: warnings
  EXPECT_EQ(summary["interrupted"], false);
  EXPECT_EQ(summary["jobs"].dump(),
            R"({"ok":0,"warnings":1,"failed":0,"differences":0,"skipped":1,"cancelled":0,)"
            R"("interrupted":0})");
  EXPECT_EQ(summary["files"], 2);
  EXPECT_EQ(summary["bytes"], 1100);
  EXPECT_EQ(summary["seconds"], 3.5);
  EXPECT_EQ(summary["report"], "run.jsonl");
  EXPECT_EQ(log.Text(), "only on the log\nwarning: slow disk\n");
}

TEST(RunEventsJsonTest, ConcurrentMeterUpdatesSumExactly) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), {.progress_interval = milliseconds(1)});
    JobMeter* meter = events->JobStarted("j", "extract");
    std::vector<std::thread> workers;
    for (int t = 0; t < 8; ++t) {
      workers.emplace_back([meter] {
        for (int i = 0; i < 20000; ++i) {
          meter->AddFile(3);
          meter->AddBytes(1);
        }
      });
    }
    for (std::thread& w : workers) w.join();
    events->JobFinished("j", JobStatus::kOk, "");
    events->RunFinished({});
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  auto finished =
      std::find_if(e.begin(), e.end(), [](const Json& j) { return j["event"] == "job_finished"; });
  ASSERT_NE(finished, e.end());
  EXPECT_EQ((*finished)["files"], 8 * 20000);
  EXPECT_EQ((*finished)["bytes"], 8 * 20000 * 4);
}

size_t CountEvents(const CapturedFile& out, const std::string& name) {
  const auto names = EventNames(ParseJsonLines(out.Text()));
  return static_cast<size_t>(std::count(names.begin(), names.end(), name));
}

// The events of `job`, and the summary.
std::vector<Json> EventsOf(const std::vector<Json>& events, const std::string& job) {
  std::vector<Json> out;
  for (const Json& e : events) {
    if (e.value("job", "") == job || e.value("event", "") == "summary") out.push_back(e);
  }
  return out;
}

size_t CountProgress(const CapturedFile& out, const std::string& job) {
  const std::vector<Json> e = EventsOf(ParseJsonLines(out.Text()), job);
  return static_cast<size_t>(
      std::count_if(e.begin(), e.end(), [](const Json& j) { return j["event"] == "progress"; }));
}

TEST(RunEventsJsonTest, ProgressFollowsChangesAndStopsAtJobFinished) {
  CapturedFile out, log;
  auto events = MakeJsonEvents(out.get(), log.get(), {.progress_interval = milliseconds(2)});
  JobMeter* meter = events->JobStarted("j", "extract");
  // A second job that changes before every tick the test waits for: each of its progress
  // events is one more tick of the same ticker.
  JobMeter* clock = events->JobStarted("clock", "list");
  const auto ticks = [&](size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const size_t seen = CountProgress(out, "clock");
      clock->AddFile(1);
      WaitFor([&] { return CountProgress(out, "clock") > seen; });
    }
  };
  meter->SetTotals(10, 1000);
  meter->SetParts(1, 2);
  meter->AddFile(100);
  WaitFor([&] { return CountProgress(out, "j") == 1; });
  ticks(5);  // nothing changes for several ticks: no new event
  EXPECT_EQ(CountProgress(out, "j"), 1u);
  meter->AddFile(100);
  WaitFor([&] { return CountProgress(out, "j") == 2; });
  events->JobFinished("j", JobStatus::kOk, "");
  meter->AddFile(100);  // a late update after the job finished
  ticks(5);
  events->JobFinished("clock", JobStatus::kOk, "");
  events->RunFinished({});

  const std::vector<Json> e = EventsOf(ParseJsonLines(out.Text()), "j");
  ASSERT_EQ(EventNames(e), (std::vector<std::string>{"job_started", "progress", "progress",
                                                     "job_finished", "summary"}));
  EXPECT_EQ(e[1]["files"], 1);
  EXPECT_EQ(e[1]["bytes"], 100);
  EXPECT_EQ(e[1]["files_total"], 10);
  EXPECT_EQ(e[1]["bytes_total"], 1000);
  EXPECT_EQ(e[1]["parts_running"], 1);
  EXPECT_EQ(e[1]["parts_total"], 2);
  EXPECT_TRUE(e[1]["bytes_per_second"].is_number());
  EXPECT_EQ(e[2]["files"], 2);
  EXPECT_GT(e[2]["bytes_per_second"].get<double>(), 0);
  EXPECT_TRUE(e[2].contains("eta_seconds"));
}

TEST(RunEventsJsonTest, ProgressOmitsUnknownTotalsAndEta) {
  CapturedFile out, log;
  auto events = MakeJsonEvents(out.get(), log.get(), {.progress_interval = milliseconds(2)});
  events->JobStarted("j", "list")->AddFile(5);
  WaitFor([&] { return CountEvents(out, "progress") == 1; });
  events->RunFinished({});
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(e[1]["event"], "progress");
  for (const char* key : {"files_total", "bytes_total", "parts_total", "eta_seconds"}) {
    EXPECT_FALSE(e[1].contains(key)) << key;
  }
}

TEST(RunEventsJsonTest, NonUtf8PathIsBase64AndOtherTextStaysValidJson) {
  CapturedFile out, log;
  const std::string path = std::string("etc/caf") + '\xe9' + ".conf";  // Latin-1
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->FileError("j\xff", path, "cannot open " + path);
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(e.size(), 1u);
  EXPECT_FALSE(e[0].contains("path"));
  EXPECT_EQ(e[0]["path_b64"], Base64Encode(path));
  EXPECT_EQ(Base64Decode(e[0]["path_b64"].get<std::string>()), path);
  EXPECT_EQ(e[0]["job"], "j\xef\xbf\xbd");  // U+FFFD
  EXPECT_TRUE(IsValidUtf8(e[0]["message"].get<std::string>()));
}

TEST(RunEventsJsonTest, OutputLinesAreEventsAndRawBytesGoBase64) {
  CapturedFile out, log;
  const std::string raw = std::string("file\t3\t/caf") + '\xe9';
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->Output("dir\t0\t/etc");
    events->Output(raw);
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(EventNames(e), (std::vector<std::string>{"output", "output"}));
  EXPECT_EQ(e[0]["line"], "dir\t0\t/etc");
  EXPECT_EQ(Base64Decode(e[1]["line_b64"].get<std::string>()), raw);
  EXPECT_EQ(log.Text(), "");
}

TEST(RunEventsJsonTest, JobMountedListsFilesystemsAndLogsEachReplayedJournalOnce) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->JobStarted("backup", "extract");
    events->JobMounted("backup",
                       {{"/dev/sda1", "ext4", "/", true}, {"/dev/sdb", "xfs", "/srv", false}});
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(EventNames(e), (std::vector<std::string>{"job_started", "job_mounted"}));
  EXPECT_EQ(e[1]["job"], "backup");
  EXPECT_EQ(e[1]["filesystems"].dump(),
            R"([{"device":"/dev/sda1","type":"ext4","mount_point":"/","replayed":true},)"
            R"({"device":"/dev/sdb","type":"xfs","mount_point":"/srv","replayed":false}])");
  EXPECT_EQ(log.Text(),
            "backup: /dev/sda1 (ext4): journal replayed into a throw-away overlay; the source "
            "is unchanged\n");
}

TEST(RunEventsJsonTest, JobMountedWithoutReplayLogsNothing) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->JobMounted("list", {{"/dev/sda", "ext4", "/", false}});
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(EventNames(e), (std::vector<std::string>{"job_mounted"}));
  EXPECT_EQ(e[0]["filesystems"][0]["replayed"], false);
  EXPECT_EQ(log.Text(), "");
}

// A resumed run: the job the interrupted run finished (failed) has no job_finished, but the
// exit code is the command's, from every job's status.
TEST(RunEventsJsonTest, SummaryExitCodeCountsJobsFinishedBeforeAResume) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->JobFinished("second", JobStatus::kOk, "");
    events->RunFinished({.jobs = {JobStatus::kFailed, JobStatus::kOk}});
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1]["exit_code"], 2);
  EXPECT_EQ(e[1]["jobs"]["ok"], 1);
  EXPECT_EQ(e[1]["jobs"]["failed"], 0);
}

TEST(RunEventsJsonTest, AnInterruptedRunsSummarySays130) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->JobFinished("j", JobStatus::kInterrupted, "");
    events->RunFinished({.jobs = {JobStatus::kInterrupted}, .interrupted = true});
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["status"], "interrupted");
  EXPECT_EQ(e[1]["exit_code"], 130);
  EXPECT_EQ(e[1]["interrupted"], true);
  EXPECT_EQ(e[1]["jobs"]["interrupted"], 1);
}

TEST(RunEventsJsonTest, UnstartedJobCanFinishAsSkipped) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    events->JobFinished("later", JobStatus::kSkipped, "an earlier job failed");
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["status"], "skipped");
  EXPECT_FALSE(e[0].contains("kind"));
  EXPECT_EQ(e[0]["files"], 0);
}

TEST(RunEventsJsonTest, NoEventsAfterDestructionWithoutRunFinished) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), {.progress_interval = milliseconds(1)});
    JobMeter* meter = events->JobStarted("j", "extract");
    meter->AddFile(1);
    WaitFor([&] { return CountEvents(out, "progress") == 1; });
  }
  const std::string text = out.Text();
  testing::WaitTicks(milliseconds(1), 10);  // as many ticks as a ticker left running makes
  EXPECT_EQ(out.Text(), text);
}

TEST(RunEventsJsonTest, EvidenceEventsCarryTheStageHashesAndMatch) {
  CapturedFile out, log;
  {
    auto events = MakeJsonEvents(out.get(), log.get(), kNoTicks);
    const ImageDigests d{"disk.img", 3, {{"md5", "bb"}, {"sha256", "aa"}}};
    events->Evidence({.job = "j", .stage = "before", .digests = d});
    events->Evidence({.job = "j", .stage = "after", .digests = d, .match = false});
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(EventNames(e), (std::vector<std::string>{"evidence", "evidence"}));
  EXPECT_EQ(e[0]["stage"], "before");
  EXPECT_EQ(e[0]["path"], "disk.img");
  EXPECT_EQ(e[0]["size"], 3);
  EXPECT_EQ(e[0]["hashes"], (Json{{"md5", "bb"}, {"sha256", "aa"}}));
  EXPECT_FALSE(e[0].contains("match"));
  EXPECT_EQ(e[1]["match"], false);
  EXPECT_EQ(log.Text(), "");
}

TEST(RunEventsJsonTest, WithoutALogEveryLogIsAnEventInfoIncluded) {
  CapturedFile out;
  {
    auto events = MakeJsonEvents(out.get(), nullptr, kNoTicks);
    events->Log(LogLevel::kInfo, "split into 2 parts");
    events->JobMounted("j", {{"/dev/sda1", "ext4", "/", true}});
    events->Log(LogLevel::kWarning, "slow disk");
  }
  const std::vector<Json> e = ParseJsonLines(out.Text());
  ASSERT_EQ(EventNames(e), (std::vector<std::string>{"log", "job_mounted", "log", "log"}));
  EXPECT_EQ(e[0]["level"], "info");
  EXPECT_EQ(e[0]["message"], "split into 2 parts");
  EXPECT_EQ(e[2]["level"], "info");
  EXPECT_NE(e[2].value("message", "").find("journal replayed"), std::string::npos);
  EXPECT_EQ(e[3]["level"], "warning");
}

}  // namespace
}  // namespace diskferry
