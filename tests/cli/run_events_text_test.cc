// The text of run events: sizes, durations, the live block from a snapshot at a given time,
// and the plain lines of terminal and quiet modes.
#include "cli/run_events_text.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

using std::chrono::seconds;

const SteadyTime kT0{};

JobView RunningJob(std::string name, JobCounts counts, double bytes_per_second) {
  JobView job;
  job.job = std::move(name);
  job.kind = "extract";
  job.counts = counts;
  job.started = kT0;
  job.bytes_per_second = bytes_per_second;
  return job;
}

RunView StartedRun(std::vector<JobView> running) {
  RunView view;
  view.run_started = true;
  view.started = kT0;
  view.jobs_total = 3;
  view.jobs_finished = 1;
  for (const JobView& job : running) {
    view.files += job.counts.files;
    view.bytes += job.counts.bytes;
  }
  view.running = std::move(running);
  return view;
}

TEST(RunEventsTextTest, FormatsBytesInBinaryUnits) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(56 * 1048576ull + 734003), "56.7 MiB");
  EXPECT_EQ(FormatBytes(1048575), "1.0 MiB");  // not "1024.0 KiB"
  EXPECT_EQ(FormatBytes(3ull << 40), "3.0 TiB");
  EXPECT_EQ(FormatBytes(UINT64_MAX), "16.0 EiB");
}

TEST(RunEventsTextTest, FormatsDurations) {
  EXPECT_EQ(FormatClock(7), "0:07");
  EXPECT_EQ(FormatClock(754), "12:34");
  EXPECT_EQ(FormatClock(3723), "1:02:03");
  EXPECT_EQ(FormatClock(-5), "0:00");
  EXPECT_EQ(FormatSeconds(3.21), "3.2 s");
  EXPECT_EQ(FormatSeconds(125), "2:05");
}

TEST(RunEventsTextTest, JobLineWithKnownTotalsShowsTotalsAndEta) {
  JobCounts c{.files = 120, .bytes = 5 << 20, .files_total = 400, .bytes_total = 20 << 20};
  const auto lines =
      RenderLiveBlock(StartedRun({RunningJob("copy-etc", c, 1 << 20)}), kT0 + seconds(12), 200);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "  copy-etc  extract  120/400 files  5.0 MiB/20.0 MiB  1.0 MiB/s  ETA 0:15");
  EXPECT_EQ(lines[1],
            "  all       1/3 jobs done, 1 running  120 files  5.0 MiB  0 B/s  elapsed 0:12");
}

TEST(RunEventsTextTest, JobLineWithUnknownTotalsShowsElapsedInsteadOfEta) {
  JobCounts c{.files = 1, .bytes = 2048};
  const auto lines = RenderLiveBlock(StartedRun({RunningJob("j", c, 512)}), kT0 + seconds(65), 200);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "  j    extract  1 file  2.0 KiB  512 B/s  elapsed 1:05");
  EXPECT_EQ(lines[0].find("ETA"), std::string::npos);
}

TEST(RunEventsTextTest, EtaFallsBackToFilesWhenOnlyTheFileTotalIsKnown) {
  JobCounts c{.files = 10, .bytes = 100, .files_total = 30};
  JobView job = RunningJob("j", c, 0);
  job.files_per_second = 2;
  const auto lines = RenderLiveBlock(StartedRun({job}), kT0, 200);
  EXPECT_NE(lines[0].find("ETA 0:10"), std::string::npos) << lines[0];
}

TEST(RunEventsTextTest, SplitJobShowsParts) {
  JobCounts c{.parts_running = 2, .parts_total = 4};
  const auto lines = RenderLiveBlock(StartedRun({RunningJob("j", c, 0)}), kT0, 200);
  EXPECT_NE(lines[0].find("parts 2/4"), std::string::npos) << lines[0];
}

TEST(RunEventsTextTest, NamesAreAlignedAndLongNamesDoNotWidenTheColumnPastTheCap) {
  const auto lines =
      RenderLiveBlock(StartedRun({RunningJob("a", {}, 0), RunningJob("bbbbbb", {}, 0)}), kT0, 200);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("  a       extract", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("  bbbbbb  extract", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("  all     1/3", 0), 0u) << lines[2];
  const auto long_name =
      RenderLiveBlock(StartedRun({RunningJob(std::string(60, 'x'), {}, 0)}), kT0, 200);
  EXPECT_EQ(long_name[1].rfind("  all" + std::string(24 - 3, ' ') + "  1/3", 0), 0u)
      << long_name[1];
}

TEST(RunEventsTextTest, LinesAreTruncatedToTheWidth) {
  JobCounts c{.files = 120, .bytes = 5 << 20, .files_total = 400, .bytes_total = 20 << 20};
  const auto lines = RenderLiveBlock(StartedRun({RunningJob("copy-etc", c, 1 << 20)}), kT0, 30);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "  copy-etc  extract  120/400 f");
  EXPECT_EQ(lines[1].size(), 30u);
}

