// Which installed kernel a session boots for the filesystems it needs (pure logic of
// appliance/kernel_choice.h): no VM, no files.
#include "appliance/kernel_choice.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace diskferry {
namespace {

const char kCloud[] = "6.1.0-57-cloud-amd64";
const char kGeneric[] = "6.1.0-57-amd64";

FilesystemInfo Fs(std::string device, std::string fstype) {
  FilesystemInfo fs;
  fs.device = std::move(device);
  fs.fstype = std::move(fstype);
  return fs;
}

KernelFilesystems Kernel(std::string release, std::vector<std::string> filesystems) {
  KernelFilesystems k;
  k.kernel.release = release;
  k.kernel.path = "/boot/vmlinuz-" + release;
  k.filesystems = std::move(filesystems);
  return k;
}

// Debian 12 as measured on a host without ntfs-3g: the generic kernel adds f2fs; neither
// offers ntfs.
const std::vector<std::string> kCloudFs = {"btrfs",   "exfat",    "ext2", "ext3", "ext4",
                                           "iso9660", "squashfs", "udf",  "vfat", "xfs"};
const std::vector<std::string> kGenericFs = {"btrfs",   "exfat",    "ext2", "ext3", "ext4", "f2fs",
                                             "iso9660", "squashfs", "udf",  "vfat", "xfs"};
const std::vector<KernelFilesystems> kInstalled = {Kernel(kCloud, kCloudFs),
                                                   Kernel(kGeneric, kGenericFs)};

TEST(KernelChoiceTest, KeepsTheBootedKernelWhenItServesEveryNeededType) {
  EXPECT_FALSE(ChooseKernelFor({Fs("/dev/sda1", "ext4"), Fs("/dev/sda2", "xfs")}, kCloud, kCloudFs,
                               kInstalled));
}

TEST(KernelChoiceTest, SwitchesToTheKernelThatServesTheChosenType) {
  const auto change = ChooseKernelFor({Fs("/dev/sda1", "f2fs")}, kCloud, kCloudFs, kInstalled);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->kernel.release, kGeneric);
  EXPECT_EQ(change->kernel.path, std::string("/boot/vmlinuz-") + kGeneric);
  EXPECT_EQ(change->device, "/dev/sda1");
  EXPECT_EQ(change->blkid_type, "f2fs");
}

TEST(KernelChoiceTest, KeepsTheBootedKernelWhenNoInstalledKernelServesTheType) {
  EXPECT_FALSE(ChooseKernelFor({Fs("/dev/sda1", "ntfs")}, kCloud, kCloudFs, kInstalled));
}

TEST(KernelChoiceTest, TakesTheFirstKernelInPreferenceOrderThatServesEveryLackingType) {
  const std::vector<KernelFilesystems> installed = {
      Kernel(kCloud, kCloudFs), Kernel("6.1.0-58-amd64", {"ext4", "f2fs"}),
      Kernel("6.12.0-1-amd64", {"ext4", "f2fs", "ntfs"}), Kernel("6.13.0-1-amd64", {"ntfs"})};
  const auto change = ChooseKernelFor({Fs("/dev/sda1", "f2fs"), Fs("/dev/sda2", "ntfs")}, kCloud,
                                      kCloudFs, installed);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->kernel.release, "6.12.0-1-amd64");
}

TEST(KernelChoiceTest, NeverSwitchesToTheBootedKernelItself) {
  const std::vector<KernelFilesystems> installed = {Kernel(kGeneric, kGenericFs)};
  EXPECT_FALSE(ChooseKernelFor({Fs("/dev/sda1", "ntfs")}, kGeneric, kGenericFs, installed));
}

TEST(KernelChoiceTest, TypesThatAreNotFilesystemsNeedNoKernel) {
  EXPECT_FALSE(ChooseKernelFor({Fs("/dev/sda2", "swap"), Fs("/dev/sda3", "LVM2_member"),
                                Fs("/dev/sda4", "crypto_LUKS"), Fs("/dev/sda5", "")},
                               kCloud, kCloudFs, kInstalled));
}

TEST(KernelChoiceTest, SaysWhichDeviceNeedsWhatAndWhichKernelIsUsed) {
  const auto change = ChooseKernelFor({Fs("/dev/sda1", "f2fs")}, kCloud, kCloudFs, kInstalled);
  ASSERT_TRUE(change);
  EXPECT_EQ(DescribeKernelSwitch("disk.img", kCloud, *change),
            "disk.img: /dev/sda1 is f2fs, which 6.1.0-57-cloud-amd64 lacks; using 6.1.0-57-amd64");
}

TEST(KernelChoiceTest, SaysWhenNoInstalledKernelMountsAType) {
  EXPECT_EQ(DescribeNoKernelFor(Fs("/dev/sda1", "ntfs"), {kCloud, kGeneric}),
            "/dev/sda1 is ntfs, which no installed kernel mounts "
            "(6.1.0-57-cloud-amd64 and 6.1.0-57-amd64 lack ntfs); "
            "install ntfs-3g on the host (scripts/setup.sh)");
  EXPECT_EQ(DescribeNoKernelFor(Fs("/dev/sda1", "jfs"), {kCloud}),
            "/dev/sda1 is jfs, which no installed kernel mounts "
            "(6.1.0-57-cloud-amd64 lacks jfs)");
}

TEST(KernelChoiceTest, ListsTheKernelsServingAType) {
  EXPECT_EQ(KernelsServing("f2fs", kInstalled), std::vector<std::string>{kGeneric});
  EXPECT_EQ(KernelsServing("ext4", kInstalled), (std::vector<std::string>{kCloud, kGeneric}));
  EXPECT_TRUE(KernelsServing("ntfs3", kInstalled).empty());
}

TEST(KernelChoiceTest, TableListsEachTypeWithTheBootedKernelFirstAndEachKernelOnce) {
  const auto table = ServingTable(kCloud, {"ext4", "fuseblk"}, kInstalled);
  std::vector<std::string> rows;
  for (const FilesystemServers& row : table) {
    std::string line = row.fstype + ":";
    for (const std::string& r : row.releases) line += " " + r;
    rows.push_back(line);
  }
  ASSERT_EQ(rows.size(), 12u);
  EXPECT_EQ(rows[4], "ext4: 6.1.0-57-cloud-amd64 6.1.0-57-amd64");
  EXPECT_EQ(rows[5], "f2fs: 6.1.0-57-amd64");
  EXPECT_EQ(rows[6], "fuseblk: 6.1.0-57-cloud-amd64");
}

TEST(KernelChoiceTest, NeedsTheChosenFilesystemOrEveryMountableOneOfAWholeOs) {
  const std::vector<FilesystemInfo> listing = {Fs("/dev/sda1", "vfat"), Fs("/dev/sda2", "swap"),
                                               Fs("/dev/sda3", "f2fs")};
  const auto chosen = NeededFilesystems(listing, "/dev/sda3", /*whole_os=*/false);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].device, "/dev/sda3");
  const auto os = NeededFilesystems(listing, "", /*whole_os=*/true);
  ASSERT_EQ(os.size(), 2u);
  EXPECT_EQ(os[0].device, "/dev/sda1");
  EXPECT_EQ(os[1].device, "/dev/sda3");
}

}  // namespace
}  // namespace diskferry
