// MergeShardReports over shard reports written by RunReport as a shard's run writes them:
// the merged records, the merged run record, and each reason a merge is refused.
#include "runner/report_merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "sinks/file_record_json.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

const std::vector<std::vector<std::string>> kDivision = {{"a", "d"}, {"b"}, {"c"}};

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

FileRecord File(const std::string& path) {
  FileRecord r;
  r.path = path;
  r.type = "file";
  r.size = 3;
  r.mode = 0100644;
  r.hashes = {{"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}};
  return r;
}

ShardRecord Identity(int index) {
  ShardRecord s;
  s.index = index;
  s.count = 3;
  s.manifest = "night.yaml";
  s.manifest_sha256 = std::string(64, 'a');
  s.vars_sha256 = std::string(64, 'b');
  s.division = kDivision;
  s.report_template = "reports/night-{shard}.jsonl";
  s.var_names = {"image"};
  return s;
}

class ReportMergeTest : public ::testing::Test {
 protected:
  std::string Path(int index) { return scratch_ / ("night-" + std::to_string(index) + ".jsonl"); }

  // Shard `s.index`'s report: its jobs each with two files, and a run record with `status`
  // ("" for none: the shard died).
  std::string Write(const ShardRecord& s, const std::string& status = "complete",
                    JobStatus job_status = JobStatus::kOk) {
    const std::string path = Path(s.index);
    auto report = RunReport::Open(path);
    EXPECT_TRUE(report.ok());
    EXPECT_TRUE(report->AddShard(s).ok());
    RunSummary run;
    run.status = status;
    run.tool_version = "1.0";
    run.manifest_sha256 = s.manifest_sha256;
    run.host = "node" + std::to_string(s.index % 2);
    run.started = At(1000 * (s.index + 1));
    run.ended = At(5000 + 1000 * s.index);
    run.shard_index = s.index;
    run.shard_count = s.count;
    for (const std::string& job : s.division[static_cast<size_t>(s.index)]) {
      EXPECT_TRUE(report->AddFile(job, File("etc/" + job + "1")).ok());
      EXPECT_TRUE(report->AddFile(job, File("etc/" + job + "2")).ok());
      JobSummary summary;
      summary.job = job;
      summary.kind = "extract";
      summary.status = job_status;
      summary.files = 2;
      summary.bytes = 6;
      EXPECT_TRUE(report->AddJobSummary(summary).ok());
      run.jobs.push_back({job, job_status});
    }
    if (!status.empty()) EXPECT_TRUE(report->AddRunSummary(run).ok());
    EXPECT_TRUE(report->Close().ok());
    return path;
  }

  std::vector<std::string> WriteAll() {
    return {Write(Identity(0)), Write(Identity(1)), Write(Identity(2))};
  }

  // The merge's problems (nothing written).
  std::vector<std::string> Problems(const std::vector<std::string>& reports) {
    Result<MergeOutcome> merged = MergeShardReports(reports, out_);
    EXPECT_TRUE(merged.ok()) << merged.status().ToString();
    EXPECT_FALSE(std::filesystem::exists(out_));
    if (!merged.ok()) return {};
    EXPECT_FALSE(merged->problems.empty());
    EXPECT_TRUE(merged->jobs.empty());
    return merged->problems;
  }

  std::vector<Json> Records(const std::string& path) {
    std::vector<Json> out;
    EXPECT_TRUE(ForEachReportLine(path, [&](std::string_view line, bool) {
                  out.push_back(Json::parse(line));
                  return Status::Ok();
                }).ok());
    return out;
  }

  ScratchDir scratch_;
  std::string out_ = scratch_ / "run.jsonl";
};

TEST_F(ReportMergeTest, MergedReportHoldsEveryShardsRecordsAndOneRunRecord) {
  std::vector<std::string> reports = WriteAll();
  std::reverse(reports.begin(), reports.end());  // any order on the command line
  Result<MergeOutcome> merged = MergeShardReports(reports, out_);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_TRUE(merged->problems.empty());
  EXPECT_EQ(merged->shards, 3);
  ASSERT_EQ(merged->jobs.size(), 4u);
  for (const JobStatusRecord& j : merged->jobs) EXPECT_EQ(j.status, JobStatus::kOk) << j.job;

  std::multiset<std::string> files;
  std::multiset<std::string> jobs;
  std::vector<Json> runs;
  for (const Json& j : Records(out_)) {
    ASSERT_NE(j["record"], "shard");
    if (j["record"] == "file")
      files.insert(j["job"].get<std::string>() + ":" + j["path"].get<std::string>());
    if (j["record"] == "job") jobs.insert(j["job"].get<std::string>());
    if (j["record"] == "run") runs.push_back(j);
  }
  EXPECT_EQ(files, (std::multiset<std::string>{"a:etc/a1", "a:etc/a2", "b:etc/b1", "b:etc/b2",
                                               "c:etc/c1", "c:etc/c2", "d:etc/d1", "d:etc/d2"}));
  EXPECT_EQ(jobs, (std::multiset<std::string>{"a", "b", "c", "d"}));
  ASSERT_EQ(runs.size(), 1u);
  const Json& run = runs[0];
  EXPECT_EQ(run["status"], "complete");
  EXPECT_EQ(run["shards"], 3);
  EXPECT_EQ(run.count("shard"), 0u);
  EXPECT_EQ(run["manifest_sha256"], std::string(64, 'a'));
  EXPECT_EQ(run["started"], FormatUtcTime(At(1000)));
  EXPECT_EQ(run["ended"], FormatUtcTime(At(7000)));
  EXPECT_EQ(run["hosts"], Json::array({"node0", "node1"}));
  EXPECT_EQ(run["jobs"].size(), 4u);
  EXPECT_EQ(Records(out_).back()["record"], "run");
}

// The statuses the CLI maps to the exit code a single run would have (cli/exit_codes.h),
// by shard index: a, d (shard 0), b (shard 1), c (shard 2).
TEST_F(ReportMergeTest, AFailedJobOfAShardIsAmongTheMergedStatuses) {
  Write(Identity(0));
  Write(Identity(1), "complete", JobStatus::kFailed);
  Write(Identity(2));
  Result<MergeOutcome> merged = MergeShardReports({Path(2), Path(1), Path(0)}, out_);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  ASSERT_TRUE(merged->problems.empty());
  ASSERT_EQ(merged->jobs.size(), 4u);
  const std::vector<std::pair<std::string, JobStatus>> expected = {{"a", JobStatus::kOk},
                                                                   {"d", JobStatus::kOk},
                                                                   {"b", JobStatus::kFailed},
                                                                   {"c", JobStatus::kOk}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(merged->jobs[i].job, expected[i].first);
    EXPECT_EQ(merged->jobs[i].status, expected[i].second) << expected[i].first;
  }
}

// Refused, not guessed (sinks/job_status.h): a guess could hide a failed job from the exit
// code.
TEST_F(ReportMergeTest, AJobStatusThisVersionDoesNotKnowIsRefusedNamingTheReport) {
  WriteAll();
  std::string text = ReadWholeFile(Path(1));
  const std::string entry = R"({"job":"b","status":"ok"})";
  const size_t at = text.find(entry);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, entry.size(), R"({"job":"b","status":"someday"})");
  ASSERT_TRUE(WriteWholeFile(Path(1), text));
  Result<MergeOutcome> merged = MergeShardReports({Path(0), Path(1), Path(2)}, out_);
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(merged.status().message(), Path(1) + ": run record: job b: unknown status \"someday\"");
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST_F(ReportMergeTest, AMissingShardIsNamedWithTheCommandThatRunsIt) {
  WriteAll();
  EXPECT_EQ(Problems({Path(0), Path(2)}),
            (std::vector<std::string>{
                "shard 1/3 is missing: run it with: diskferry run night.yaml --shard 1/3 --var "
                "image=... --report reports/night-1.jsonl, then merge its report too"}));
}

TEST_F(ReportMergeTest, AnUnfinishedShardIsNamedWithItsResumeCommand) {
  Write(Identity(0));
  Write(Identity(1), "interrupted");
  Write(Identity(2), "");
  EXPECT_EQ(Problems({Path(0), Path(1), Path(2)}),
            (std::vector<std::string>{
                Path(1) +
                    " (shard 1/3): did not finish (interrupted); resume it with: diskferry "
                    "run night.yaml --shard 1/3 --var image=... --resume " +
                    Path(1),
                Path(2) +
                    " (shard 2/3): did not finish (no run record: it died or is running); "
                    "resume it with: diskferry run night.yaml --shard 2/3 --var image=... "
                    "--resume " +
                    Path(2)}));
}

TEST_F(ReportMergeTest, MissingAndUnfinishedShardsAreNamedTogether) {
  Write(Identity(0));
  Write(Identity(2), "interrupted");
  const std::vector<std::string> problems = Problems({Path(0), Path(2)});
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("(shard 2/3): did not finish (interrupted)"), std::string::npos);
  EXPECT_NE(problems[1].find("shard 1/3 is missing"), std::string::npos);
}

TEST_F(ReportMergeTest, AResumedShardCountsByItsLastRunRecord) {
  Write(Identity(0));
  Write(Identity(2));
  const std::string path = Write(Identity(1), "interrupted");
  auto report = RunReport::Open(path, ReportMode::kAppend);  // the resume
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->AddShard(Identity(1)).ok());
  RunSummary run;
  run.status = "complete";
  run.started = At(1);
  run.ended = At(2);
  ASSERT_TRUE(report->AddRunSummary(run).ok());
  ASSERT_TRUE(report->Close().ok());
  Result<MergeOutcome> merged = MergeShardReports({Path(0), Path(1), Path(2)}, out_);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  size_t runs = 0;
  for (const Json& j : Records(out_)) runs += j["record"] == "run" ? 1 : 0;
  EXPECT_EQ(runs, 1u);
}