TEST(RunEventsTextTest, TruncationCountsCodePointsAndNeverSplitsOne) {
  EXPECT_EQ(TruncateToWidth("h\xc3\xa9llo", 2), "h\xc3\xa9");
  EXPECT_EQ(TruncateToWidth("\xe2\x9c\x93\xe2\x9c\x93", 1), "\xe2\x9c\x93");
  EXPECT_EQ(TruncateToWidth("abc", 10), "abc");
  EXPECT_EQ(TruncateToWidth("abc", 0), "");
}

TEST(RunEventsTextTest, NothingToDrawBeforeTheRunStarts) {
  EXPECT_TRUE(RenderLiveBlock(RunView(), kT0, 80).empty());
}

TEST(RunEventsTextTest, OutputColumnsAreEscapedOneByOneAndTheirTabsKept) {
  EXPECT_EQ(PrintableColumns("file\t3\t/a\x1b]52;c;AAAA\x07"
                             "b"),
            "file\t3\t/a\\x1b]52;c;AAAA\\x07b");
  EXPECT_EQ(PrintableColumns("no tabs"), "no tabs");
  EXPECT_EQ(PrintableColumns("\t\t"), "\t\t");
  EXPECT_EQ(PrintableColumns("a\nb\tc"), "a\\x0ab\tc");
}

TEST(RunEventsTextTest, LiveBlockEscapesHostileJobNames) {
  const auto lines = RenderLiveBlock(StartedRun({RunningJob("\x1b[31mred", {}, 0)}), kT0, 200);
  EXPECT_EQ(lines[0].find('\x1b'), std::string::npos);
}

TEST(RunEventsTextTest, LogLinesCarryTheirLevel) {
  EXPECT_EQ(PlainLogLine(LogLevel::kInfo, "hello"), "hello");
  EXPECT_EQ(PlainLogLine(LogLevel::kWarning, "w"), "warning: w");
  EXPECT_EQ(PlainLogLine(LogLevel::kError, "e\nsecond line"), "error: e\nsecond line");
}

TEST(RunEventsTextTest, FinishedJobLineSummarisesTheJob) {
  JobCounts c{.files = 1234, .bytes = 56 * 1048576ull + 734003};
  PlainLine ok = JobFinishedLine("copy-etc", "extract", JobStatus::kOk, "", c, 0, 3.2);
  EXPECT_EQ(ok.level, LogLevel::kInfo);
  EXPECT_EQ(ok.text, "[ok] copy-etc (extract): 1234 files, 56.7 MiB in 3.2 s");
  PlainLine failed = JobFinishedLine("j", "inject", JobStatus::kFailed, "disk full", {}, 2, 0.5);
  EXPECT_EQ(failed.level, LogLevel::kError);
  EXPECT_EQ(failed.text, "[failed] j (inject): 0 files, 0 B in 0.5 s, 2 file errors: disk full");
  PlainLine skipped =
      JobFinishedLine("j", "", JobStatus::kSkipped, "depends on a failed job", {}, 0, 0);
  EXPECT_EQ(skipped.level, LogLevel::kInfo);
  EXPECT_EQ(skipped.text, "[skipped] j: depends on a failed job");
  EXPECT_EQ(JobFinishedLine("j", "verify", JobStatus::kDifferences, "", {}, 0, 1).level,
            LogLevel::kWarning);
  EXPECT_EQ(JobFinishedLine("j", "extract", JobStatus::kWarnings, "", {}, 1, 1).level,
            LogLevel::kWarning);
  PlainLine interrupted = JobFinishedLine("j", "extract", JobStatus::kInterrupted, "", {}, 0, 1);
  EXPECT_EQ(interrupted.level, LogLevel::kWarning);
  EXPECT_EQ(interrupted.text, "[interrupted] j (extract): 0 files, 0 B in 1.0 s");
}

TEST(RunEventsTextTest, FileErrorLinesStopAfterTheCapWithOneNote) {
  auto first = FileErrorLine("j", "etc/\xff", "Permission denied", 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->level, LogLevel::kWarning);
  EXPECT_EQ(first->text, "j: etc/\\xff: Permission denied");
  EXPECT_TRUE(FileErrorLine("j", "p", "m", RunEvents::kMaxFileErrorLines).has_value());
  auto note = FileErrorLine("j", "p", "m", RunEvents::kMaxFileErrorLines + 1);
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(note->text, "j: more file errors; all are in the report");
  EXPECT_FALSE(FileErrorLine("j", "p", "m", RunEvents::kMaxFileErrorLines + 2).has_value());
}

TEST(RunEventsTextTest, EvidenceLineGivesBothHashesAndTheVerdictEscaped) {
  const ImageDigests d{"disk\x1b.img", 3, {{"md5", "bb"}, {"sha256", "aa"}}};
  EXPECT_EQ(EvidenceLine({.job = "j", .stage = "before", .digests = d}).text,
            "j: evidence: disk\\x1b.img (3 bytes): sha256 aa, md5 bb before the job");
  EXPECT_EQ(EvidenceLine({.job = "j", .stage = "after", .digests = d, .match = true}).text,
            "j: evidence: disk\\x1b.img (3 bytes): sha256 aa, md5 bb after the job: unchanged");
  EXPECT_EQ(EvidenceLine({.job = "j", .stage = "after", .digests = d, .match = false}).level,
            LogLevel::kInfo);
}

