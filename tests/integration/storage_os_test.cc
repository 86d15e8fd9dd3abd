// Whole-OS disks (--os): a Rocky-like disk (EFI vfat, /boot ext4 by LABEL=, an LVM PV
// with an xfs root, an ext4 /home and swap; fstab also has an nfs line, a noauto line and
// a device that does not exist) and an Ubuntu-like disk (EFI vfat, btrfs subvolumes @
// and @home). One copy-out of /etc, /home and /boot takes files from three or four
// filesystems; the skipped fstab lines are reported.
#include <gtest/gtest.h>

#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

using StorageOsTest = StorageTest;

// The appliance mounts vfat with its own options, not fstab's umask=0077: modes and
// owners below /boot/efi are not compared; names, sizes and contents are.
const ListingRules kOsRules{.only_under = {"/etc", "/home", "/boot"},
                            .no_modes_under = {"/boot/efi"}};

TEST_F(StorageOsTest, RockyEtcHomeAndBootComeFromTheirOwnFilesystems) {
  UsesImages({"os-rhel.img"});
  const std::string img = Q("os-rhel.img");
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches("--os " + img + ":/etc " + img + ":/home " + img + ":/boot", "os-rhel", "tree",
                     kOsRules, &err));
  // fstab lines that are not mounted are reported: the device that does not exist by name.
  EXPECT_NE(err.find("UUID=0badc0de-0000-4000-8000-000000000000"), std::string::npos) << "stderr:\n"
                                                                                      << err;
  EXPECT_NE(err.find("/mnt/nfs"), std::string::npos) << "stderr:\n" << err;
}

TEST_F(StorageOsTest, UbuntuHomeComesFromItsBtrfsSubvolume) {
  UsesImages({"os-ubuntu.img"});
  const std::string img = Q("os-ubuntu.img");
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches("--os " + img + ":/etc " + img + ":/home " + img + ":/boot", "os-ubuntu",
                     "tree", kOsRules, &err));
}

TEST_F(StorageOsTest, WithoutOsOrFsTheErrorListsFilesystemsAndTheOs) {
  UsesImages({"os-rhel.img"});
  std::string out, err;
  EXPECT_EQ(RunSplit(Diskferry("ls " + Q("os-rhel.img") + ":/"), &out, &err), 64) << out << err;
  EXPECT_NE(err.find("/dev/sda2 (ext4, label boot"), std::string::npos) << err;
  EXPECT_NE(err.find("/dev/rhel/root"), std::string::npos) << err;
  EXPECT_NE(err.find("Rocky Linux"), std::string::npos) << err;
}

}  // namespace
}  // namespace diskferry::testing