TEST_F(ReportMergeTest, ShardsOfAnotherManifestVarsOrDivisionAreRefused) {
  Write(Identity(0));
  ShardRecord other = Identity(1);
  other.manifest_sha256 = std::string(64, 'c');
  Write(other);
  ShardRecord vars = Identity(2);
  vars.vars_sha256 = std::string(64, 'd');
  Write(vars);
  const std::vector<std::string> problems = Problems({Path(0), Path(1), Path(2)});
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], Path(1) + " (shard 1/3): ran another manifest than " + Path(0) +
                             " (sha256 " + std::string(64, 'c') + ", not " + std::string(64, 'a') +
                             ")");
  EXPECT_EQ(problems[1], Path(2) + " (shard 2/3): ran with other vars than " + Path(0) +
                             " (--var values or defaults differ)");

  ShardRecord divided = Identity(2);
  divided.division = {{"a"}, {"b"}, {"c", "d"}};
  Write(divided);
  Write(Identity(1));
  EXPECT_EQ(Problems({Path(0), Path(1), Path(2)}),
            (std::vector<std::string>{Path(2) + " (shard 2/3): divided the jobs otherwise than " +
                                      Path(0) +
                                      " (its host saw other image sizes; compare `diskferry plan "
                                      "--shards 3` on both hosts)"}));
}

