// copy-out, copy-in and cat against real appliances and images made by mkfs tools.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/integration/fs_images.h"
#include "tests/integration/tree_compare.h"

namespace diskferry::testing {
namespace {

struct FsCase {
  std::string fstype;
  std::string lane;
  bool symlinks, modes, hardlinks, big;
};

class CopyOutTest : public ::testing::TestWithParam<FsCase> {
 protected:
  void SetUp() override {
    const FsCase& c = GetParam();
    dir_ = MakeScratchDir("copyout-" + c.fstype);
    MakeSourceTree(dir_ + "/tree", TreeOptions{.symlinks = c.symlinks,
                                               .unix_modes = c.modes,
                                               .spaces_in_names = c.fstype != "xfs"});
    AddRoundTripContent(dir_ + "/tree", c.big, false, c.hardlinks);
    if (c.fstype == "xfs" || c.fstype == "vfat") {  // protofile and mcopy cannot carry these
      std::string out;
      RunShell("rm -f '" + dir_ + "/tree/names/new'*", &out);
    }
    image_ = dir_ + "/" + c.fstype + ".img";
    Status st = MakeImage(c.fstype, dir_ + "/tree", image_);
    ASSERT_TRUE(st.ok()) << "\n" << st.ToString();
  }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_, image_;
};

TEST_P(CopyOutTest, TreeComesOutAsItWentIn) {
  const FsCase& c = GetParam();
  const std::string before = Sha256(image_);
  ASSERT_EQ(::mkdir((dir_ + "/out").c_str(), 0755), 0);
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("copy-out --lane " + c.lane + " '" + image_ + ":/' '" + dir_ +
                               "/out'"),
                     &out),
            0)
      << out;
  CompareOptions o;
  o.modes = c.modes;
  o.owners = c.modes;
  o.symlinks = c.symlinks;
  o.hardlinks = c.hardlinks;
  // What the image holds is the truth: mkfs.btrfs --rootdir writes holes out as data, and
  // mkfs.xfs's protofile stamps every inode with the time of mkfs; vfat keeps 2 s steps.
  o.sparse = c.fstype == "ext4";
  const bool times_kept = c.fstype == "ext4" || c.fstype == "btrfs";
  o.mtime_precision_ns = times_kept ? 1000000000 : 0;
  EXPECT_EQ(Join(CompareTrees(dir_ + "/tree", dir_ + "/out", o)), "");
  EXPECT_EQ(Sha256(image_), before) << "a read-only run changed the source image";
}

INSTANTIATE_TEST_SUITE_P(
    Filesystems, CopyOutTest,
    ::testing::Values(FsCase{"ext4", "shm", true, true, true, true},
                      FsCase{"ext4", "socket", true, true, true, false},
                      FsCase{"xfs", "shm", true, true, false, false},
                      FsCase{"btrfs", "shm", true, true, true, false},
                      FsCase{"vfat", "shm", false, false, false, false}),
    [](const auto& info) { return info.param.fstype + "_" + info.param.lane; });

class CopyInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("copyin");
    MakeSourceTree(dir_ + "/src/tree", {});
    AddRoundTripContent(dir_ + "/src/tree", false, true, true);
    std::string out;
    ASSERT_EQ(RunShell("mke2fs -q -F -t ext4 '" + dir_ + "/empty.img' 128M", &out), 0) << out;
  }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(CopyInTest, CopyInThenCopyOutGivesBackTheTreeAndLeavesTheOriginalAlone) {
  const std::string img = dir_ + "/empty.img";
  const std::string before = Sha256(img);
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("copy-in --xattrs '" + dir_ + "/src/tree' '" + img +
                               ":/restore' --output '" + dir_ + "/new.qcow2'"),
                     &out),
            0)
      << out;
  EXPECT_EQ(Sha256(img), before) << "copy-in wrote to the original image";
  ASSERT_EQ(::mkdir((dir_ + "/back").c_str(), 0755), 0);
  // The overlay's header names the image: read only because the command names it too.
  ASSERT_EQ(RunShell(Diskferry("copy-out --xattrs --format qcow2 --backing '" + img + "' '" +
                               dir_ + "/new.qcow2:/restore/tree' '" + dir_ + "/back'"),
                     &out),
            0)
      << out;
  CompareOptions o;
  o.xattrs = true;
  o.sparse = true;
  EXPECT_EQ(Join(CompareTrees(dir_ + "/src/tree", dir_ + "/back/tree", o)), "");
}

// File data goes by O_DIRECT where page-aligned and through the page cache otherwise
// (guest_tree_writer.h); syncfs at the end must have made both durable before the command
// returns: the overlay, read without any appliance, holds the files.
TEST_F(CopyInTest, BigAndMidSizedFilesAreInTheImageWhenCopyInReturnsOnEitherLane) {
  const std::string img = dir_ + "/empty.img", src = dir_ + "/data";
  std::string out;
  // big.bin, 9 MiB and 123 bytes: whole 4 MiB stream chunks, a 1 MiB hole, an unaligned
  // tail. mid.bin, 200 KiB and 17 bytes: under the stream threshold, whole in a batch.
  ASSERT_EQ(RunShell("mkdir '" + src + "' && cd '" + src +
                         "' && head -c 4194304 /dev/urandom >big.bin && truncate -s 5M big.bin"
                         " && head -c 4194427 /dev/urandom >>big.bin"
                         " && head -c 204817 /dev/urandom >mid.bin",
                     &out),
            0)
      << out;
  for (const std::string lane : {"shm", "socket"}) {
    const std::string overlay = dir_ + "/" + lane + ".qcow2", raw = dir_ + "/" + lane + ".raw";
    ASSERT_EQ(RunShell(Diskferry("copy-in --lane " + lane + " '" + src + "' '" + img +
                                 ":/' --output '" + overlay + "'"),
                       &out),
              0)
        << out;
    ASSERT_EQ(RunShell("qemu-img convert -O raw '" + overlay + "' '" + raw + "'", &out), 0)
        << out;
    for (const std::string name : {"big.bin", "mid.bin"}) {
      const std::string back = dir_ + "/back-" + lane + "-" + name;
      ASSERT_EQ(RunShell("debugfs -R 'dump /data/" + name + " " + back + "' '" + raw + "' 2>&1",
                         &out),
                0)
          << out;
      EXPECT_EQ(Sha256(back), Sha256(src + "/" + name)) << lane << " " << name;
    }
  }
}

TEST_F(CopyInTest, CatPrintsAFileAndNamesMissingOnes) {
  const std::string img = dir_ + "/src.img";
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/src/tree", img).ok());
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("cat '" + img + ":/etc/alias'") + " 2>/dev/null", &out), 0) << out;
  EXPECT_EQ(out, "demo\n");
  EXPECT_NE(RunShell(Diskferry("cat '" + img + ":/etc/shadowx'"), &out), 0);
  EXPECT_NE(out.find(img + ":/etc/shadowx: No such file or directory"), std::string::npos) << out;
}

TEST_F(CopyInTest, CopyOutNeverWritesThroughASymlinkInDest) {
  const std::string img = dir_ + "/src.img";
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/src/tree", img).ok());
  const std::string dest = dir_ + "/dest", outside = dir_ + "/outside";
  ASSERT_EQ(::mkdir(dest.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (dest + "/etc").c_str()), 0);  // planted before the run
  std::string out;
  RunShell(Diskferry("copy-out '" + img + ":/etc' '" + dest + "'"), &out);
  EXPECT_TRUE(ListTree(outside).empty()) << "wrote through a symlink: " << out;
}

}  // namespace
}  // namespace diskferry::testing
