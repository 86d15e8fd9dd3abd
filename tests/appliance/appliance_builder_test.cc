#include "appliance/appliance_builder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/appliance/builder_test_support.h"
#include "tests/appliance/elf_test_image.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;
using testing::CpioMember;
using testing::ReadCpio;
using testing::ReadWholeFile;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kRelease = "6.1.0-1-cloud-amd64";

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

class ApplianceBuilderTest : public ::testing::Test {
 protected:
  ApplianceBuilderTest() {
    testing::MakeFakeKernelTree(dir_.path(), kRelease);
    WriteFile(dir_ / "daemon", "fake static daemon");
    WriteFile(dir_ / "busybox", "fake static busybox");
    config_.daemon = dir_ / "daemon";
    config_.busybox = dir_ / "busybox";
    config_.cache_dir = dir_ / "cache";
    config_.roots = {dir_ / "boot", dir_ / "modules"};
    config_.tools.root = dir_ / "host";  // no storage tools, unless a test adds some
  }

  TempDir dir_;
  ApplianceBuildConfig config_;
};

TEST_F(ApplianceBuilderTest, BuildsAnImageFromTheFakeKernel) {
  Result<ApplianceImage> image = BuildAppliance(config_);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_FALSE(image->reused);
  EXPECT_EQ(image->kernel_release, kRelease);
  EXPECT_EQ(image->filesystems,
            (std::vector<std::string>{"ext2", "ext3", "ext4", "iso9660", "vfat", "xfs"}));
  EXPECT_EQ(image->kernel, config_.cache_dir + "/appliance-" + image->cache_key + "/kernel");
  EXPECT_EQ(ReadWholeFile(image->kernel), ReadWholeFile(dir_ / "boot/vmlinuz-" + kRelease));
}

TEST_F(ApplianceBuilderTest, InitrdHoldsDaemonBusyboxModulesAndTheirIndexes) {
  Result<ApplianceImage> image = BuildAppliance(config_);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  std::map<std::string, CpioMember> m = ReadCpio(image->initrd);
  EXPECT_EQ(m["init"].content, "fake static daemon");
  EXPECT_EQ(m["init"].mode, 0755u);
  EXPECT_EQ(m["bin/busybox"].mode, 0755u);
  EXPECT_EQ(m["sbin/modprobe"].symlink, "/bin/busybox");
  EXPECT_EQ(m["bin/sh"].symlink, "/bin/busybox");
  for (const char* dir : {"dev", "proc", "sys", "sysroot", "tmp", "etc/diskferry"}) {
    EXPECT_EQ(m[dir].type, unsigned{AE_IFDIR}) << dir;
  }
  std::string mods = std::string("lib/modules/") + kRelease + "/";
  EXPECT_EQ(m[mods + "kernel/fs/xfs/xfs.ko"].content,
            "\x7f"
            "ELF fake module kernel/fs/xfs/xfs.ko");
  EXPECT_EQ(m.count(mods + "kernel/net/unused/unused.ko"), 0u);
  EXPECT_NE(m[mods + "modules.dep"].content.find("kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"),
            std::string::npos);
  EXPECT_EQ(m[mods + "modules.dep"].content.find("unused"), std::string::npos);
  EXPECT_EQ(m[mods + "modules.alias"].content, "alias crc32c crc32c_intel\nalias fs-xfs xfs\n");
  EXPECT_EQ(m[mods + "modules.softdep"].content, "softdep libcrc32c pre: crc32c\n");
  std::string abs = "/" + mods;
  EXPECT_NE(m["etc/diskferry/modules.fs"].content.find(
                "xfs " + abs + "kernel/arch/x86/crypto/crc32c-intel.ko " + abs +
                "kernel/lib/libcrc32c.ko " + abs + "kernel/fs/xfs/xfs.ko\n"),
            std::string::npos);
  EXPECT_TRUE(m["etc/diskferry/modules.boot"].content.starts_with(
      abs + "kernel/drivers/virtio/virtio_ring.ko\n"));
}

TEST_F(ApplianceBuilderTest, InitrdListsStorageModulesWithoutLoadingThemAtBoot) {
  Result<ApplianceImage> image = BuildAppliance(config_);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  std::map<std::string, CpioMember> m = ReadCpio(image->initrd);
  std::string abs = std::string("/lib/modules/") + kRelease + "/";
  const std::string& storage = m["etc/diskferry/modules.storage"].content;
  EXPECT_TRUE(storage.starts_with("dm " + abs + "kernel/drivers/md/dm-mod.ko\ncrypt ")) << storage;
  EXPECT_NE(storage.find(" " + abs + "kernel/drivers/md/dm-thin-pool.ko\n"), std::string::npos);
  EXPECT_EQ(m["etc/diskferry/modules.boot"].content.find("dm-mod"), std::string::npos);
  EXPECT_EQ(m.count(abs.substr(1) + "kernel/drivers/md/dm-thin-pool.ko"), 1u);
}

