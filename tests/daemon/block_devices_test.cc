// Block device naming, enumeration over a fake /sys (block devices, virtio ports), blkid
// probing of real filesystem images made by mkfs, and the mount options per fstype.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemon/block_devices.h"
#include "daemon/control_port.h"
#include "daemon/mounter.h"
#include "tests/daemon/fake_sysfs.h"

namespace diskferry::daemon {
namespace {

using ::testing::ElementsAre;

TEST(DeviceNameTest, GuestVirtioNamesBecomeLibguestfsNames) {
  EXPECT_EQ(ToLibguestfsName("/dev/vda"), "/dev/sda");
  EXPECT_EQ(ToLibguestfsName("/dev/vdb1"), "/dev/sdb1");
  EXPECT_EQ(ToLibguestfsName("/dev/vdaa12"), "/dev/sdaa12");
  EXPECT_EQ(ToLibguestfsName("/dev/loop0"), "/dev/loop0");
}

TEST(DeviceNameTest, RequestsMayUseEitherNaming) {
  EXPECT_EQ(ToGuestDeviceName("/dev/sda1"), "vda1");
  EXPECT_EQ(ToGuestDeviceName("/dev/vdb"), "vdb");
  EXPECT_EQ(ToGuestDeviceName("/dev/loop3"), "loop3");
}

TEST(DeviceNameTest, RejectsNamesOutsideDev) {
  for (const char* bad : {"", "sda1", "/dev/", "/dev/../etc/passwd", "/dev/sda/1", "/dev/SDA",
                          "/dev/1sda", "/dev/sda 1", "/tmp/sda"}) {
    EXPECT_EQ(ToGuestDeviceName(bad), std::nullopt) << bad;
  }
}

void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

class FakeSysfsTest : public testing::FakeSysfsFixture {
 protected:
  // A disk (or, with `parent`, a partition) of `sectors` 512-byte sectors.
  void AddDevice(const std::string& name, uint64_t sectors, const std::string& parent = "") {
    const std::string dir = parent.empty() ? sys_block_ + "/" + name
                                           : sys_block_ + "/" + parent + "/" + name;
    WriteText(dir + "/size", std::to_string(sectors) + "\n");
    if (!parent.empty()) WriteText(dir + "/partition", "1\n");
  }
};

TEST_F(FakeSysfsTest, ListsDisksThenTheirPartitionsSkippingEmptyAndRamDevices) {
  AddDevice("vda", 2048);
  AddDevice("vda1", 1024, "vda");
  AddDevice("vda2", 1000, "vda");
  WriteText(sys_block_ + "/vda/queue/size", "7\n");  // not a partition: no "partition"
  AddDevice("vdb", 4096);
  AddDevice("loop0", 0);
  AddDevice("ram0", 8192);
  const std::vector<BlockDevice> devices = ListBlockDevices(sys_block_);
  std::vector<std::string> names;
  for (const BlockDevice& d : devices) names.push_back(d.name);
  EXPECT_THAT(names, ElementsAre("vda", "vda1", "vda2", "vdb"));
  EXPECT_EQ(devices[0].size, 2048u * 512);
  EXPECT_EQ(devices[2].size, 1000u * 512);
}

TEST_F(FakeSysfsTest, TheStorageDiskIsNeverListed) {
  AddDevice("vda", 2048);
  AddDevice("vdb", 4096);
  WriteText(sys_block_ + "/vdb/serial", "diskferry-tools\n");
  AddDevice("vdc", 4096);
  WriteText(sys_block_ + "/vdc/serial", "diskferry-tool\n");  // a user's disk may say anything else
  std::vector<std::string> names;
  for (const BlockDevice& d : ListBlockDevices(sys_block_)) names.push_back(d.name);
  EXPECT_THAT(names, ElementsAre("vda", "vdc"));
}

TEST_F(FakeSysfsTest, NoSysBlockDirListsNoFilesystems) {
  EXPECT_TRUE(ListFilesystems("", dev_).empty());
  EXPECT_TRUE(ListFilesystems(root_ + "/missing", dev_).empty());
}

TEST_F(FakeSysfsTest, FindsVirtioPortByName) {
  const std::string ports = root_ + "/sys/class/virtio-ports";
  WriteText(ports + "/vport0p1/name", "org.qemu.guest_agent.0\n");
  WriteText(ports + "/vport1p1/name", "org.diskferry.ctl.0\n");
  EXPECT_EQ(FindVirtioPort(ports, "org.diskferry.ctl.0"), "vport1p1");
  EXPECT_EQ(FindVirtioPort(ports, "org.diskferry.ctl.1"), std::nullopt);
}

bool HaveProgram(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

void MakeZeroFile(const std::string& path, off_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, size), 0);
  ::close(fd);
}

TEST_F(FakeSysfsTest, ReportsOnlyDevicesWithAFilesystemUnderLibguestfsNames) {
  if (!HaveProgram("mkfs.ext4") || !HaveProgram("mkswap")) GTEST_SKIP() << "no mkfs.ext4/mkswap";
  constexpr off_t kSize = 8 << 20;
  AddDevice("vda", kSize / 512);
  AddDevice("vdb", kSize / 512);
  AddDevice("vdc", kSize / 512);
  MakeZeroFile(dev_ + "/vda", kSize);
  MakeZeroFile(dev_ + "/vdb", kSize);
  MakeZeroFile(dev_ + "/vdc", kSize);
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F -L rootfs -U 0a1b2c3d-0000-4000-8000-00000000abcd " +
                         dev_ + "/vda >/dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system(("mkswap " + dev_ + "/vdc >/dev/null 2>&1").c_str()), 0);

  const std::vector<FilesystemData> found = ListFilesystems(sys_block_, dev_);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].device, "/dev/sda");
  EXPECT_EQ(found[0].probe.fstype, "ext4");
  EXPECT_EQ(found[0].probe.label, "rootfs");
  EXPECT_EQ(found[0].probe.uuid, "0a1b2c3d-0000-4000-8000-00000000abcd");
  EXPECT_EQ(found[0].size, static_cast<uint64_t>(kSize));
  EXPECT_EQ(found[1].device, "/dev/sdc");
  EXPECT_EQ(found[1].probe.fstype, "swap");
}

