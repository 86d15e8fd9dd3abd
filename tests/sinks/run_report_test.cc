// RunReport: JSON Lines out, file records back in (non-UTF-8 paths included), summaries,
// damaged files, and sha256sum-compatible lists.
#include "sinks/run_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "sinks/file_record_json.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

std::string ReadFile(const std::string& path) { return ReadWholeFile(path); }
void WriteFile(const std::string& path, std::string_view content) {
  ASSERT_TRUE(WriteWholeFile(path, content)) << path;
}

FileRecord Sample(std::string path) {
  FileRecord r;
  r.path = std::move(path);
  r.type = "file";
  r.size = 3;
  r.mode = 0100644;
  r.uid = 1000;
  r.gid = 100;
  r.mtime_ns = 1700000000123456789;
  r.hashes = {{"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}};
  return r;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(text.substr(start, nl - start));
  }
  return out;
}

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

class RunReportTest : public ::testing::Test {
 protected:
  RunReport Open() {
    auto report = RunReport::Open(path_);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return std::move(*report);
  }

  ScratchDir scratch_;
  std::string path_ = scratch_ / "report.jsonl";
};

TEST_F(RunReportTest, FileRecordsRoundTripPerJobIncludingNonUtf8Paths) {
  FileRecord plain = Sample("etc/hostname");
  FileRecord odd = Sample("bad\xff/name\n\"quoted\"");
  odd.type = "symlink";
  odd.target = "\xc3\x28 target";  // invalid UTF-8
  odd.hashes.clear();
  FileRecord error = Sample("etc/shadow");
  error.type = "error";
  error.status = "etc/shadow: Permission denied";
  FileRecord negative = Sample("old");
  negative.mtime_ns = -1500000000;
  negative.ino = 1u << 40;
  negative.nlink = 3;
  negative.atime_ns = -7;
  negative.ctime_ns = 1700000000000000001;
  negative.crtime_ns = 1600000000000000002;
  RunReport report = Open();
  ASSERT_TRUE(report.AddFile("etc", plain).ok());
  ASSERT_TRUE(report.AddFile("other", Sample("elsewhere")).ok());
  ASSERT_TRUE(report.AddFile("etc", odd).ok());
  ASSERT_TRUE(report.AddFile("etc", error).ok());
  ASSERT_TRUE(report.AddFile("etc", negative).ok());
  ASSERT_TRUE(report.Close().ok());

  auto back = ReadFileRecords(path_, "etc");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, (std::vector<FileRecord>{plain, odd, error, negative}));
  const std::string text = ReadFile(path_);
  EXPECT_EQ(Lines(text).size(), 5u);
  EXPECT_NE(text.find("\"path_b64\":"), std::string::npos);
  EXPECT_NE(text.find("\"target_b64\":"), std::string::npos);
}

TEST_F(RunReportTest, WritesOneObjectPerLineWithRecordFirst) {
  RunReport report = Open();
  ASSERT_TRUE(report.AddFile("etc", Sample("etc/hostname")).ok());
  JobSummary job{.job = "etc",
                 .kind = "extract",
                 .status = JobStatus::kFailed,
                 .message = "disk full",
                 .files = 10,
                 .bytes = 2048,
                 .skipped = 1,
                 .errors = 2,
                 .started = At(1714566896789),
                 .ended = At(1714566900000)};
  ASSERT_TRUE(report.AddJobSummary(job).ok());
  RunSummary run{.status = "complete",
                 .tool_version = "0.1.0",
                 .manifest_sha256 = "ab12",
                 .host = "builder",
                 .started = At(0),
                 .ended = At(1500),
                 .jobs = {{"etc", JobStatus::kFailed}, {"b", JobStatus::kOk}}};
  ASSERT_TRUE(report.AddRunSummary(run).ok());
  ASSERT_TRUE(report.Close().ok());

  const std::vector<std::string> lines = Lines(ReadFile(path_));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(
      lines[0],
      R"({"record":"file","job":"etc","path":"etc/hostname","type":"file","size":3,)"
      R"("mode":"100644","uid":1000,"gid":100,"mtime_ns":1700000000123456789,)"
      R"("hashes":{"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},)"
      R"("status":"ok"})");
  EXPECT_EQ(lines[1],
            R"({"record":"job","job":"etc","kind":"extract","status":"failed",)"
            R"("message":"disk full","files":10,"bytes":2048,"skipped":1,"errors":2,)"
            R"("started":"2024-05-01T12:34:56.789Z","ended":"2024-05-01T12:35:00.000Z"})");
  EXPECT_EQ(
      lines[2],
      R"({"record":"run","status":"complete","tool_version":"0.1.0","manifest_sha256":"ab12",)"
      R"("host":"builder","started":"1970-01-01T00:00:00.000Z",)"
      R"("ended":"1970-01-01T00:00:01.500Z",)"
      R"("jobs":[{"job":"etc","status":"failed"},{"job":"b","status":"ok"}]})");
}