TEST(RunEventsTextTest, ReplayedJournalLineNamesEachReplayedFilesystemOnly) {
  EXPECT_EQ(ReplayedJournalLine("j", {{"/dev/sda1", "ext4", "/", false}}), std::nullopt);
  EXPECT_EQ(ReplayedJournalLine("j", {}), std::nullopt);
  const auto line = ReplayedJournalLine("j", {{"/dev/sda2", "ext4", "/", true},
                                              {"/dev/sda1", "vfat", "/boot", false},
                                              {"/dev/sdb1", "xfs", "/srv", true}});
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->level, LogLevel::kInfo);
  EXPECT_EQ(line->text,
            "j: /dev/sda2 (ext4): journal replayed into a throw-away overlay; the source is "
            "unchanged\n"
            "j: /dev/sdb1 (xfs): journal replayed into a throw-away overlay; the source is "
            "unchanged");
}

TEST(RunEventsTextTest, ReplayedJournalLineEscapesTheGuestsWords) {
  const auto line =
      ReplayedJournalLine("j", {{"/dev/sda1\x1b]52;c;AAAA\x07", "ext4\n\x1b[2J", "/", true}});
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->text.find('\x1b'), std::string::npos);
  EXPECT_EQ(line->text.find('\n'), std::string::npos);
  EXPECT_NE(line->text.find("/dev/sda1\\x1b]52;c;AAAA\\x07 (ext4\\x0a\\x1b[2J)"), std::string::npos)
      << line->text;
}

TEST(RunEventsTextTest, ApplianceFailuresAreWarningsAndRoutineEventsQuiet) {
  auto hung = ApplianceLine({.what = "hung", .slot = 2, .pid = 4321, .message = "no reply"});
  ASSERT_TRUE(hung.has_value());
  EXPECT_EQ(hung->level, LogLevel::kWarning);
  EXPECT_EQ(hung->text, "appliance 2 (pid 4321): hung: no reply");
  // A failed launch is the job's to tell (it fails or retries), unless details are asked for.
  EXPECT_FALSE(ApplianceLine({.what = "launch_failed", .slot = 0, .message = "no KVM"}));
  auto failed = ApplianceLine(
      {.what = "launch_failed", .slot = 0, .message = "no KVM\n  command: qemu"}, true);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->text, "appliance 0: launch failed: no KVM\n  command: qemu");
  auto hung_details = ApplianceLine({.what = "hung", .slot = 2, .message = "no reply\n  more"});
  EXPECT_EQ(hung_details->text, "appliance 2: hung: no reply");
  auto launched = ApplianceLine({.what = "launched", .slot = 1, .pid = 7, .launch_seconds = 2.3});
  EXPECT_EQ(launched->level, LogLevel::kInfo);
  EXPECT_EQ(launched->text, "appliance 1 (pid 7): launched in 2.3 s");
  EXPECT_FALSE(ApplianceLine({.what = "reused"}).has_value());
  EXPECT_FALSE(ApplianceLine({.what = "closed"}).has_value());
}

TEST(RunEventsTextTest, AFinishedJobsMessageShowsItsFirstLineUnlessDetailsAreAsked) {
  const std::string message = "appliance launch failed: QEMU exited\n  command: qemu -m 512";
  EXPECT_EQ(JobFinishedLine("j", "extract", JobStatus::kFailed, message, {}, 0, 0.5).text,
            "[failed] j (extract): 0 files, 0 B in 0.5 s: appliance launch failed: QEMU exited");
  EXPECT_EQ(JobFinishedLine("j", "extract", JobStatus::kFailed, message, {}, 0, 0.5, true).text,
            "[failed] j (extract): 0 files, 0 B in 0.5 s: " + message);
}

TEST(RunEventsTextTest, SummaryLineListsOnlyNonZeroOutcomes) {
  RunSummaryEvent s{.files = 10, .bytes = 2048, .seconds = 12.34, .report_path = "run.jsonl"};
  const StatusCounts jobs = {
      {JobStatus::kOk, 3}, {JobStatus::kWarnings, 0}, {JobStatus::kFailed, 1}};
  EXPECT_EQ(SummaryLine(s, jobs),
            "4 jobs: 3 ok, 1 failed; 10 files, 2.0 KiB in 12.3 s; report: run.jsonl");
  EXPECT_EQ(SummaryLine({}, {}), "0 jobs; 0 files, 0 B in 0.0 s");
  EXPECT_EQ(SummaryLine({.interrupted = true, .files = 1},
                        {{JobStatus::kOk, 1}, {JobStatus::kInterrupted, 1}}),
            "interrupted: 2 jobs: 1 ok, 1 interrupted; 1 file, 0 B in 0.0 s");
}

}  // namespace
}  // namespace diskferry
