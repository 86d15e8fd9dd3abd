#include "runner/job_journal.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

FileRecord File(const std::string& path) {
  FileRecord r;
  r.path = path;
  r.type = "file";
  r.size = 1;
  r.mode = 0100644;
  return r;
}

std::string Slurp(const std::string& path) { return ReadWholeFile(path); }

// Appends `text` as a crash mid-line would leave it.
void AppendCut(const std::string& path, std::string_view text) {
  std::ofstream(FsPath(path), std::ios::app | std::ios::binary) << text;
}

class JobJournalTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const std::string dir_ = scratch_.path();
};

TEST_F(JobJournalTest, ASecondRunOnTheSameReportIsRefusedUntilResumedOrRemoved) {
  auto first = RunJournal::Create(dir_ + "/r.jsonl", "abc");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = RunJournal::Create(dir_ + "/r.jsonl", "abc");
  ASSERT_EQ(second.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(second.status().ToString().find("--resume"), std::string::npos);
  EXPECT_TRUE(RunJournal::Resume(dir_ + "/r.jsonl", "abc").ok());
  EXPECT_EQ(RunJournal::Resume(dir_ + "/r.jsonl", "other").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(first->Remove().ok());
  EXPECT_EQ(RunJournal::Resume(dir_ + "/r.jsonl", "abc").status().code(), Code::kNotFound);
}

TEST_F(JobJournalTest, PlansRoundTripWithRawBytePaths) {
  auto journal = RunJournal::Create(dir_ + "/r.jsonl", "x");
  ASSERT_TRUE(journal.ok());
  auto none = journal->LoadPlan("job");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  std::vector<WalkRange> parts = {{"", "a/\xff"}, {"a/\xff", ""}};
  ASSERT_TRUE(journal->SavePlan("job", parts).ok());
  auto loaded = journal->LoadPlan("job");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  ASSERT_EQ((*loaded)->size(), 2u);
  EXPECT_EQ((**loaded)[0].until, "a/\xff");
  EXPECT_EQ((**loaded)[1].after, "a/\xff");
  EXPECT_EQ((**loaded)[1].until, "");
}

TEST_F(JobJournalTest, AReopenedSpoolContinuesAfterItsLastRecord) {
  const std::string path = dir_ + "/j.0.jsonl";
  {
    auto spool = PartSpool::Open(path, "j");
    ASSERT_TRUE(spool.ok());
    EXPECT_EQ(spool->last_path(), "");
    ASSERT_TRUE(spool->Append(File("a")).ok());
    ASSERT_TRUE(spool->Append(File("b")).ok());
    ASSERT_TRUE(spool->Flush().ok());
  }
  // A crash mid-line leaves a cut last line: it is dropped on reopening.
  AppendCut(path, "{\"record\":\"file\",\"job\":\"j\",\"pa");
  auto spool = PartSpool::Open(path, "j");
  ASSERT_TRUE(spool.ok()) << spool.status().ToString();
  EXPECT_EQ(spool->last_path(), "b");
  EXPECT_EQ(spool->records(), 2u);
  ASSERT_TRUE(spool->Append(File("c")).ok());
  ASSERT_TRUE(spool->Flush().ok());
  std::vector<std::string> paths;
  ASSERT_TRUE(ForEachFileRecord(path, "j", [&](FileRecord r) { paths.push_back(r.path); }).ok());
  EXPECT_EQ(paths, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(JobJournalTest, ResetEmptiesTheSpool) {
  const std::string path = dir_ + "/t.0.jsonl";
  auto spool = PartSpool::Open(path, "t");
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE(spool->Append(File("a")).ok());
  ASSERT_TRUE(spool->Reset().ok());
  ASSERT_TRUE(spool->Append(File("z")).ok());
  ASSERT_TRUE(spool->Flush().ok());
  std::vector<std::string> paths;
  ASSERT_TRUE(ForEachFileRecord(path, "t", [&](FileRecord r) { paths.push_back(r.path); }).ok());
  EXPECT_EQ(paths, std::vector<std::string>{"z"});
}

TEST_F(JobJournalTest, AReportTakesASpoolsCompleteLinesAndJobStatusesReadBack) {
  const std::string spool_path = dir_ + "/s.jsonl";
  {
    auto spool = PartSpool::Open(spool_path, "s");
    ASSERT_TRUE(spool.ok());
    ASSERT_TRUE(spool->Append(File("one")).ok());
    ASSERT_TRUE(spool->Flush().ok());
  }
  AppendCut(spool_path, "{\"cut");
  const std::string report_path = dir_ + "/r.jsonl";
  {
    auto report = RunReport::Open(report_path);
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(report->AppendLinesOf(spool_path).ok());
    JobSummary s;
    s.job = "s";
    s.kind = "extract";
    s.status = JobStatus::kOk;
    ASSERT_TRUE(report->AddJobSummary(s).ok());
    ASSERT_TRUE(report->Close().ok());
  }
  const std::string text = Slurp(report_path);
  EXPECT_EQ(text.find("cut"), std::string::npos) << text;
  auto statuses = ReadJobStatuses(report_path);
  ASSERT_TRUE(statuses.ok());
  ASSERT_EQ(statuses->size(), 1u);
  EXPECT_EQ((*statuses)[0].job, "s");
  EXPECT_EQ((*statuses)[0].status, JobStatus::kOk);
  // Appending keeps what is there.
  {
    auto report = RunReport::Open(report_path, ReportMode::kAppend);
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(report->AddFile("s", File("two")).ok());
    ASSERT_TRUE(report->Close().ok());
  }
  std::vector<std::string> paths;
  ASSERT_TRUE(
      ForEachFileRecord(report_path, "s", [&](FileRecord r) { paths.push_back(r.path); }).ok());
  EXPECT_EQ(paths, (std::vector<std::string>{"one", "two"}));
}

}  // namespace
}  // namespace diskferry
