#include "appliance/module_plan.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/appliance/builder_test_support.h"

namespace diskferry {
namespace {

using testing::kFakeModulesAlias;
using testing::kFakeModulesBuiltin;
using testing::kFakeModulesDep;
using testing::kFakeModulesSoftdep;

constexpr std::string_view kRelease = "6.1.0-1-cloud-amd64";

ModuleIndex FakeIndex(const char* builtin = kFakeModulesBuiltin) {
  Result<ModuleIndex> index =
      ModuleIndex::Parse({kFakeModulesDep, builtin, kFakeModulesSoftdep, kFakeModulesAlias});
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(index).value() : ModuleIndex();
}

const FilesystemModules* Find(const ModulePlan& plan, std::string_view fstype) {
  for (const FilesystemModules& fs : plan.filesystems) {
    if (fs.fstype == fstype) return &fs;
  }
  return nullptr;
}

TEST(ModulePlanTest, OffersFilesystemsWhoseModulesArePresentOrBuiltIn) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  EXPECT_EQ(plan.FilesystemNames(),
            (std::vector<std::string>{"ext2", "ext3", "ext4", "iso9660", "vfat", "xfs"}));
  EXPECT_EQ(plan.not_offered,
            (std::vector<std::string>{"btrfs", "exfat", "f2fs", "ntfs", "squashfs", "udf"}));
  ASSERT_NE(Find(plan, "ext4"), nullptr);
  EXPECT_TRUE(Find(plan, "ext4")->paths.empty());
  EXPECT_EQ(Find(plan, "xfs")->paths,
            (std::vector<std::string>{"kernel/arch/x86/crypto/crc32c-intel.ko",
                                      "kernel/lib/libcrc32c.ko", "kernel/fs/xfs/xfs.ko"}));
}

TEST(ModulePlanTest, WithholdingATypeStopsOfferingItAndKeepsBothListsSorted) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  plan.Withhold("iso9660");
  plan.Withhold("jfs");  // not offered: nothing changes
  EXPECT_EQ(plan.FilesystemNames(),
            (std::vector<std::string>{"ext2", "ext3", "ext4", "vfat", "xfs"}));
  EXPECT_EQ(plan.not_offered, (std::vector<std::string>{"btrfs", "exfat", "f2fs", "iso9660",
                                                        "ntfs", "squashfs", "udf"}));
}

TEST(ModulePlanTest, VfatShipsTheCodepageAndCharsetTablesItMountsWith) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  ASSERT_NE(Find(plan, "vfat"), nullptr);
  EXPECT_EQ(Find(plan, "vfat")->paths,
            (std::vector<std::string>{
                "kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko", "kernel/fs/nls/nls_cp437.ko",
                "kernel/fs/nls/nls_iso8859-1.ko", "kernel/fs/nls/nls_utf8.ko"}));
}

TEST(ModulePlanTest, F2fsShipsTheCrc32ItsMountAsksTheCryptoApiFor) {
  Result<ModuleIndex> index = ModuleIndex::Parse(
      {"kernel/fs/f2fs/f2fs.ko:\nkernel/crypto/crc32_generic.ko:\n", "kernel/lib/crc32.ko\n",
       "softdep f2fs pre: crc32\n", "alias crypto-crc32 crc32_generic\n"});
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ModulePlan plan = PlanModules(*index, {});
  ASSERT_NE(Find(plan, "f2fs"), nullptr);
  EXPECT_EQ(Find(plan, "f2fs")->paths,
            (std::vector<std::string>{"kernel/fs/f2fs/f2fs.ko", "kernel/crypto/crc32_generic.ko"}));
}

const StorageModules* FindGroup(const ModulePlan& plan, std::string_view group) {
  for (const StorageModules& g : plan.storage) {
    if (g.group == group) return &g;
  }
  return nullptr;
}

TEST(ModulePlanTest, OffersStorageGroupsWhoseModulesArePresentOrBuiltIn) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  std::vector<std::string> offered;
  for (const StorageModules& g : plan.storage) offered.push_back(g.group);
  EXPECT_EQ(offered, (std::vector<std::string>{"dm", "crypt", "thin"}));
  EXPECT_EQ(plan.storage_not_offered, (std::vector<std::string>{"snapshot", "mirror", "raid"}));
  EXPECT_EQ(FindGroup(plan, "dm")->paths,
            (std::vector<std::string>{"kernel/drivers/md/dm-mod.ko"}));
  EXPECT_EQ(FindGroup(plan, "thin")->paths,
            (std::vector<std::string>{
                "kernel/arch/x86/crypto/crc32c-intel.ko", "kernel/lib/libcrc32c.ko",
                "kernel/drivers/md/dm-mod.ko", "kernel/drivers/md/dm-bufio.ko",
                "kernel/drivers/md/dm-bio-prison.ko",
                "kernel/drivers/md/persistent-data/dm-persistent-data.ko",
                "kernel/drivers/md/dm-thin-pool.ko"}));
}

