// Evidence hashes (sinks/evidence.h) on this host's files: known vectors, a file shorter
// than one read, an empty file, files spanning many reads, unreadable files, cancelling,
// the background pass, the mismatch line, and the report's evidence and case lines.
#include "sinks/evidence.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

#include "sinks/digests.h"
#include "sinks/run_report.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kEmptyMd5[] = "d41d8cd98f00b204e9800998ecf8427e";
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kAbcMd5[] = "900150983cd24fb0d6963f7d28e17f72";

std::map<std::string, std::string> Expected(const std::string& content) {
  const DigestAlgorithm both[] = {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5};
  auto digest = MultiDigest::Create(both);
  EXPECT_TRUE(digest.ok());
  digest->Update({reinterpret_cast<const uint8_t*>(content.data()), content.size()});
  return *digest->Final();
}

class EvidenceTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = scratch_ / name;
    EXPECT_TRUE(WriteWholeFile(path, content)) << path;
    return path;
  }
  ScratchDir scratch_;
};

TEST_F(EvidenceTest, KnownVectorsOfAFileShorterThanOneRead) {
  const std::string path = Write("abc.img", "abc");
  Result<ImageDigests> d = DigestImage(path);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->path, path);
  EXPECT_EQ(d->size, 3u);
  EXPECT_EQ(d->hashes,
            (std::map<std::string, std::string>{{"md5", kAbcMd5}, {"sha256", kAbcSha256}}));
}

TEST_F(EvidenceTest, AnEmptyFileHasTheEmptyDigests) {
  Result<ImageDigests> d = DigestImage(Write("empty.img", ""));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->size, 0u);
  EXPECT_EQ(d->hashes,
            (std::map<std::string, std::string>{{"md5", kEmptyMd5}, {"sha256", kEmptySha256}}));
}

TEST_F(EvidenceTest, ManyReadsGiveTheDigestOfTheWhole) {
  std::string content;
  for (int i = 0; i < 10007; ++i) content += static_cast<char>(i * 131 % 251);
  const std::string path = Write("big.img", content);
  for (size_t read_size :
       {size_t{1}, size_t{7}, size_t{4096}, content.size(), content.size() + 1}) {
    Result<ImageDigests> d = DigestImage(path, nullptr, read_size);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->size, content.size());
    EXPECT_EQ(d->hashes, Expected(content)) << "read size " << read_size;
  }
}

TEST_F(EvidenceTest, AMissingFileIsNotFoundNamingIt) {
  const std::string path = scratch_ / "absent.img";
  Result<ImageDigests> d = DigestImage(path);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kNotFound);
  EXPECT_NE(d.status().message().find(path), std::string::npos) << d.status().ToString();
}

TEST_F(EvidenceTest, ADirectoryIsRefused) {
  Result<ImageDigests> d = DigestImage(scratch_.path());
  EXPECT_FALSE(d.ok());
}

TEST_F(EvidenceTest, ASetCancelFlagStopsThePass) {
  const std::atomic<bool> cancel{true};
  Result<ImageDigests> d = DigestImage(Write("abc.img", "abc"), &cancel);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kCancelled);
}

TEST_F(EvidenceTest, APassHashesEveryFileInOrderOnItsOwnThread) {
  const std::string a = Write("a.img", "abc");
  const std::string b = Write("b.img", "");
  std::vector<std::string> seen;
  EvidencePass pass({a, b}, nullptr, [&](const ImageDigests& d) { seen.push_back(d.path); });
  Result<std::vector<ImageDigests>> all = pass.Wait();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].hashes.at("sha256"), kAbcSha256);
  EXPECT_EQ((*all)[1].hashes.at("md5"), kEmptyMd5);
  EXPECT_EQ(seen, (std::vector<std::string>{a, b}));
}

TEST_F(EvidenceTest, APassStopsAtTheFirstFileItCannotRead) {
  const std::string missing = scratch_ / "absent.img";
  int called = 0;
  EvidencePass pass({missing, Write("a.img", "abc")}, nullptr,
                    [&](const ImageDigests&) { ++called; });
  Result<std::vector<ImageDigests>> all = pass.Wait();
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find(missing), std::string::npos);
  EXPECT_EQ(called, 0);
}

TEST(EvidenceProblemTest, SaysWhichImageChangedWithBothSha256s) {
  ImageEvidence same{{"d.img", 3, {{"sha256", "aa"}, {"md5", "bb"}}}, std::nullopt, ""};
  same.after = same.before;
  EXPECT_TRUE(same.match());
  EXPECT_EQ(EvidenceProblem(same), "");
  ImageEvidence changed = same;
  changed.after->hashes["sha256"] = "cc";
  EXPECT_FALSE(changed.match());
  EXPECT_EQ(EvidenceProblem(changed),
            "d.img changed while the job ran: sha256 before aa, after cc");
  ImageEvidence unread = same;
  unread.after.reset();
  unread.error = "evidence: after the job: d.img: No such file or directory";
  EXPECT_FALSE(unread.match());
  EXPECT_EQ(EvidenceProblem(unread), unread.error);
}

