#include "appliance/filesystem_choice.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

std::vector<FilesystemInfo> TwoPartitions() {
  return {{"/dev/sda1", "ext4", "root", "1111", 1 << 20},
          {"/dev/sda2", "swap", "", "2222", 1 << 20},
          {"/dev/sda3", "xfs", "data", "3333", 1 << 20}};
}

TEST(FilesystemChoiceTest, TheOnlyMountableFilesystemIsChosen) {
  auto fs = ChooseFilesystem({{"/dev/sda1", "ext4", "", "", 0}, {"/dev/sda2", "swap", "", "", 0}},
                             "");
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->device, "/dev/sda1");
}

TEST(FilesystemChoiceTest, SeveralWithoutAChoiceListsCandidatesWithTypes) {
  auto fs = ChooseFilesystem(TwoPartitions(), "");
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.status().code(), Code::kInvalidArgument);
  EXPECT_NE(fs.status().message().find("/dev/sda1 (ext4, label root)"), std::string::npos);
  EXPECT_NE(fs.status().message().find("/dev/sda3 (xfs, label data)"), std::string::npos);
  EXPECT_NE(fs.status().message().find("--fs"), std::string::npos);
}

TEST(FilesystemChoiceTest, ChoosesByDeviceLabelOrUuid) {
  EXPECT_EQ(ChooseFilesystem(TwoPartitions(), "/dev/sda3")->fstype, "xfs");
  EXPECT_EQ(ChooseFilesystem(TwoPartitions(), "/dev/vda3")->fstype, "xfs");
  EXPECT_EQ(ChooseFilesystem(TwoPartitions(), "LABEL=root")->device, "/dev/sda1");
  EXPECT_EQ(ChooseFilesystem(TwoPartitions(), "UUID=3333")->device, "/dev/sda3");
}

TEST(FilesystemChoiceTest, UnknownNameAndSwapAreErrors) {
  auto missing = ChooseFilesystem(TwoPartitions(), "/dev/sdb1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("candidates"), std::string::npos);
  EXPECT_FALSE(ChooseFilesystem(TwoPartitions(), "/dev/sda2").ok());
  EXPECT_FALSE(ChooseFilesystem({}, "").ok());
}

}  // namespace
}  // namespace diskferry
