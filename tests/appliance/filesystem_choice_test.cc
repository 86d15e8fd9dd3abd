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
  EXPECT_NE(fs.status().message().find("/dev/sda1 (ext4, label root, 1 MiB)"), std::string::npos);
  EXPECT_NE(fs.status().message().find("/dev/sda3 (xfs, label data, 1 MiB)"), std::string::npos);
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

// An LVM volume group on one PV and an ext4 on it, as the daemon lists them.
std::vector<FilesystemInfo> VolumeGroup() {
  FilesystemInfo pv{"/dev/sda2", "LVM2_member", "", "pv-uuid", 9u << 20};
  pv.note = "LVM physical volume of VG vg0";
  FilesystemInfo root{"/dev/vg0/root", "ext4", "root", "root-uuid", 8u << 20};
  root.aliases = {"/dev/mapper/vg0-root", "/dev/dm-0"};
  FilesystemInfo boot{"/dev/sda1", "ext4", "boot", "boot-uuid", 1u << 20};
  return {boot, pv, root};
}

TEST(FilesystemChoiceTest, ChoosesALogicalVolumeByAnyOfItsNames) {
  for (const char* name : {"/dev/vg0/root", "/dev/mapper/vg0-root", "/dev/dm-0"}) {
    auto fs = ChooseFilesystem(VolumeGroup(), name);
    ASSERT_TRUE(fs.ok()) << name << ": " << fs.status().ToString();
    EXPECT_EQ(fs->device, "/dev/vg0/root") << name;
  }
}

TEST(FilesystemChoiceTest, MembersAreNeverCandidates) {
  FilesystemInfo pv{"/dev/sda1", "LVM2_member", "", "", 0};
  FilesystemInfo raid{"/dev/sdb", "linux_raid_member", "", "", 0};
  FilesystemInfo luks{"/dev/sdc", "crypto_LUKS", "", "", 0};
  FilesystemInfo md{"/dev/md0", "ext4", "", "", 0};
  auto fs = ChooseFilesystem({pv, raid, luks, md}, "");
  ASSERT_TRUE(fs.ok());
  EXPECT_EQ(fs->device, "/dev/md0");
  auto none = ChooseFilesystem({pv, raid, luks}, "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
}

TEST(FilesystemChoiceTest, NamingAMemberSaysWhatItIs) {
  auto fs = ChooseFilesystem(VolumeGroup(), "/dev/sda2");
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.status().code(), Code::kInvalidArgument);
  EXPECT_NE(fs.status().message().find(
                "/dev/sda2 holds LVM2_member (LVM physical volume of VG vg0), which cannot be "
                "mounted"),
            std::string::npos)
      << fs.status().message();
}

TEST(FilesystemChoiceTest, CandidatesShowSizeNoteAliasesAndTheOsName) {
  auto fs = ChooseFilesystem(VolumeGroup(), "", {"/dev/vg0/root", "Debian GNU/Linux 12 (bookworm)"});
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.status().message(),
            "several filesystems found; choose one with --fs or --os; candidates: "
            "/dev/sda1 (ext4, label boot, 1 MiB), "
            "/dev/sda2 (LVM2_member, 9 MiB, LVM physical volume of VG vg0), "
            "/dev/vg0/root (ext4, label root, 8 MiB, Debian GNU/Linux 12 (bookworm); "
            "also /dev/mapper/vg0-root, /dev/dm-0)");
}

TEST(FilesystemChoiceTest, CandidateTextEscapesGuestStrings) {
  FilesystemInfo fs{"/dev/sda1", "ext4", "evil\n\x1b[2J", "", 0};
  const std::string text = DescribeFilesystem(fs);
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

TEST(FilesystemChoiceTest, HumanSizesUseBinaryUnits) {
  EXPECT_EQ(HumanSize(512), "512 B");
  EXPECT_EQ(HumanSize(1536), "1.5 KiB");
  EXPECT_EQ(HumanSize(8ull << 30), "8 GiB");
  EXPECT_EQ(HumanSize(9961472), "9.5 MiB");
}

}  // namespace
}  // namespace diskferry