TEST(EvidencePathsTest, EveryDiskThenItsBackingFilesEachOnce) {
  EXPECT_EQ(
      EvidencePaths({{"a.qcow2", {"base.qcow2"}}, {"b.qcow2", {"base.qcow2"}}, {"c.raw", {}}}),
      (std::vector<std::string>{"a.qcow2", "base.qcow2", "b.qcow2", "c.raw"}));
}

TEST(EwfSegmentNameTest, FollowsTheE01Scheme) {
  EXPECT_EQ(EwfSegmentName("/c/disk.E01", 1), "/c/disk.E01");
  EXPECT_EQ(EwfSegmentName("/c/disk.E01", 2), "/c/disk.E02");
  EXPECT_EQ(EwfSegmentName("/c/disk.E01", 99), "/c/disk.E99");
  EXPECT_EQ(EwfSegmentName("/c/disk.E01", 100), "/c/disk.EAA");
  EXPECT_EQ(EwfSegmentName("/c/disk.E01", 101), "/c/disk.EAB");
  EXPECT_EQ(EwfSegmentName("/c/disk.E01", 126), "/c/disk.EBA");
  EXPECT_EQ(EwfSegmentName("/c/disk.E01", 100 + 26 * 26), "/c/disk.FAA");
  EXPECT_EQ(EwfSegmentName("/c/disk.e01", 100), "/c/disk.eaa");
  EXPECT_EQ(EwfSegmentName("/c/disk.Ex01", 7), "/c/disk.Ex07");
  EXPECT_EQ(EwfSegmentName("/c/disk.Ex01", 100), "");
  EXPECT_EQ(EwfSegmentName("/c/disk.E02", 3), "");  // not a first segment
  EXPECT_EQ(EwfSegmentName("/c/disk.raw", 2), "");
  EXPECT_EQ(EwfSegmentName("/c/E01", 2), "");
}

TEST_F(EvidenceTest, AnE01BringsItsOtherSegmentsUpToTheFirstMissingOne) {
  for (const char* name : {"d.E01", "d.E02", "d.E03", "d.E05"}) {
    std::ofstream(scratch_ / name) << name;
  }
  const std::string first = scratch_ / "d.E01";
  EXPECT_EQ(EvidencePaths({{first, {}}}),
            (std::vector<std::string>{first, scratch_ / "d.E02", scratch_ / "d.E03"}));
}

TEST_F(EvidenceTest, TheReportHasOneEvidenceLineAndTheCaseInRunAndJobRecords) {
  const std::string path = scratch_ / "report.jsonl";
  {
    auto report = RunReport::Open(path);
    ASSERT_TRUE(report.ok());
    ImageEvidence e{{"d.img", 3, {{"md5", "bb"}, {"sha256", "aa"}}}, std::nullopt, ""};
    e.after = e.before;
    e.after->hashes["sha256"] = "cc";
    e.after->size = 4;
    ASSERT_TRUE(report->AddEvidence("j", e).ok());
    const CaseInfo c{"C-1", "A. \"Q\" Smith\n", "", "bad \xff byte"};
    JobSummary job{"j", "extract", JobStatus::kOk, "",          0,  0, 0,
                   0,   {},        TimePoint(),    TimePoint(), {}, c};
    ASSERT_TRUE(report->AddJobSummary(job).ok());
    RunSummary run{"complete", "v", "", "h", TimePoint(), TimePoint(), {}, 0, c};
    ASSERT_TRUE(report->AddRunSummary(run).ok());
    ASSERT_TRUE(report->Close().ok());
  }
  const std::string text = ReadWholeFile(path);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "{\"record\":\"evidence\",\"job\":\"j\",\"path\":\"d.img\",\"size\":3,"
            "\"before\":{\"md5\":\"bb\",\"sha256\":\"aa\"},\"after\":{\"md5\":\"bb\",\"sha256\":"
            "\"cc\"},\"size_after\":4,\"match\":false}");
  const std::string json_case =
      "\"case\":{\"id\":\"C-1\",\"examiner\":\"A. \\\"Q\\\" Smith\\n\",\"notes\":\"bad "
      "\xef\xbf\xbd "
      "byte\"}";
  const size_t first = text.find(json_case);
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_NE(text.find(json_case, first + 1), std::string::npos) << text;
}

}  // namespace
}  // namespace diskferry