TEST(ModulePlanTest, CryptGroupShipsTheCipherModesAndAfAlgButNotWhatIsBuiltIn) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  ASSERT_NE(FindGroup(plan, "crypt"), nullptr);
  const std::vector<std::string>& paths = FindGroup(plan, "crypt")->paths;
  for (const char* path :
       {"kernel/drivers/md/dm-mod.ko", "kernel/drivers/md/dm-crypt.ko", "kernel/crypto/ecb.ko",
        "kernel/crypto/xts.ko", "kernel/crypto/authenc.ko", "kernel/crypto/essiv.ko",
        "kernel/crypto/af_alg.ko", "kernel/crypto/algif_skcipher.ko"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), path), paths.end()) << path;
  }
  EXPECT_EQ(paths.size(), 8u);  // aes, cbc and sha256 are built in; sha512 is absent
  auto at = [&](const char* p) { return std::find(paths.begin(), paths.end(), p) - paths.begin(); };
  EXPECT_LT(at("kernel/drivers/md/dm-mod.ko"), at("kernel/drivers/md/dm-crypt.ko"));
  EXPECT_LT(at("kernel/crypto/authenc.ko"), at("kernel/crypto/essiv.ko"));
}

TEST(ModulePlanTest, StorageModulesAreNotLoadedAtBootButShipped) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  EXPECT_EQ(std::find(plan.boot.begin(), plan.boot.end(), "kernel/drivers/md/dm-mod.ko"),
            plan.boot.end());
  EXPECT_TRUE(plan.AllPaths().contains("kernel/drivers/md/dm-thin-pool.ko"));
}

TEST(ModulePlanTest, RendersStorageGroupsWithBuiltinGroupsAlone) {
  ModulePlan plan;
  plan.storage = {{"dm", {}}, {"crypt", {"kernel/drivers/md/dm-crypt.ko.xz"}}};
  EXPECT_EQ(RenderModulesStorage(plan, kRelease),
            "dm\ncrypt /lib/modules/6.1.0-1-cloud-amd64/kernel/drivers/md/dm-crypt.ko\n");
}

TEST(ModulePlanTest, BootSetHoldsVirtioDriversAndFwCfgInLoadOrder) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  EXPECT_TRUE(plan.boot_missing.empty());
  ASSERT_EQ(plan.boot.size(), 9u);
  EXPECT_EQ(plan.boot.front(), "kernel/drivers/virtio/virtio_ring.ko");
  EXPECT_EQ(plan.boot[7], "kernel/drivers/char/virtio_console.ko");
  EXPECT_EQ(plan.boot.back(), "kernel/drivers/firmware/qemu_fw_cfg.ko");
  EXPECT_FALSE(plan.AllPaths().contains("kernel/net/unused/unused.ko"));
}

TEST(ModulePlanTest, FilesystemCountsAsBuiltInWhenModulesBuiltinListsItsModule) {
  ModuleIndex index = FakeIndex();
  EXPECT_TRUE(FilesystemIsBuiltin("ext4", index, {}));
  EXPECT_TRUE(FilesystemIsBuiltin("ext2", index, {}));
  EXPECT_FALSE(FilesystemIsBuiltin("xfs", index, {}));
  EXPECT_FALSE(FilesystemIsBuiltin("no-such-fs", index, {}));
  ModuleIndex with_xfs = FakeIndex("kernel/fs/ext4/ext4.ko\nkernel/fs/xfs/xfs.ko\n");
  EXPECT_TRUE(FilesystemIsBuiltin("xfs", with_xfs, {}));
}

