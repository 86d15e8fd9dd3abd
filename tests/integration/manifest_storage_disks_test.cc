// Manifests with several disks and the `filesystems` record: `diskferry run` on real
// appliances with ext4 images made by mke2fs -d.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

class ManifestStorageDisksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("manifest-disks");
    std::string out;
    // Two disks of one machine, each one whole ext4 filesystem with a file of its own;
    // mke2fs leaves the journal clean, so nothing is replayed.
    ASSERT_EQ(RunShell("cd '" + dir_ + "' && mkdir -p a/etc b/srv && "
                       "echo disk-a > a/etc/which && echo disk-b > b/srv/which && "
                       "mke2fs -q -F -t ext4 -L disk-a -d a a.img 16M && "
                       "mke2fs -q -F -t ext4 -L disk-b -d b b.img 16M",
                       &out),
              0)
        << out;
  }
  void TearDown() override { RemoveTree(dir_); }

  int Run(const std::string& yaml, std::string* out, const std::string& flags = "") {
    std::ofstream(dir_ + "/m.yaml") << yaml;
    return RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl" + flags),
                    out);
  }
  std::string JobRecord(const std::string& job) {
    std::string line;
    RunShell("grep '\"record\":\"job\",\"job\":\"" + job + "\"' '" + dir_ + "/run.jsonl'", &line);
    return line;
  }

  std::string dir_;
};

TEST_F(ManifestStorageDisksTest, TheSecondDiskIsMountedWhenTheManifestNamesSdb) {
  std::string out;
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: data\n    kind: extract\n"
                "    source: [a.img, b.img]\n    format: [raw, raw]\n"
                "    filesystem: /dev/sdb\n    output: {dir: out}\n",
                &out),
            0)
      << out;
  EXPECT_EQ(ListTree(dir_ + "/out"), (std::vector<std::string>{"/lost+found", "/srv", "/srv/which"}));
  std::ifstream which(dir_ + "/out/srv/which");
  std::string text;
  std::getline(which, text);
  EXPECT_EQ(text, "disk-b");
  EXPECT_NE(JobRecord("data").find(
                R"("filesystems":[{"device":"/dev/sdb","type":"ext4","mount_point":"/",)"
                R"("replayed":false}])"),
            std::string::npos)
      << JobRecord("data");
}

TEST_F(ManifestStorageDisksTest, ACleanExt4IsReportedAsMountedWithoutReplayInReportAndEvents) {
  std::string out;
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: inventory\n    kind: list\n"
                "    source: a.img\n    format: raw\n",
                &out, " --json 2>&1"),
            0)
      << out;
  const std::string fs =
      R"("filesystems":[{"device":"/dev/sda","type":"ext4","mount_point":"/","replayed":false}])";
  EXPECT_NE(JobRecord("inventory").find(fs), std::string::npos) << JobRecord("inventory");
  EXPECT_NE(out.find(R"("event":"job_mounted",)"), std::string::npos) << out;
  EXPECT_NE(out.find(fs), std::string::npos) << out;
  EXPECT_EQ(out.find("journal replayed"), std::string::npos) << out;
}

// debugfs sets the needs_recovery flag that a crash leaves, so the kernel recovers the
// (empty) journal at mount time and says so. The job with replay: false must get its own
// appliance, reading the on-disk state without recovery.
TEST_F(ManifestStorageDisksTest, AJournalNeedingRecoveryIsReplayedIntoAnOverlayAndSaidOnce) {
  std::string out, before, after;
  ASSERT_EQ(RunShell("debugfs -w -R 'feature needs_recovery' '" + dir_ + "/a.img' 2>&1", &out), 0)
      << out;
  RunShell("sha256sum '" + dir_ + "/a.img'", &before);
  ASSERT_EQ(Run("version: 1\nrun: {max_parallel: 1}\njobs:\n"
                "  - {name: replayed, kind: list, source: a.img, format: raw}\n"
                "  - {name: on-disk, kind: list, source: a.img, format: raw, replay: false}\n",
                &out, " --json 2>&1"),
            0)
      << out;
  RunShell("sha256sum '" + dir_ + "/a.img'", &after);
  EXPECT_EQ(before, after) << "the source image changed";
  EXPECT_NE(JobRecord("replayed").find(R"("device":"/dev/sda","type":"ext4","mount_point":"/",)"
                                       R"("replayed":true})"),
            std::string::npos)
      << JobRecord("replayed");
  EXPECT_NE(JobRecord("on-disk").find(R"("replayed":false})"), std::string::npos)
      << JobRecord("on-disk");
  const std::string line =
      "replayed: /dev/sda (ext4): journal replayed into a throw-away overlay; the source is "
      "unchanged\n";
  const size_t at = out.find(line);
  EXPECT_NE(at, std::string::npos) << out;
  EXPECT_EQ(out.find(line, at + 1), std::string::npos) << "said more than once: " << out;
  EXPECT_EQ(out.find("on-disk: /dev/sda (ext4): journal replayed"), std::string::npos) << out;
}

TEST_F(ManifestStorageDisksTest, AFormatListOfAnotherLengthIsOneLineAndNoApplianceStarts) {
  std::string out;
  EXPECT_NE(Run("version: 1\njobs:\n  - name: data\n    kind: list\n"
                "    source: [a.img, b.img]\n    format: [raw, raw, raw]\n",
                &out),
            0);
  EXPECT_NE(out.find("m.yaml:6:13: format: 3 formats for 2 disks: give one format per disk of "
                     "source, in its order, or one format for all"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("appliance"), std::string::npos) << out;
}

}  // namespace
}  // namespace diskferry::testing