TEST_F(RunReportTest, JobRecordListsTheMountedFilesystemsWhenThereAreAny) {
  RunReport report = Open();
  JobSummary job{
      .job = "etc", .kind = "list", .status = JobStatus::kOk, .started = At(0), .ended = At(0)};
  ASSERT_TRUE(report.AddJobSummary(job).ok());
  job.filesystems = {{"/dev/sdb", "ext4", "/", true}, {"/dev/sda1", "vfat", "/boot", false}};
  ASSERT_TRUE(report.AddJobSummary(job).ok());
  ASSERT_TRUE(report.Close().ok());

  const std::vector<std::string> lines = Lines(ReadFile(path_));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find("filesystems"), std::string::npos);
  EXPECT_NE(lines[1].find(
                R"("errors":0,"filesystems":[{"device":"/dev/sdb","type":"ext4","mount_point":"/",)"
                R"("replayed":true},{"device":"/dev/sda1","type":"vfat","mount_point":"/boot",)"
                R"("replayed":false}],"started":)"),
            std::string::npos)
      << lines[1];
}

TEST_F(RunReportTest, SummariesFlushSoACrashKeepsFinishedJobs) {
  RunReport report = Open();
  ASSERT_TRUE(report.AddFile("j", Sample("a")).ok());
  EXPECT_EQ(ReadFile(path_), "");  // buffered
  JobSummary job;
  job.job = "j";
  ASSERT_TRUE(report.AddJobSummary(job).ok());
  EXPECT_EQ(Lines(ReadFile(path_)).size(), 2u);
}

TEST_F(RunReportTest, DestructorFlushesAndMoveAssignmentClosesTheOldFile) {
  {
    RunReport report = Open();
    ASSERT_TRUE(report.AddFile("j", Sample("a")).ok());
    auto other = RunReport::Open(scratch_ / "other.jsonl");
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(other->AddFile("j", Sample("b")).ok());
    report = std::move(*other);  // flushes report.jsonl's line
    EXPECT_EQ(Lines(ReadFile(path_)).size(), 1u);
  }
  EXPECT_EQ(Lines(ReadFile(scratch_ / "other.jsonl")).size(), 1u);
}

TEST_F(RunReportTest, AcceptsLinesFromManyThreads) {
  RunReport report = Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&report, t] {
      for (int i = 0; i < 500; ++i) {
        EXPECT_TRUE(report.AddFile("job" + std::to_string(t), Sample(std::to_string(i))).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(report.Close().ok());
  for (int t = 0; t < 4; ++t) {
    auto back = ReadFileRecords(path_, "job" + std::to_string(t));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->size(), 500u);
  }
  EXPECT_EQ(report.AddFile("j", Sample("late")).code(), Code::kFailedPrecondition);
}

TEST_F(RunReportTest, ReadingNamesTheLineOfABadRecordAndIgnoresACutLastLine) {
  const std::string good = DumpLine(FileRecordToJson("j", Sample("a")));
  WriteFile(path_, good + "\n{\"record\":\"file\",\"job\":\"j\",\"path\":\"p\",\"typ");
  auto back = ReadFileRecords(path_, "j");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->size(), 1u);

  WriteFile(path_, good + "\n\n" +
                       R"({"record":"file","job":"j","path":"p","type":"file","size":-1})" + "\n" +
                       R"({"record":"future","whatever":1})" + "\n");
  back = ReadFileRecords(path_, "j");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), Code::kInvalidArgument);
  EXPECT_NE(back.status().message().find("report.jsonl:3: field \"size\""), std::string::npos)
      << back.status().message();

  WriteFile(path_, "not json\n" + good + "\n");
  EXPECT_NE(ReadFileRecords(path_, "j").status().message().find(":1: not a JSON object"),
            std::string::npos);
  EXPECT_EQ(ReadFileRecords(scratch_ / "missing.jsonl", "j").status().code(), Code::kNotFound);
}

TEST_F(RunReportTest, JobStatusesReadBackAsWrittenForEveryStatus) {
  {
    RunReport report = Open();
    for (JobStatus status : kJobStatuses) {
      JobSummary job;
      job.job = std::string(JobStatusName(status)) + "-job";
      job.status = status;
      job.files = 3;
      job.bytes = 300;
      ASSERT_TRUE(report.AddJobSummary(job).ok());
    }
    ASSERT_TRUE(report.Close().ok());
  }
  auto back = ReadJobStatuses(path_);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), std::size(kJobStatuses));
  for (size_t i = 0; i < back->size(); ++i) {
    EXPECT_EQ((*back)[i].job, std::string(JobStatusName(kJobStatuses[i])) + "-job");
    EXPECT_EQ((*back)[i].status, kJobStatuses[i]);
    EXPECT_EQ((*back)[i].files, 3u);
    EXPECT_EQ((*back)[i].bytes, 300u);
  }
}