TEST(ModulePlanTest, KernelConfigCanMarkAModuleBuiltIn) {
  KernelConfig config = ParseKernelConfig(
      "# CONFIG_F2FS_FS is not set\nCONFIG_XFS_FS=y\nCONFIG_BTRFS_FS=m\nCONFIG_NLS=y\n");
  EXPECT_EQ(config.builtin, (std::set<std::string>{"CONFIG_NLS", "CONFIG_XFS_FS"}));
  EXPECT_EQ(config.Value("CONFIG_BTRFS_FS", "n"), "m");
  EXPECT_EQ(config.Value("CONFIG_F2FS_FS", "n"), "n");
  ModulePlan plan = PlanModules(FakeIndex(), config);
  ASSERT_NE(Find(plan, "xfs"), nullptr);
  EXPECT_TRUE(Find(plan, "xfs")->paths.empty());
  EXPECT_TRUE(FilesystemIsBuiltin("xfs", FakeIndex(), config));
}

TEST(ModulePlanTest, VfatRequiresTheConfiguredDefaultIocharsetTable) {
  // Debian builds FAT with iocharset "ascii": without nls_ascii every vfat mount fails
  // with "FAT-fs (vdd): IO charset ascii not found" (seen on 6.1.0-56-cloud-amd64).
  KernelConfig debian = ParseKernelConfig(testing::kFakeConfig);
  EXPECT_EQ(RequiredModules("vfat", debian),
            (std::vector<std::string>{"vfat", "nls_cp437", "nls_ascii"}));
  EXPECT_EQ(RequiredModules("vfat", {}),
            (std::vector<std::string>{"vfat", "nls_cp437", "nls_iso8859_1"}));
  EXPECT_EQ(RequiredModules("exfat", {}), (std::vector<std::string>{"exfat", "nls_utf8"}));
  ModulePlan plan = PlanModules(FakeIndex(), debian);
  ASSERT_NE(Find(plan, "vfat"), nullptr);
  EXPECT_EQ(
      Find(plan, "vfat")->paths,
      (std::vector<std::string>{"kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko",
                                "kernel/fs/nls/nls_cp437.ko", "kernel/fs/nls/nls_ascii.ko",
                                "kernel/fs/nls/nls_iso8859-1.ko", "kernel/fs/nls/nls_utf8.ko"}));
  KernelConfig koi8 = ParseKernelConfig("CONFIG_FAT_DEFAULT_IOCHARSET=\"koi8-r\"\n");
  EXPECT_EQ(Find(PlanModules(FakeIndex(), koi8), "vfat"), nullptr);  // no nls_koi8_r here
}

TEST(ModulePlanTest, BuiltinNlsTablesAreRecognisedFromTheConfig) {
  KernelConfig config =
      ParseKernelConfig("CONFIG_VFAT_FS=y\nCONFIG_NLS_CODEPAGE_437=y\nCONFIG_NLS_ISO8859_1=y\n");
  EXPECT_TRUE(FilesystemIsBuiltin("vfat", FakeIndex(), config));
}

TEST(ModulePlanTest, MissingBootModulesAreReported) {
  Result<ModuleIndex> index =
      ModuleIndex::Parse({"kernel/drivers/virtio/virtio_blk.ko:\n", "", "", ""});
  ASSERT_TRUE(index.ok());
  ModulePlan plan = PlanModules(*index, {});
  EXPECT_EQ(plan.boot_missing,
            (std::vector<std::string>{"virtio_pci", "virtio_scsi", "virtio_console", "qemu_fw_cfg"}));
}

TEST(ModulePlanTest, RendersAbsoluteGuestPathsWithBuiltinFilesystemsAlone) {
  ModulePlan plan = PlanModules(FakeIndex(), {});
  std::string fs = RenderModulesFs(plan, kRelease);
  EXPECT_NE(fs.find("ext4\n"), std::string::npos);
  std::string prefix = "/lib/modules/" + std::string(kRelease) + "/kernel/";
  EXPECT_NE(fs.find("xfs " + prefix + "arch/x86/crypto/crc32c-intel.ko " + prefix +
                    "lib/libcrc32c.ko " + prefix + "fs/xfs/xfs.ko\n"),
            std::string::npos);
  std::string boot = RenderModulesBoot(plan, kRelease);
  EXPECT_TRUE(boot.starts_with(prefix + "drivers/virtio/virtio_ring.ko\n"));
  EXPECT_EQ(std::count(boot.begin(), boot.end(), '\n'), 9);
  EXPECT_TRUE(boot.ends_with(prefix + "drivers/firmware/qemu_fw_cfg.ko\n"));
  EXPECT_EQ(GuestModulePath(kRelease, "kernel/fs/xfs/xfs.ko.zst"), prefix + "fs/xfs/xfs.ko");
}

}  // namespace
}  // namespace diskferry
