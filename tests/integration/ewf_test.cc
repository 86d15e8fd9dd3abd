// E01 (Expert Witness) evidence images made by ewfacquire from raw ext4 images made by
// mke2fs -d: diskferry reads them through nbdkit and the libewf plugin (appliance/ewf.h)
// and must find the raw source's tree; `image verify` must agree with ewfinfo and md5sum.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/fs_images.h"
#include "tests/integration/tree_compare.h"

namespace diskferry::testing {
namespace {

// The first whitespace-separated word of `command`'s output.
std::string FirstWord(const std::string& command) {
  std::string out;
  RunShell(command, &out);
  return out.substr(0, out.find_first_of(" \t\n"));
}

// A string no filesystem metadata holds: the bytes the corruption test finds in the E01.
constexpr char kMarker[] = "diskferry-ewf-test-marker-0123456789abcdef";

class EwfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("ewf");
    ASSERT_FALSE(dir_.empty());
    MakeSourceTree(dir_ + "/tree", TreeOptions{});
    std::ofstream(dir_ + "/tree/marker.txt") << kMarker << "\n";
    raw_ = dir_ + "/src.img";
    Status st = MakeImage("ext4", dir_ + "/tree", raw_);
    ASSERT_TRUE(st.ok()) << "\n" << st.ToString();
  }
  void TearDown() override { RemoveTree(dir_); }

  // ewfacquire, unattended: `target` (without extension) from the raw image, uncompressed
  // (so that the corruption test can find file bytes), with sha1 as well as md5, in
  // segments of `segment` (ewfacquire's -S; its smallest is 1 MiB).
  std::string Acquire(const std::string& target, const std::string& segment) {
    std::string out;
    EXPECT_EQ(RunShell("ewfacquire -u -q -t '" + dir_ + "/" + target + "' -c none -d sha1 -S " +
                           segment + " '" + raw_ + "'",
                       &out),
              0)
        << out;
    return dir_ + "/" + target + ".E01";
  }

  std::string dir_, raw_;
};

TEST_F(EwfTest, CopyOutOfAMultiSegmentE01GivesTheRawSourcesTree) {
  const std::string e01 = Acquire("multi", "1MiB");
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/multi.E02").c_str(), &st), 0) << "ewfacquire made one segment";
  ASSERT_EQ(::mkdir((dir_ + "/out").c_str(), 0755), 0);
  const std::string before = Sha256(e01);
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("copy-out --format ewf '" + e01 + ":/' '" + dir_ + "/out'"), &out),
            0)
      << out;
  std::string lost;
  RunShell("rm -rf '" + dir_ + "/out/lost+found'", &lost);
  CompareOptions o;
  o.hardlinks = false;
  o.mtime_precision_ns = 1000000000;
  EXPECT_EQ(Join(CompareTrees(dir_ + "/tree", dir_ + "/out", o)), "");
  EXPECT_EQ(Sha256(e01), before) << "reading changed the evidence";
}

TEST_F(EwfTest, LsOfTheE01ListsWhatLsOfTheRawImageLists) {
  const std::string e01 = Acquire("single", "1GiB");
  std::string raw_listing, ewf_listing;
  ASSERT_EQ(RunShell(Diskferry("ls -R -l --format raw '" + raw_ + ":/'"), &raw_listing), 0)
      << raw_listing;
  // --no-replay: the nbd node is the drive itself, with no overlay above it.
  ASSERT_EQ(RunShell(Diskferry("ls -R -l --no-replay --format ewf '" + e01 + ":/'"), &ewf_listing),
            0)
      << ewf_listing;
  EXPECT_GT(Lines(raw_listing).size(), 10u);
  EXPECT_EQ(ewf_listing, raw_listing);
}

