// examples/nightly-backup.yaml for real, two nights in a row and a failed third: the first
// night has no baselines and runs in full, the second copies only what changed, and a
// failed job leaves the baseline it had.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/fs_images.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry::testing {
namespace {

class BackupExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("backup");
    ASSERT_FALSE(dir_.empty());
    std::filesystem::copy_file(std::string(DF_EXAMPLES_DIR) + "/nightly-backup.yaml",
                               dir_ + "/nightly-backup.yaml");
    std::string out;
    ASSERT_EQ(
        RunShell("cd '" + dir_ +
                     "' && mkdir -p tree/etc tree/home/alice tree/root "
                     "tree/var/log && echo web01 > tree/etc/hostname && "
                     "echo 'root:x:0:0::/root:/bin/sh' > tree/etc/passwd && "
                     "echo notes > tree/home/alice/notes.txt && echo boot > tree/var/log/syslog",
                 &out),
        0)
        << out;
  }
  void TearDown() override { RemoveTree(dir_); }

  // The tree as a qcow2 image (the example's format), made by mke2fs and qemu-img.
  void MakeNight(const std::string& name) {
    std::string out;
    ASSERT_EQ(RunShell("cd '" + dir_ + "' && mke2fs -q -F -t ext4 -d tree " + name +
                           ".raw 32M && qemu-img convert -f raw -O qcow2 " + name + ".raw " + name +
                           ".qcow2",
                       &out),
              0)
        << out;
  }

  int RunNight(const std::string& image, const std::string& date, std::string* out) {
    return RunShell("cd '" + dir_ + "' && " +
                        Diskferry("run nightly-backup.yaml --var image=" + image +
                                  ".qcow2 --var archive=archive --var date=" + date + " --report " +
                                  date + ".jsonl") +
                        " 2>&1",
                    out);
  }

  std::string TarList(const std::string& tar) {
    std::string out;
    EXPECT_EQ(RunShell("tar -tf '" + dir_ + "/" + tar + "' | sort", &out), 0) << out;
    return out;
  }

  std::string dir_;
};

TEST_F(BackupExampleTest, TheFirstNightIsFullTheSecondCopiesWhatChangedAFailedOneKeepsTheBaseline) {
  MakeNight("night1");
  std::string out;
  ASSERT_EQ(RunNight("night1", "2026-12-01", &out), 0) << out;
  const std::string last = dir_ + "/archive/web01/last/";
  ASSERT_TRUE(std::filesystem::exists(last + "config.json")) << out;
  ASSERT_TRUE(std::filesystem::exists(last + "homes.json")) << out;
  EXPECT_FALSE(std::filesystem::exists(last + "config.json.new"));
  EXPECT_NE(ReadWholeFile(dir_ + "/2026-12-01.jsonl").find("full run: no baseline yet"),
            std::string::npos);
  const std::string night1_config = TarList("archive/web01/2026-12-01/config.tar.zst");
  EXPECT_NE(night1_config.find("etc/passwd"), std::string::npos) << night1_config;
  EXPECT_NE(night1_config.find("etc/hostname"), std::string::npos) << night1_config;

  // The next day: hostname changed (another size), a file added in a home. mke2fs -d keeps
  // the other files' times, so they are unchanged.
  ASSERT_EQ(RunShell("cd '" + dir_ +
                         "' && echo web01.example.org > tree/etc/hostname && "
                         "echo new > tree/home/alice/new.txt",
                     &out),
            0);
  MakeNight("night2");
  ASSERT_EQ(RunNight("night2", "2026-12-02", &out), 0) << out;
  const std::string config = TarList("archive/web01/2026-12-02/config.tar.zst");
  EXPECT_NE(config.find("etc/hostname"), std::string::npos) << config;
  EXPECT_EQ(config.find("etc/passwd"), std::string::npos) << config;
  const std::string homes = TarList("archive/web01/2026-12-02/homes.tar.zst");
  EXPECT_NE(homes.find("home/alice/new.txt"), std::string::npos) << homes;
  EXPECT_EQ(homes.find("home/alice/notes.txt"), std::string::npos) << homes;
  EXPECT_EQ(ReadWholeFile(dir_ + "/2026-12-02.jsonl").find("full run"), std::string::npos);

  // The same day again: on_exists: fail fails every job, and the baselines stay.
  const std::string baseline = ReadWholeFile(last + "config.json");
  EXPECT_NE(RunNight("night2", "2026-12-02", &out), 0) << out;
  EXPECT_EQ(ReadWholeFile(last + "config.json"), baseline);
  EXPECT_FALSE(std::filesystem::exists(last + "config.json.new"));
}

}  // namespace
}  // namespace diskferry::testing