TEST_F(ApplianceBuilderTest, AHostWithoutStorageToolsBuildsAnImageThatSaysSo) {
  Result<ApplianceImage> image = BuildAppliance(config_);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_TRUE(image->storage_tools.empty());
  EXPECT_EQ(image->storage, "");
  EXPECT_FALSE(fs::exists(fs::path(image->initrd).parent_path() / "storage.cpio"));
  std::map<std::string, CpioMember> m = ReadCpio(image->initrd);
  EXPECT_EQ(m.count("usr/sbin/lvm"), 0u);
  EXPECT_EQ(m.count("etc/lvm/lvm.conf"), 0u);
  const std::string manifest = ReadWholeFile(fs::path(image->initrd).parent_path() / "manifest");
  EXPECT_NE(manifest.find("\nstorage_tools\n"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\nstorage_size 0\n"), std::string::npos) << manifest;
}

TEST_F(ApplianceBuilderTest, PacksStorageToolsWithLibrariesAndConfigurationAndKeysOnThem) {
  const std::string host = config_.tools.root;
  WriteFile(host + "/lib64/ld-linux-x86-64.so.2", testing::MakeElf("", {}));
  WriteFile(host + "/lib/x86_64-linux-gnu/libc.so.6", testing::MakeElf("", {}));
  for (const char* tool : {"/usr/sbin/lvm", "/usr/sbin/mdadm"}) {
    WriteFile(host + tool, testing::MakeElf("/lib64/ld-linux-x86-64.so.2", {"libc.so.6"}));
  }
  Result<ApplianceImage> image = BuildAppliance(config_);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->storage_tools, (std::vector<std::string>{"lvm", "mdadm"}));
  // The tools stay out of the boot image: they travel on the storage disk, whole sectors.
  std::map<std::string, CpioMember> boot = ReadCpio(image->initrd);
  EXPECT_EQ(boot.count("usr/sbin/lvm"), 0u);
  EXPECT_EQ(boot.count("lib/x86_64-linux-gnu/libc.so.6"), 0u);
  EXPECT_EQ(boot.count("etc/diskferry/modules.storage"), 1u);
  ASSERT_EQ(image->storage, (fs::path(image->initrd).parent_path() / "storage.cpio").string());
  EXPECT_EQ(fs::file_size(image->storage) % 512, 0u);
  std::map<std::string, CpioMember> m = ReadCpio(image->storage);
  EXPECT_EQ(m["usr/sbin/lvm"].mode, 0755u);
  EXPECT_EQ(m["usr/sbin/lvm"].content, ReadWholeFile(host + "/usr/sbin/lvm"));
  EXPECT_EQ(m.count("lib64/ld-linux-x86-64.so.2"), 1u);
  EXPECT_EQ(m.count("lib/x86_64-linux-gnu/libc.so.6"), 1u);
  EXPECT_NE(m["etc/lvm/lvm.conf"].content.find("udev_rules = 0"), std::string::npos);
  EXPECT_NE(m["etc/mdadm/mdadm.conf"].content.find("HOMEHOST <ignore>"), std::string::npos);
  for (const char* dir : {"run/lock", "run/cryptsetup", "run/mdadm"}) {
    EXPECT_EQ(m[dir].type, unsigned{AE_IFDIR}) << dir;
  }
  // A changed library is a changed appliance.
  timespec times[2] = {{12345, 0}, {12345, 0}};
  std::string libc = host + "/lib/x86_64-linux-gnu/libc.so.6";
  ASSERT_EQ(utimensat(AT_FDCWD, libc.c_str(), times, 0), 0);
  Result<ApplianceImage> again = BuildAppliance(config_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(again->cache_key, image->cache_key);
}

// How long a reuse takes is benchmarks/'s business (a timed bound fails on a loaded
// machine); that it reuses, without building again, is checked here.
TEST_F(ApplianceBuilderTest, SecondBuildReusesTheEntry) {
  Result<ApplianceImage> first = BuildAppliance(config_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const auto initrd_mtime = fs::last_write_time(first->initrd);
  Result<ApplianceImage> second = BuildAppliance(config_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->reused);
  EXPECT_EQ(second->cache_key, first->cache_key);
  EXPECT_EQ(second->initrd, first->initrd);
  EXPECT_EQ(fs::last_write_time(second->initrd), initrd_mtime) << "the initrd was written again";
  EXPECT_EQ(second->filesystems, first->filesystems);
}

TEST_F(ApplianceBuilderTest, ChangingAnInputsMtimeBuildsANewEntry) {
  Result<ApplianceImage> first = BuildAppliance(config_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  timespec times[2] = {{12345, 0}, {12345, 0}};
  std::string module = dir_ / (std::string("modules/") + kRelease + "/kernel/fs/xfs/xfs.ko");
  ASSERT_EQ(utimensat(AT_FDCWD, module.c_str(), times, 0), 0);
  Result<ApplianceImage> second = BuildAppliance(config_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->reused);
  EXPECT_NE(second->cache_key, first->cache_key);
  // Identical bytes in, identical archive out.
  EXPECT_EQ(ReadWholeFile(second->initrd), ReadWholeFile(first->initrd));
}

TEST_F(ApplianceBuilderTest, ForceRebuildBuildsAgainUnderTheSameKey) {
  Result<ApplianceImage> first = BuildAppliance(config_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  config_.force_rebuild = true;
  Result<ApplianceImage> second = BuildAppliance(config_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->reused);
  EXPECT_EQ(second->cache_key, first->cache_key);
  EXPECT_TRUE(fs::exists(second->initrd));
}

TEST_F(ApplianceBuilderTest, ConcurrentBuildsBothGetTheSameCompleteEntry) {
  Result<ApplianceImage> results[2] = {Status(Code::kInternal, "not run"),
                                       Status(Code::kInternal, "not run")};
  std::thread a([&] { results[0] = BuildAppliance(config_); });
  std::thread b([&] { results[1] = BuildAppliance(config_); });
  a.join();
  b.join();
  ASSERT_TRUE(results[0].ok()) << results[0].status().ToString();
  ASSERT_TRUE(results[1].ok()) << results[1].status().ToString();
  EXPECT_EQ(results[0]->cache_key, results[1]->cache_key);
  EXPECT_EQ(results[0]->initrd, results[1]->initrd);
  EXPECT_EQ(results[0]->reused + results[1]->reused, 1);  // the lock made one wait
  EXPECT_FALSE(ReadCpio(results[0]->initrd).empty());
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(config_.cache_dir)) {
    EXPECT_FALSE(e.path().filename().string().starts_with("tmp-")) << e.path();
    entries += e.path().filename().string().starts_with("appliance-");
  }
  EXPECT_EQ(entries, 1u);
}

TEST_F(ApplianceBuilderTest, MissingInputsAreReportedClearly) {
  config_.daemon = dir_ / "no-daemon";
  Result<ApplianceImage> image = BuildAppliance(config_);
  EXPECT_EQ(image.status().code(), Code::kInvalidArgument);
  EXPECT_NE(image.status().message().find("no-daemon"), std::string::npos);
  config_.daemon = "";
  EXPECT_EQ(BuildAppliance(config_).status().code(), Code::kInvalidArgument);
}

TEST_F(ApplianceBuilderTest, ExplicitKernelIsUsed) {
  WriteFile(dir_ / "k", testing::FakeBzImage(kRelease));
  config_.kernel = dir_ / "k";
  Result<AppliancePlan> plan = PlanAppliance(config_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->kernel.path, dir_ / "k");
  EXPECT_EQ(plan->inputs.front(), dir_ / "k");
}

// The host's real kernel and modules, if this machine has them.
TEST(ApplianceBuilderRealKernelTest, BuildsFromTheHostKernelAndReusesQuickly) {
  Result<HostKernel> kernel = FindHostKernel(KernelSearchRoots{});
  if (!kernel.ok()) GTEST_SKIP() << "no usable host kernel: " << kernel.status().ToString();
  TempDir dir;
  ApplianceBuildConfig config;
  config.daemon = "/bin/busybox";  // any static binary stands in for the daemon here
  config.cache_dir = dir / "cache";
  if (!fs::exists(config.busybox)) GTEST_SKIP() << "busybox-static is not installed";
  auto start = std::chrono::steady_clock::now();
  Result<ApplianceImage> image = BuildAppliance(config);
  double build_ms = MillisecondsSince(start);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->kernel_release, kernel->release);
  for (const char* fs : {"ext4", "vfat", "xfs"}) {
    EXPECT_NE(std::find(image->filesystems.begin(), image->filesystems.end(), fs),
              image->filesystems.end())
        << fs;
  }
  std::map<std::string, CpioMember> m = ReadCpio(image->initrd);
  std::string mods = "lib/modules/" + kernel->release + "/";
  EXPECT_EQ(m.count(mods + "modules.dep"), 1u);
  EXPECT_FALSE(m["etc/diskferry/modules.boot"].content.empty());
  start = std::chrono::steady_clock::now();
  Result<ApplianceImage> again = BuildAppliance(config);
  double reuse_ms = MillisecondsSince(start);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->reused);
  std::printf("real kernel %s: build %.0f ms, reuse %.1f ms, initrd %zu bytes, fs: ",
              kernel->release.c_str(), build_ms, reuse_ms,
              static_cast<size_t>(fs::file_size(image->initrd)));
  for (const std::string& fs : image->filesystems) std::printf("%s ", fs.c_str());
  std::printf("\n");
}

}  // namespace
}  // namespace diskferry
