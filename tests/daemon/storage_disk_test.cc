// The storage disk on the guest side (daemon/storage_disk.h): found by serial, unpacked
// with busybox cpio. The archive is made by busybox itself, not by our writer.
#include "daemon/storage_disk.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/tool_runner.h"
#include "tests/daemon/fake_sysfs.h"

namespace diskferry::daemon {
namespace {

namespace fs = std::filesystem;

constexpr char kBusybox[] = "/bin/busybox";

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class StorageDiskTest : public testing::FakeSysfsFixture {
 protected:
  void SetUp() override {
    FakeSysfsFixture::SetUp();
    if (!fs::exists(kBusybox)) GTEST_SKIP() << "no " << kBusybox << " (busybox-static)";
    paths_ = {sys_block_, dev_, kBusybox, root_ + "/root"};
    fs::create_directories(paths_.root + "/etc");  // exists already, as in the appliance
  }
  // dev/NAME holds a newc archive of usr/sbin/lvm and etc/lvm/lvm.conf, then zeros.
  void AddArchiveDisk(const std::string& name, const std::string& serial) {
    const std::string tree = root_ + "/tree";
    WriteText(tree + "/usr/sbin/lvm", "#!/bin/sh\necho lvm\n");
    fs::permissions(tree + "/usr/sbin/lvm", fs::perms(0755));
    WriteText(tree + "/etc/lvm/lvm.conf", "global {}\n");
    OpResult<ToolOutcome> made = RunTool(
        {kBusybox, "sh", "-c",
         "cd \"$0\" && find usr etc | cpio -o -H newc > \"$1\" && "
         "head -c 512 /dev/zero >> \"$1\"",
         tree, dev_ + "/" + name},
        "", std::chrono::seconds(30));
    ASSERT_TRUE(made.ok()) << made.error().message;
    ASSERT_EQ(made->exit_code, 0) << made->err;
    WriteText(sys_block_ + "/" + name + "/size", "8\n");
    WriteText(sys_block_ + "/" + name + "/serial", serial + "\n");
  }

  StorageDiskPaths paths_;
};

TEST_F(StorageDiskTest, FindsTheDiskBySerialOnly) {
  WriteText(sys_block_ + "/vda/serial", "data\n");
  WriteText(sys_block_ + "/sdb/serial", "diskferry-tools\n");  // not virtio-blk
  EXPECT_EQ(FindStorageDisk(sys_block_), std::nullopt);
  WriteText(sys_block_ + "/vdc/serial", "diskferry-tools\n");
  EXPECT_EQ(FindStorageDisk(sys_block_), "vdc");
  EXPECT_TRUE(IsStorageDisk(sys_block_, "vdc"));
  EXPECT_FALSE(IsStorageDisk(sys_block_, "vda"));
}

TEST_F(StorageDiskTest, UnpacksTheArchiveOverTheRoot) {
  AddArchiveDisk("vdb", "diskferry-tools");
  OpResult<bool> unpacked = UnpackStorageDisk(paths_);
  ASSERT_TRUE(unpacked.ok()) << unpacked.error().message;
  EXPECT_TRUE(*unpacked);
  EXPECT_EQ(ReadText(paths_.root + "/usr/sbin/lvm"), "#!/bin/sh\necho lvm\n");
  EXPECT_EQ(fs::status(paths_.root + "/usr/sbin/lvm").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
  EXPECT_EQ(ReadText(paths_.root + "/etc/lvm/lvm.conf"), "global {}\n");
  // Again (an earlier unpack cut short): files are replaced, not refused.
  OpResult<bool> again = UnpackStorageDisk(paths_);
  ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST_F(StorageDiskTest, NoDiskIsNothingToUnpack) {
  OpResult<bool> unpacked = UnpackStorageDisk(paths_);
  ASSERT_TRUE(unpacked.ok()) << unpacked.error().message;
  EXPECT_FALSE(*unpacked);
}

TEST_F(StorageDiskTest, ADiskThatIsNoArchiveIsAnErrorNamingIt) {
  WriteText(dev_ + "/vdb", std::string(1024, 'x'));
  WriteText(sys_block_ + "/vdb/serial", "diskferry-tools\n");
  OpResult<bool> unpacked = UnpackStorageDisk(paths_);
  ASSERT_FALSE(unpacked.ok());
  EXPECT_NE(unpacked.error().message.find("unpacking the storage tools from " + dev_ + "/vdb: "),
            std::string::npos)
      << unpacked.error().message;
}

}  // namespace
}  // namespace diskferry::daemon