// A word no JobStatus names is refused, not guessed (job_status.h): it could hide a failure.
TEST_F(RunReportTest, AJobStatusThisVersionDoesNotKnowIsAnErrorNamingTheLineAndTheWord) {
  WriteFile(path_, R"({"record":"job","job":"a","kind":"extract","status":"ok"})"
                   "\n"
                   R"({"record":"job","job":"b","kind":"extract","status":"cancelled"})"
                   "\n");
  auto back = ReadJobStatuses(path_);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(back.status().message(), path_ + ":2: job b: unknown status \"cancelled\"");
}

TEST_F(RunReportTest, FileRecordJsonRejectsMistypedFields) {
  Json j = FileRecordToJson("j", Sample("a"));
  for (const auto& [key, value] : std::vector<std::pair<std::string, Json>>{{"mode", "0x1ff"},
                                                                            {"mode", 420},
                                                                            {"uid", 5000000000},
                                                                            {"path_b64", "@@@@"},
                                                                            {"hashes", "abc"},
                                                                            {"mtime_ns", "1"}}) {
    Json bad = j;
    bad[key] = value;
    EXPECT_FALSE(FileRecordFromJson(bad).ok()) << key << " = " << value.dump();
  }
  Json no_path = j;
  no_path.erase("path");
  EXPECT_FALSE(FileRecordFromJson(no_path).ok());
}

TEST(FileRecordJsonTest, DeletedAndInodeOnlyWhenSetAndReadBack) {
  FileRecord plain = Sample("a");
  const Json p = FileRecordToJson("j", plain);
  EXPECT_FALSE(p.contains("deleted"));
  EXPECT_FALSE(p.contains("ino"));
  FileRecord recovered = Sample("b");
  recovered.deleted = true;
  recovered.ino = 13;
  const Json j = FileRecordToJson("j", recovered);
  EXPECT_EQ(j["deleted"], true);
  EXPECT_EQ(j["ino"], 13);
  Result<FileRecord> back = FileRecordFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, recovered);
  Json bad = j;
  bad["deleted"] = "yes";
  EXPECT_FALSE(FileRecordFromJson(bad).ok());
}

TEST(FileRecordJsonTest, Utf8AndBase64) {
  EXPECT_TRUE(IsValidUtf8("plain/caf\xc3\xa9/\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // cut short
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\x00\x80"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());  // non-zero bits under the padding
  EXPECT_FALSE(Base64Decode("Zm8").has_value());
  EXPECT_FALSE(Base64Decode("Z=8=").has_value());
}

TEST(Sha256SumsTest, MatchesGnuSha256sumEscaping) {
  FileRecord plain = Sample("etc/hostname");
  FileRecord odd = Sample("a\\b\nc\rd");
  FileRecord unhashed = Sample("dir");
  unhashed.hashes.clear();
  const std::string hex = plain.hashes.at("sha256");
  EXPECT_EQ(Sha256SumsLine(plain), hex + "  etc/hostname\n");
  EXPECT_EQ(Sha256SumsLine(odd), "\\" + hex + "  a\\\\b\\nc\\rd\n");
  EXPECT_EQ(Sha256SumsLine(unhashed), "");

  ScratchDir scratch;
  ASSERT_TRUE(WriteSha256Sums(scratch / "SHA256SUMS", {plain, unhashed, odd}).ok());
  EXPECT_EQ(ReadFile(scratch / "SHA256SUMS"), Sha256SumsLine(plain) + Sha256SumsLine(odd));
}

TEST(Sha256SumsTest, SumsFileVerifiesWithSha256sum) {
  if (std::system("command -v sha256sum >/dev/null 2>&1") != 0) GTEST_SKIP() << "no sha256sum";
  ScratchDir scratch;
  const std::string name = "we\\ird\nname";
  WriteFile(scratch / name, "abc");
  WriteFile(scratch / "plain", "abc");
  ASSERT_TRUE(WriteSha256Sums(scratch / "SUMS", {Sample(name), Sample("plain")}).ok());
  const std::string cmd = "cd '" + scratch.path() + "' && sha256sum --quiet -c SUMS";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(FormatUtcTimeTest, PrintsMillisecondsAndHandlesTimesBefore1970) {
  EXPECT_EQ(FormatUtcTime(At(1714566896789)), "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(FormatUtcTime(At(-1)), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace diskferry