TEST_F(EwfTest, ManifestExtractWithFormatEwfAndWithProbeFormatGivesTheSourceTree) {
  Acquire("single", "1GiB");
  std::ofstream(dir_ + "/m.yaml") << "version: 1\n"
                                     "jobs:\n"
                                     "  - name: named\n"
                                     "    kind: extract\n"
                                     "    source: single.E01\n"
                                     "    format: ewf\n"
                                     "    hashes: [sha256]\n"
                                     "    output: {dir: named}\n"
                                     "  - name: probed\n"
                                     "    kind: list\n"
                                     "    source: single.E01\n"
                                     "    probe_format: true\n"
                                     "    report: probed.json\n";
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl"), &out), 0)
      << out;
  std::string lost;
  RunShell("rm -rf '" + dir_ + "/named/lost+found'", &lost);
  CompareOptions o;
  o.hardlinks = false;
  o.mtime_precision_ns = 1000000000;
  EXPECT_EQ(Join(CompareTrees(dir_ + "/tree", dir_ + "/named", o)), "");
  // Probed as raw, the E01 would hold no filesystem: the inventory proves the probe.
  std::string report;
  RunShell("grep -c '\"path\":\"marker.txt\"' '" + dir_ + "/probed.json'", &report);
  EXPECT_EQ(report, "1\n");
}

TEST_F(EwfTest, StoredMd5EqualsMd5sumOfTheRawSourceAndVerifySaysMatch) {
  const std::string e01 = Acquire("multi", "1MiB");
  const std::string md5 = FirstWord("md5sum '" + raw_ + "'");
  const std::string sha256 = FirstWord("sha256sum '" + raw_ + "'");
  ASSERT_EQ(md5.size(), 32u);
  std::string info;
  ASSERT_EQ(RunShell("ewfinfo '" + e01 + "'", &info), 0) << info;
  std::string stored;
  for (const auto& line : Lines(info)) {
    if (line.find("MD5:") != std::string::npos) stored = line.substr(line.find_last_of(" \t") + 1);
  }
  EXPECT_EQ(stored, md5) << info;

  std::string out;
  EXPECT_EQ(RunShell(Diskferry("image verify --format ewf '" + e01 + "'"), &out), 0) << out;
  const std::vector<std::string> lines = Lines(out);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "md5 " + md5 + " computed, stored " + md5),
            lines.end())
      << out;
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "sha256 " + sha256 + " computed, not stored in the image"),
            lines.end())
      << out;
  EXPECT_EQ(lines.back(), e01 + ": match") << out;
}