TEST(ProbeFilesystemTest, MissingDeviceIsAnErrorNamingIt) {
  OpResult<FsProbe> probe = ProbeFilesystem("/nonexistent/vdz");
  ASSERT_FALSE(probe.ok());
  EXPECT_NE(probe.error().message.find("/nonexistent/vdz"), std::string::npos);
}

TEST(MountOptionsTest, ReadOnlyMountsNeverReplayJournals) {
  const MountOptions ext4 = ChooseMountOptions("ext4", false);
  EXPECT_TRUE(ext4.flags & MS_RDONLY);
  EXPECT_EQ(ext4.data, "noload");
  EXPECT_EQ(ext4.description, "ro,nosuid,nodev,noexec,noload");
  EXPECT_EQ(ChooseMountOptions("ext3", false).data, "noload");
  EXPECT_EQ(ChooseMountOptions("xfs", false).data, "norecovery");
  EXPECT_EQ(ChooseMountOptions("btrfs", false).data, "rescue=nologreplay");
  EXPECT_EQ(ChooseMountOptions("ext2", false).data, "");
  EXPECT_EQ(ChooseMountOptions("vfat", false).description, "ro,nosuid,nodev,noexec");
}

TEST(MountOptionsTest, ReadWriteMountsPassNoData) {
  const MountOptions xfs = ChooseMountOptions("xfs", true);
  EXPECT_FALSE(xfs.flags & MS_RDONLY);
  EXPECT_TRUE(xfs.flags & MS_NOSUID);
  EXPECT_EQ(xfs.data, "");
  EXPECT_EQ(xfs.description, "rw,nosuid,nodev,noexec");
}

TEST(MounterTest, OutsideTheVmEveryMountIsRefused) {
  FsModuleLoader loader({});
  Mounter mounter("/tmp", "/dev", /*allowed=*/false, &loader);
  OpResult<MountData> mounted = mounter.Mount("/dev/sda1", false, "ext4");
  ASSERT_FALSE(mounted.ok());
  EXPECT_EQ(mounted.error().err, ENOTSUP);
}

}  // namespace
}  // namespace diskferry::daemon
