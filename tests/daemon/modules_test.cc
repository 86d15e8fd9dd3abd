// Pure parsing in the daemon: the initramfs list files, /proc/filesystems, the kernel
// command line; and module loading failures that need no privileges.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "daemon/boot_options.h"
#include "daemon/daemon_context.h"
#include "daemon/modules.h"

namespace diskferry::daemon {
namespace {

using ::testing::ElementsAre;

TEST(ModuleListTest, BootListKeepsOrderAndSkipsBlanksAndComments) {
  std::vector<std::string> warnings;
  const std::vector<std::string> paths = ParseBootModules(
      "# virtio first\n"
      "/lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio.ko\n"
      "\n"
      "  /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio_pci.ko  \r\n"
      "/lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/char/virtio_console.ko",
      &warnings);
  const std::string dir = "/lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/";
  EXPECT_THAT(paths, ElementsAre(dir + "virtio/virtio.ko", dir + "virtio/virtio_pci.ko",
                                 dir + "char/virtio_console.ko"));
  EXPECT_TRUE(warnings.empty());
}

TEST(ModuleListTest, BootListWarnsAboutRelativePathWithLineNumber) {
  std::vector<std::string> warnings;
  const std::vector<std::string> paths = ParseBootModules("/a.ko\nkernel/b.ko\n/c.ko\n", &warnings);
  EXPECT_THAT(paths, ElementsAre("/a.ko", "/c.ko"));
  EXPECT_THAT(warnings, ElementsAre("modules.boot:2: not an absolute path: kernel/b.ko"));
}

TEST(ModuleListTest, FsListMapsTypesToModulesInOrder) {
  std::vector<std::string> warnings;
  const FsModuleTable table = ParseFsModules(
      "ext4\n"
      "xfs /lib/m/libcrc32c.ko /lib/m/xfs.ko\n"
      "# a comment\n"
      "btrfs\t/lib/m/xor.ko  /lib/m/raid6_pq.ko\t/lib/m/btrfs.ko\n",
      &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(table.size(), 3u);
  EXPECT_TRUE(table.at("ext4").empty());
  EXPECT_THAT(table.at("xfs"), ElementsAre("/lib/m/libcrc32c.ko", "/lib/m/xfs.ko"));
  EXPECT_THAT(table.at("btrfs"),
              ElementsAre("/lib/m/xor.ko", "/lib/m/raid6_pq.ko", "/lib/m/btrfs.ko"));
}

TEST(ModuleListTest, FsListKeepsFirstOfRepeatedTypeAndDropsRelativePaths) {
  std::vector<std::string> warnings;
  const FsModuleTable table =
      ParseFsModules("vfat /m/fat.ko rel/nls.ko /m/vfat.ko\nvfat /other.ko\n", &warnings);
  EXPECT_THAT(table.at("vfat"), ElementsAre("/m/fat.ko", "/m/vfat.ko"));
  EXPECT_THAT(warnings, ElementsAre("modules.fs:1: not an absolute path: rel/nls.ko",
                                    "modules.fs:2: repeated fstype vfat"));
}

TEST(ModuleListTest, EmptyListsParseToNothing) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(ParseBootModules("", &warnings).empty());
  EXPECT_TRUE(ParseFsModules("\n\n# only comments\n", &warnings).empty());
  EXPECT_TRUE(warnings.empty());
}

TEST(ModuleLoadTest, MissingModuleFileIsEnoentNamingThePath) {
  OpResult<bool> loaded = LoadModule("/nonexistent/xfs.ko");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().err, ENOENT);
  EXPECT_EQ(loaded.error().message, "/nonexistent/xfs.ko: No such file or directory");
}

TEST(ModuleLoadTest, LoaderTriesATypeOnceAndReportsEachFailure) {
  FsModuleLoader loader({{"xfs", {"/nonexistent/a.ko", "/nonexistent/xfs.ko"}}, {"ext4", {}}});
  EXPECT_EQ(loader.EnsureLoaded("xfs").size(), 2u);
  EXPECT_TRUE(loader.EnsureLoaded("xfs").empty()) << "a second mount does not retry";
  EXPECT_TRUE(loader.EnsureLoaded("ext4").empty());
  EXPECT_TRUE(loader.EnsureLoaded("zfs").empty()) << "unknown types are left to the kernel";
}

TEST(ModuleListTest, StorageListMapsGroupsToModulesInOrder) {
  std::vector<std::string> warnings;
  const StorageModuleTable table = ParseStorageModules(
      "dm /m/dm-mod.ko\n"
      "crypt /m/dm-mod.ko /m/dm-crypt.ko /m/xts.ko\n"
      "# built into this kernel:\n"
      "raid\n"
      "thin /m/dm-thin-pool.ko rel/x.ko\n"
      "dm /m/other.ko\n",
      &warnings);
  ASSERT_EQ(table.size(), 4u);
  EXPECT_THAT(table.at("dm"), ElementsAre("/m/dm-mod.ko"));
  EXPECT_THAT(table.at("crypt"), ElementsAre("/m/dm-mod.ko", "/m/dm-crypt.ko", "/m/xts.ko"));
  EXPECT_TRUE(table.at("raid").empty());
  EXPECT_THAT(table.at("thin"), ElementsAre("/m/dm-thin-pool.ko"));
  EXPECT_THAT(warnings, ElementsAre("modules.storage:5: not an absolute path: rel/x.ko",
                                    "modules.storage:6: repeated group dm"));
}

TEST(ModuleLoadTest, StorageLoaderLoadsAGroupOnceAndRepeatsItsFailures) {
  char dir[] = "/tmp/df-storage-modules-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string module = std::string(dir) + "/dm-crypt.ko";
  StorageModuleLoader loader({{"crypt", {module}}, {"dm", {}}});
  const std::string missing = module + ": No such file or directory";
  EXPECT_THAT(loader.EnsureLoaded("crypt"), ElementsAre(missing));
  // Were the group loaded again, finit_module would now reject this file differently
  // (ENOEXEC as root, EPERM otherwise).
  std::fclose(std::fopen(module.c_str(), "w"));
  EXPECT_THAT(loader.EnsureLoaded("crypt"), ElementsAre(missing));
  EXPECT_TRUE(loader.EnsureLoaded("dm").empty()) << "a built-in group needs nothing";
  std::remove(module.c_str());
  rmdir(dir);
}

TEST(ModuleLoadTest, StorageLoaderIgnoresModulesForHardwareTheGuestLacks) {
  std::vector<std::string> asked;
  StorageModuleLoader loader(
      StorageModuleTable{{"thin", {"/m/crc32c-intel.ko", "/m/dm-thin-pool.ko"}}},
      [&](const std::vector<std::string>& paths) {
        asked = paths;
        return std::vector<OpError>{{ENODEV, "/m/crc32c-intel.ko: No such device"},
                                    {EINVAL, "/m/dm-thin-pool.ko: Invalid argument"}};
      });
  EXPECT_THAT(loader.EnsureLoaded("thin"), ElementsAre("/m/dm-thin-pool.ko: Invalid argument"));
  EXPECT_THAT(asked, ElementsAre("/m/crc32c-intel.ko", "/m/dm-thin-pool.ko"));
}

TEST(ModuleLoadTest, StorageLoaderNamesAGroupTheApplianceLacks) {
  StorageModuleLoader loader(StorageModuleTable{{"dm", {}}});
  EXPECT_TRUE(loader.Has("dm"));
  EXPECT_FALSE(loader.Has("raid"));
  EXPECT_THAT(loader.EnsureLoaded("raid"),
              ElementsAre("storage group raid is not in this appliance (its kernel lacks a "
                          "module it needs)"));
}

TEST(FilesystemListTest, MergesDeviceFilesystemsWithModuleTypesSortedUnique) {
  const std::string proc =
      "nodev\tsysfs\nnodev\tproc\n\text3\n\text2\n\text4\nnodev\ttmpfs\n\tvfat\n";
  const FsModuleTable modules = {{"xfs", {"/m/xfs.ko"}}, {"ext4", {}}, {"btrfs", {"/m/b.ko"}}};
  EXPECT_THAT(MergeFilesystems(proc, modules),
              ElementsAre("btrfs", "ext2", "ext3", "ext4", "vfat", "xfs"));
}

TEST(BootOptionsTest, DefaultsWithoutDiskferryWords) {
  const BootOptions options = ParseKernelCmdline("console=ttyS0 quiet panic=-1\n");
  EXPECT_EQ(options.port_name, "org.diskferry.ctl.0");
  EXPECT_FALSE(options.debug);
}

TEST(BootOptionsTest, ReadsPortAndDebug) {
  BootOptions options =
      ParseKernelCmdline("console=ttyS0 diskferry.port=org.example.port.3 diskferry.debug=1\n");
  EXPECT_EQ(options.port_name, "org.example.port.3");
  EXPECT_TRUE(options.debug);
  EXPECT_TRUE(ParseKernelCmdline("diskferry.debug").debug);
  EXPECT_TRUE(ParseKernelCmdline("diskferry.debug=yes").debug);
  EXPECT_FALSE(ParseKernelCmdline("diskferry.debug=0").debug);
  EXPECT_FALSE(ParseKernelCmdline("diskferry.debugger=1").debug);
  EXPECT_EQ(ParseKernelCmdline("diskferry.port=").port_name, "org.diskferry.ctl.0");
}

}  // namespace
}  // namespace diskferry::daemon