TEST_F(ReportMergeTest, TheSameShardTwiceIsRefused) {
  WriteAll();
  const std::string copy = scratch_ / "copy.jsonl";
  std::filesystem::copy_file(Path(1), copy);
  EXPECT_EQ(Problems({Path(0), Path(1), copy, Path(2)}),
            (std::vector<std::string>{copy + " and " + Path(1) + " are both shard 1/3"}));
}

TEST_F(ReportMergeTest, AReportOfAWholeRunIsNotAShard) {
  WriteAll();
  const std::string whole = scratch_ / "whole.jsonl";
  {
    auto report = RunReport::Open(whole);
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(report->AddRunSummary(RunSummary{}).ok());
    ASSERT_TRUE(report->Close().ok());
  }
  const std::vector<std::string> problems = Problems({Path(0), Path(1), Path(2), whole});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], whole +
                             ": not a shard's report (it has no shard record): merge the "
                             "reports of `diskferry run --shard I/N`");
}

TEST_F(ReportMergeTest, TheOutputCannotBeOneOfTheShards) {
  WriteAll();
  Result<MergeOutcome> merged = MergeShardReports({Path(0), Path(1), Path(2)}, Path(2));
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), Code::kInvalidArgument);
}

TEST(UtcTimeTest, ParsesWhatItFormats) {
  const TimePoint t = At(1700000000123);
  EXPECT_EQ(ParseUtcTime(FormatUtcTime(t)), t);
  EXPECT_FALSE(ParseUtcTime("2024-13-01T00:00:00.000Z").has_value());
  EXPECT_FALSE(ParseUtcTime("2024-01-01T00:00:00.000Zx").has_value());
  EXPECT_FALSE(ParseUtcTime("yesterday").has_value());
}

}  // namespace
}  // namespace diskferry
