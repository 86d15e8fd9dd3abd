// The sysfs names added to DeviceFacts (daemon/os_devices.h), over a scratch sysfs tree.
#include "daemon/os_devices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

class OsDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override { sys_ = testing::MakeTempDir("df-os-sysfs"); }
  void TearDown() override { fs::remove_all(sys_); }
  void Write(const std::string& relative, const std::string& content) {
    fs::create_directories(fs::path(sys_ + "/" + relative).parent_path());
    std::ofstream(sys_ + "/" + relative) << content;
  }
  std::string sys_;
};

TEST_F(OsDevicesTest, FindsDisksPartitionsAndMapperDevices) {
  Write("vda/size", "100\n");
  Write("vda/vda2/partition", "2\n");
  Write("dm-0/size", "100\n");
  EXPECT_EQ(SysfsDirOf(sys_, "vda"), sys_ + "/vda");
  EXPECT_EQ(SysfsDirOf(sys_, "vda2"), sys_ + "/vda/vda2");
  EXPECT_EQ(SysfsDirOf(sys_, "dm-0"), sys_ + "/dm-0");
  EXPECT_EQ(SysfsDirOf(sys_, "vdb1"), "");
  EXPECT_EQ(SysfsDirOf(sys_, ".."), "");
  EXPECT_EQ(SysfsDirOf(sys_, "vda/../x"), "");
}

TEST_F(OsDevicesTest, AddsTheMapperNameAndTheGptPartitionNames) {
  Write("dm-0/dm/name", "rhel-root\n");
  Write("dm-0/uevent", "MAJOR=253\nMINOR=0\nDEVNAME=dm-0\nDEVTYPE=disk\n");
  DeviceFacts lv;
  lv.path = "/dev/dm-0";
  AddSysfsFacts(sys_ + "/dm-0", &lv);
  EXPECT_THAT(lv.aliases, ElementsAre("/dev/mapper/rhel-root"));
  EXPECT_EQ(lv.partlabel, "");
  // fstab's /dev/rhel/root and /dev/mapper/rhel-root both find it.
  const std::vector<DeviceFacts> devices = {lv};
  EXPECT_TRUE(ResolveFstabSpec("/dev/rhel/root", devices).ok());
  EXPECT_TRUE(ResolveFstabSpec("/dev/mapper/rhel-root", devices).ok());

  Write("vda/vda1/uevent",
        "MAJOR=252\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\n"
        "PARTNAME=EFI System Partition\nPARTUUID=0a0b0c0d-0102-0304-0506-0708090a0b0c\n");
  DeviceFacts part;
  part.path = "/dev/sda1";
  AddSysfsFacts(sys_ + "/vda/vda1", &part);
  EXPECT_EQ(part.partlabel, "EFI System Partition");
  EXPECT_EQ(part.partuuid, "0a0b0c0d-0102-0304-0506-0708090a0b0c");
  EXPECT_TRUE(part.aliases.empty());

  DeviceFacts nothing;
  AddSysfsFacts(sys_ + "/missing", &nothing);
  EXPECT_EQ(nothing, DeviceFacts{});
}

TEST_F(OsDevicesTest, TheStorageListingGivesEachDeviceItsListedNameAndEveryAlias) {
  Write("dm-0/dm/name", "rhel-root\n");
  StorageListing listing;
  ListedDevice lv;
  lv.device = "/dev/rhel/root";
  lv.kernel_name = "dm-0";
  lv.probe.fstype = "xfs";
  lv.probe.uuid = "r00t";
  lv.aliases = {"/dev/mapper/rhel-root", "/dev/dm-0"};
  ListedDevice pv;
  pv.device = "/dev/sda2";
  pv.kernel_name = "vda2";
  pv.probe.fstype = "LVM2_member";
  ListedDevice blank;
  blank.device = "/dev/sdb";
  blank.kernel_name = "vdb";
  listing.filesystems = {lv, pv, blank};

  const std::vector<DeviceFacts> devices = FactsFromListing(listing, sys_);

  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].path, "/dev/rhel/root");
  EXPECT_EQ(devices[0].fstype, "xfs");
  EXPECT_EQ(devices[0].uuid, "r00t");
  EXPECT_THAT(devices[0].aliases, ElementsAre("/dev/mapper/rhel-root", "/dev/dm-0"));
  EXPECT_EQ(devices[1].path, "/dev/sda2");
  EXPECT_THAT(devices[1].aliases, ElementsAre("/dev/vda2"));
  for (const char* spec : {"/dev/mapper/rhel-root", "/dev/rhel/root", "/dev/dm-0", "UUID=r00t"}) {
    const OpResult<const DeviceFacts*> found = ResolveFstabSpec(spec, devices);
    ASSERT_TRUE(found.ok()) << spec;
    EXPECT_EQ(found.value()->path, "/dev/rhel/root") << spec;
  }
}

TEST_F(OsDevicesTest, NoSysfsDirectoryMeansNoDevices) {
  EXPECT_TRUE(CollectDeviceFacts("", "/dev").empty());
}

}  // namespace
}  // namespace diskferry::daemon
