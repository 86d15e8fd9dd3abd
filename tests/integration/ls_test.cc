// `diskferry ls` against real images made by each filesystem's own mkfs tool, booting real
// appliances (TCG when there is no KVM).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

class LsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("ls-" + GetParam());
    ASSERT_FALSE(dir_.empty());
    const bool vfat = GetParam() == "vfat";
    MakeSourceTree(dir_ + "/tree", TreeOptions{.symlinks = !vfat,
                                               .unix_modes = !vfat,
                                               .spaces_in_names = GetParam() != "xfs"});
    image_ = dir_ + "/" + GetParam() + ".img";
    Status st = MakeImage(GetParam(), dir_ + "/tree", image_);
    ASSERT_TRUE(st.ok()) << "\n" << st.ToString();
  }
  void TearDown() override { RemoveTree(dir_); }

  std::string dir_;
  std::string image_;
};

TEST_P(LsTest, RecursiveListingMatchesTheSourceTree) {
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("ls -R '" + image_ + ":/'"), &out), 0) << out;
  std::vector<std::string> listed = Lines(out);
  // mke2fs and friends add their own bookkeeping directory; it is not part of the tree.
  std::erase(listed, "/lost+found");
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, ListTree(dir_ + "/tree"));
}

TEST_P(LsTest, LongListingShowsModesSizesAndLinkTargets) {
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("ls -l '" + image_ + ":/data'"), &out), 0) << out;
  bool saw_big = false;
  for (const auto& line : Lines(out)) {
    if (line.ends_with(" big.bin")) {
      saw_big = true;
      EXPECT_NE(line.find(" 71680 "), std::string::npos) << line;
      EXPECT_EQ(line[0], '-') << line;
    }
    if (GetParam() != "vfat" && line.find(" escape") != std::string::npos) {
      EXPECT_EQ(line.rfind("lrwxrwxrwx", 0), 0u) << line;
      EXPECT_TRUE(line.ends_with(" escape -> ../../outside")) << line;
    }
  }
  EXPECT_TRUE(saw_big) << out;
  if (GetParam() != "vfat") {
    ASSERT_EQ(RunShell(Diskferry("ls -l '" + image_ + ":/etc'"), &out), 0) << out;
    EXPECT_NE(out.find("-rw-------"), std::string::npos) << out;  // secret.conf kept 0600
  }
}

TEST_P(LsTest, MissingPathNamesImageAndPath) {
  std::string out;
  EXPECT_NE(RunShell(Diskferry("ls '" + image_ + ":/no/such/dir'"), &out), 0);
  EXPECT_NE(out.find(image_ + ":/no/such/dir"), std::string::npos) << out;
  EXPECT_NE(out.find("No such file or directory"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Filesystems, LsTest, ::testing::Values("ext4", "xfs", "btrfs", "vfat"),
                         [](const auto& info) { return info.param; });

// A disk with a partition table and two filesystems: `ls` must not guess.
class PartitionedImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("parts");
    MakeSourceTree(dir_ + "/tree", TreeOptions{.spaces_in_names = false});
    ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", dir_ + "/p1.img").ok());
    ASSERT_TRUE(MakeImage("xfs", dir_ + "/tree", dir_ + "/p2.img").ok());
    disk_ = dir_ + "/disk.img";
    // p1: 64 MiB at 1 MiB; p2: 320 MiB right after. sfdisk works on a plain file.
    std::string out;
    const std::string cmd =
        "cd '" + dir_ + "' && truncate -s 400M disk.img && "
        "printf 'label: gpt\\nstart=2048, size=131072, name=root\\nstart=133120, size=655360, "
        "name=data\\n' | sfdisk -q disk.img && "
        "dd if=p1.img of=disk.img bs=1M seek=1 conv=notrunc status=none && "
        "dd if=p2.img of=disk.img bs=1M seek=65 conv=notrunc status=none";
    ASSERT_EQ(RunShell(cmd, &out), 0) << out;
  }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
  std::string disk_;
};

TEST_F(PartitionedImageTest, SeveralFilesystemsNeedFsAndTheErrorListsThem) {
  std::string out;
  EXPECT_EQ(RunShell(Diskferry("ls '" + disk_ + "'"), &out), 64) << out;
  EXPECT_NE(out.find("/dev/sda1 (ext4, label dftest, 64 MiB)"), std::string::npos) << out;
  EXPECT_NE(out.find("/dev/sda2 (xfs, label dftest, 320 MiB)"), std::string::npos) << out;
  ASSERT_EQ(RunShell(Diskferry("ls --fs /dev/sda2 '" + disk_ + ":/etc'"), &out), 0) << out;
  EXPECT_NE(out.find("hostname"), std::string::npos) << out;
}

}  // namespace
}  // namespace diskferry::testing