TEST_F(EwfTest, AFlippedByteInChunkDataFailsVerifyAndReadingWithOneLine) {
  const std::string e01 = Acquire("single", "1GiB");
  // Uncompressed chunks hold the file's bytes as they are: flip one of the marker's.
  std::string offset;
  ASSERT_EQ(
      RunShell("grep -obUa '" + std::string(kMarker) + "' '" + e01 + "' | head -1 | cut -d: -f1",
               &offset),
      0);
  ASSERT_FALSE(offset.empty() || offset == "\n") << "the marker is not in the E01";
  std::string out;
  ASSERT_EQ(RunShell("printf X | dd of='" + e01 + "' bs=1 seek=" +
                         offset.substr(0, offset.size() - 1) + " conv=notrunc status=none",
                     &out),
            0)
      << out;

  EXPECT_EQ(RunShell(Diskferry("image verify --format ewf '" + e01 + "'"), &out), 1) << out;
  EXPECT_EQ(Lines(out).size(), 1u) << out;
  EXPECT_NE(out.find(e01 + ": the chunk at offset"), std::string::npos) << out;
  EXPECT_NE(out.find("fails its checksum"), std::string::npos) << out;

  // Through the appliance: the guest gets an I/O error for the file, never the damaged bytes.
  const int rc = RunShell(Diskferry("cat --format ewf '" + e01 + ":/marker.txt'") + " 2>&1", &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_EQ(out.find(kMarker), std::string::npos) << out;
  EXPECT_NE(out.find("marker.txt"), std::string::npos) << out;
}

TEST_F(EwfTest, ANonEwfFileAndAMissingSegmentAreOneLineErrorsNamingTheFile) {
  std::string out;
  EXPECT_EQ(RunShell(Diskferry("ls --format ewf '" + raw_ + ":/'"), &out), 1) << out;
  EXPECT_EQ(Lines(out).size(), 1u) << out;
  EXPECT_EQ(out.rfind("diskferry: " + raw_ + ": ", 0), 0u) << out;

  const std::string e01 = Acquire("multi", "1MiB");
  ASSERT_EQ(::unlink((dir_ + "/multi.E03").c_str()), 0);
  EXPECT_EQ(RunShell(Diskferry("ls --format ewf '" + e01 + ":/'"), &out), 1) << out;
  EXPECT_EQ(Lines(out).size(), 1u) << out;
  EXPECT_EQ(out.rfind("diskferry: " + e01 + ": ", 0), 0u) << out;
  EXPECT_EQ(RunShell(Diskferry("image verify --format ewf '" + e01 + "'"), &out), 1) << out;
  EXPECT_EQ(Lines(out).size(), 1u) << out;
}

TEST_F(EwfTest, CopyInAndInjectIntoAnE01AreRefusedInOneLine) {
  const std::string e01 = Acquire("single", "1GiB");
  const std::string before = Sha256(e01);
  std::string out;
  EXPECT_EQ(RunShell(Diskferry("copy-in --format ewf --in-place '" + dir_ + "/tree/marker.txt' '" +
                               e01 + ":/'"),
                     &out),
            64)
      << out;
  EXPECT_EQ(Lines(out).size(), 1u) << out;
  EXPECT_NE(out.find("read-only evidence"), std::string::npos) << out;

  std::ofstream(dir_ + "/inject.yaml") << "version: 1\njobs:\n  - name: i\n    kind: inject\n"
                                          "    target: single.E01\n    format: ewf\n"
                                          "    in_place: true\n    steps:\n"
                                          "      - mkdir: {path: /srv}\n";
  EXPECT_EQ(RunShell("cd '" + dir_ + "' && " + Diskferry("validate inject.yaml"), &out), 65) << out;
  const std::vector<std::string> lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u) << out;  // the diagnostic, then validate's count
  EXPECT_EQ(lines[0].rfind("inject.yaml:6:13: format: ewf images are read-only evidence", 0), 0u)
      << out;
  EXPECT_EQ(lines[1], "diskferry: inject.yaml: 1 problem");
  EXPECT_EQ(Sha256(e01), before);
}

class EwfKillTest : public EwfTest, public ::testing::WithParamInterface<int> {};

TEST_P(EwfKillTest, NoNbdkitRemainsAfterDiskferryIsKilled) {
  const std::string e01 = Acquire("single", "1GiB");
  // nbdkit's socket lives under TMPDIR: its command line carries this marker.
  const std::string marker = dir_ + "/tmp";
  ASSERT_EQ(::mkdir(marker.c_str(), 0700), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("TMPDIR", marker.c_str(), 1);
    const std::string prog = BuiltProgram("diskferry");
    ::execl(prog.c_str(), prog.c_str(), "appliance", "check", "--format", "ewf", "--image",
            e01.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  WaitForProcesses(marker, "qemu", true, std::chrono::seconds(60));
  ASSERT_FALSE(ProcessesMentioning(marker, "nbdkit").empty()) << "nbdkit never started";
  ::kill(child, GetParam());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status)) << "diskferry should die by the signal, status " << status;
  WaitForProcesses(marker, "nbdkit", false, std::chrono::seconds(10));
  EXPECT_TRUE(ProcessesMentioning(marker, "nbdkit").empty()) << "nbdkit outlived diskferry";
}

INSTANTIATE_TEST_SUITE_P(Signals, EwfKillTest, ::testing::Values(SIGKILL, SIGINT),
                         [](const auto& info) { return std::string(sigabbrev_np(info.param)); });

}  // namespace
}  // namespace diskferry::testing
