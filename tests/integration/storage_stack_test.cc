// LVM (linear, spanning two disks, thin) and md RAID (1, 1 degraded, 5) read through the
// CLI from images made by guestfish (tests/fixtures/storage/make.sh): every file's
// content and metadata equal what was written, and no source image changes.
#include <gtest/gtest.h>

#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

using StorageStackTest = StorageTest;

TEST_F(StorageStackTest, LinearLvNamedVgSlashLvCopiesOutAsWritten) {
  UsesImages({"lvm-linear.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(CopyOutMatches("--fs /dev/vg0/data " + Q("lvm-linear.img") + ":/",
                                         "lvm-linear", "/dev/vg0/data", {}, &err));
  ExpectHardLinksKept();
}

TEST_F(StorageStackTest, LinearLvNamedByDeviceMapperListsAsWritten) {
  UsesImages({"lvm-linear.img"});
  std::string out, err;
  ASSERT_EQ(RunSplit(Diskferry("ls -lR --fs /dev/mapper/vg0-xfsdata " + Q("lvm-linear.img") + ":/"),
                     &out, &err),
            0)
      << err;
  EXPECT_EQ(JoinLines(CompareListing(Expected("lvm-linear", "/dev/vg0/xfsdata"),
                                     ListingFromLsLong(out), {.contents = false})),
            "")
      << "ls -lR of /dev/mapper/vg0-xfsdata differs from the .expect";
}

TEST_F(StorageStackTest, LvSpanningTwoDisksReadsWithTheSecondDiskAdded) {
  UsesImages({"lvm-span-a.img", "lvm-span-b.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches("--add " + Q("lvm-span-b.img") + " " + Q("lvm-span-a.img") + ":/", "lvm-span",
                     "/dev/vgspan/big", {}, &err));
  ExpectHardLinksKept();
}

TEST_F(StorageStackTest, VolumeGroupWithAMissingDiskFailsWithOneLineNamingImageAndVg) {
  UsesImages({"lvm-span-a.img"});
  std::string out, err;
  EXPECT_EQ(RunSplit(Diskferry("ls " + Q("lvm-span-a.img") + ":/"), &out, &err), 1) << out << err;
  const auto lines = NonEmptyLines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_NE(lines[0].find("lvm-span-a.img"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("vgspan"), std::string::npos) << lines[0];
  EXPECT_EQ(out, "");
}

TEST_F(StorageStackTest, ThinLvCopiesOutAsWritten) {
  UsesImages({"lvm-thin.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches(Q("lvm-thin.img") + ":/", "lvm-thin", "/dev/vgthin/thin1", {}, &err));
  ExpectHardLinksKept();
}

TEST_F(StorageStackTest, Raid1WithBothMembersCopiesOutAsWritten) {
  UsesImages({"md-raid1-a.img", "md-raid1-b.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches("--add " + Q("md-raid1-b.img") + " " + Q("md-raid1-a.img") + ":/", "md-raid1",
                     "/dev/md/r1", {}, &err));
  ExpectHardLinksKept();
  EXPECT_EQ(err.find("degraded"), std::string::npos) << err;
}

TEST_F(StorageStackTest, Raid1FromOneMemberReadsAndSaysDegraded) {
  UsesImages({"md-raid1-a.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches(Q("md-raid1-a.img") + ":/", "md-raid1", "/dev/md/r1", {}, &err));
  EXPECT_NE(err.find("degraded"), std::string::npos) << "copy-out stderr:\n" << err;
}

TEST_F(StorageStackTest, Raid1LsOfTheOtherMemberAloneNotesDegraded) {
  UsesImages({"md-raid1-b.img"});
  std::string out, err;
  ASSERT_EQ(RunSplit(Diskferry("ls -lR " + Q("md-raid1-b.img") + ":/"), &out, &err), 0) << err;
  EXPECT_EQ(JoinLines(CompareListing(Expected("md-raid1", "/dev/md/r1"), ListingFromLsLong(out),
                                     {.contents = false})),
            "");
  EXPECT_NE((out + err).find("degraded"), std::string::npos) << "stdout:\n"
                                                             << out << "stderr:\n"
                                                             << err;
}

TEST_F(StorageStackTest, Raid5WithThreeMembersCopiesOutAsWritten) {
  UsesImages({"md-raid5-a.img", "md-raid5-b.img", "md-raid5-c.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(CopyOutMatches("--add " + Q("md-raid5-b.img") + " --add " +
                                             Q("md-raid5-c.img") + " " + Q("md-raid5-a.img") + ":/",
                                         "md-raid5", "/dev/md/r5", {}, &err));
  ExpectHardLinksKept();
}

}  // namespace
}  // namespace diskferry::testing
