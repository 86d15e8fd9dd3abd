// PlanStorageTools on a fake host tree of small built ELF files, and on the real host.
#include "appliance/storage_tools.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/appliance/builder_test_support.h"
#include "tests/appliance/elf_test_image.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;
using testing::MakeElf;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kLoader = "/lib64/ld-linux-x86-64.so.2";

std::vector<std::string> Guests(const StorageToolsPlan& plan) {
  std::vector<std::string> out;
  for (const StorageToolFile& f : plan.files) out.push_back(f.guest);
  return out;
}

class StorageToolsTest : public ::testing::Test {
 protected:
  StorageToolsTest() {
    Put(kLoader, MakeElf("", {}));
    Put("/usr/lib/x86_64-linux-gnu/libc.so.6", MakeElf("", {}));
    Put("/lib/x86_64-linux-gnu/libdevmapper.so.1.02.1", MakeElf("", {"libc.so.6"}));
    Put("/usr/sbin/lvm", MakeElf(kLoader, {"libdevmapper.so.1.02.1", "libc.so.6"}));
    config_.root = dir_.path();
  }

  void Put(const std::string& guest, const std::string& bytes) { WriteFile(dir_ / guest, bytes); }

  TempDir dir_;
  StorageToolsConfig config_;
};

TEST_F(StorageToolsTest, PacksAToolWithItsLoaderAndLibraryClosure) {
  StorageToolsPlan plan = PlanStorageTools(config_);
  EXPECT_EQ(plan.present, (std::vector<std::string>{"lvm"}));
  EXPECT_EQ(Guests(plan),
            (std::vector<std::string>{"/lib/x86_64-linux-gnu/libdevmapper.so.1.02.1", kLoader,
                                      "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/sbin/lvm"}));
  EXPECT_EQ(plan.files.back().source, dir_ / "usr/sbin/lvm");
  EXPECT_EQ(plan.Sources().size(), plan.files.size());
  EXPECT_TRUE(plan.links.empty());
}

TEST_F(StorageToolsTest, NamesEachMissingToolWithItsPackage) {
  StorageToolsPlan plan = PlanStorageTools(config_);
  EXPECT_NE(std::find(plan.absent.begin(), plan.absent.end(),
                      "mdadm: not installed (apt-get install mdadm)"),
            plan.absent.end());
  EXPECT_NE(std::find(plan.absent.begin(), plan.absent.end(),
                      "cryptsetup: not installed (apt-get install cryptsetup-bin)"),
            plan.absent.end());
  EXPECT_EQ(plan.absent.size(), StorageToolNames().size() - 1);
}

TEST_F(StorageToolsTest, LeavesOutAToolWhoseLibraryIsMissing) {
  Put("/usr/sbin/dmsetup", MakeElf(kLoader, {"libudev.so.1", "libc.so.6"}));
  StorageToolsPlan plan = PlanStorageTools(config_);
  EXPECT_FALSE(plan.Has("dmsetup"));
  EXPECT_NE(std::find(plan.absent.begin(), plan.absent.end(),
                      "dmsetup: /usr/sbin/dmsetup: libudev.so.1 not found"),
            plan.absent.end());
}

TEST_F(StorageToolsTest, LeavesOutAToolThatIsNotAnElfFile) {
  Put("/usr/sbin/mdadm", "#!/bin/sh\n");
  StorageToolsPlan plan = PlanStorageTools(config_);
  EXPECT_FALSE(plan.Has("mdadm"));
  EXPECT_NE(
      std::find(plan.absent.begin(), plan.absent.end(), "mdadm: /usr/sbin/mdadm: not an ELF file"),
      plan.absent.end());
}

TEST_F(StorageToolsTest, TakesAToolFromSbinToUsrSbinAndFollowsRunpath) {
  Put("/opt/mdadm/lib/libudev.so.1", MakeElf("", {"libc.so.6"}));
  Put("/sbin/mdadm", MakeElf(kLoader, {"libudev.so.1", "libc.so.6"}, "/opt/mdadm/lib"));
  StorageToolsPlan plan = PlanStorageTools(config_);
  ASSERT_TRUE(plan.Has("mdadm")) << (plan.absent.empty() ? "" : plan.absent.front());
  auto it = std::find_if(plan.files.begin(), plan.files.end(),
                         [](const StorageToolFile& f) { return f.guest == "/usr/sbin/mdadm"; });
  ASSERT_NE(it, plan.files.end());
  EXPECT_EQ(it->source, dir_ / "sbin/mdadm");
  std::vector<std::string> guests = Guests(plan);
  EXPECT_NE(std::find(guests.begin(), guests.end(), "/opt/mdadm/lib/libudev.so.1"), guests.end());
}

TEST_F(StorageToolsTest, PacksAMultiCallBinaryOnceBehindItsLinks) {
  Put("/usr/sbin/pdata_tools", MakeElf(kLoader, {"libc.so.6"}));
  fs::create_symlink("pdata_tools", dir_ / "usr/sbin/thin_check");
  fs::create_symlink("pdata_tools", dir_ / "usr/sbin/cache_check");
  StorageToolsPlan plan = PlanStorageTools(config_);
  EXPECT_TRUE(plan.Has("thin_check"));
  EXPECT_TRUE(plan.Has("cache_check"));
  ASSERT_EQ(plan.links.size(), 2u);
  EXPECT_EQ(plan.links[0].guest, "/usr/sbin/cache_check");
  EXPECT_EQ(plan.links[0].target, "/usr/sbin/pdata_tools");
  EXPECT_EQ(plan.links[1].guest, "/usr/sbin/thin_check");
  std::vector<std::string> guests = Guests(plan);
  EXPECT_EQ(std::count(guests.begin(), guests.end(), "/usr/sbin/pdata_tools"), 1);
  EXPECT_EQ(std::count(guests.begin(), guests.end(), "/usr/sbin/thin_check"), 0);
}

TEST_F(StorageToolsTest, PacksWhatCryptsetupDlopensWhenPresent) {
  Put("/usr/lib/x86_64-linux-gnu/libgcc_s.so.1", MakeElf("", {"libc.so.6"}));
  Put("/usr/sbin/cryptsetup", MakeElf(kLoader, {"libc.so.6"}));
  StorageToolsPlan plan = PlanStorageTools(config_);
  EXPECT_TRUE(plan.Has("cryptsetup"));
  std::vector<std::string> guests = Guests(plan);
  EXPECT_NE(std::find(guests.begin(), guests.end(), "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"),
            guests.end());
  // No OpenSSL legacy provider on this fake host: cryptsetup is packed without it.
  for (const std::string& g : guests) EXPECT_EQ(g.find("ossl-modules"), std::string::npos) << g;
}

TEST_F(StorageToolsTest, LvmConfRunsThinCheckOnlyWhenPacked) {
  StorageToolsPlan plan = PlanStorageTools(config_);
  std::string conf = RenderLvmConf(plan);
  EXPECT_NE(conf.find("thin_check_executable = \"\"\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("udev_sync = 0\n"), std::string::npos);
  EXPECT_NE(conf.find("obtain_device_list_from_udev = 0\n"), std::string::npos);
  EXPECT_NE(conf.find("locking_dir = \"/run/lock/lvm\"\n"), std::string::npos);
  EXPECT_NE(conf.find("archive = 0\n"), std::string::npos);
  plan.present.push_back("thin_check");
  conf = RenderLvmConf(plan);
  EXPECT_NE(conf.find("thin_check_executable = \"/usr/sbin/thin_check\"\n"), std::string::npos);
  EXPECT_NE(conf.find("cache_check_executable = \"\"\n"), std::string::npos);
}

TEST(StorageToolPackageTest, MapsToolsToDebianPackages) {
  EXPECT_EQ(StorageToolPackage("lvm"), "lvm2");
  EXPECT_EQ(StorageToolPackage("cryptsetup"), "cryptsetup-bin");
  EXPECT_EQ(StorageToolPackage("thin_check"), "thin-provisioning-tools");
  EXPECT_EQ(StorageToolPackage("fsck"), "");
}

// The host's own tools, when installed: their closure includes the loader and libc.
TEST(StorageToolsHostTest, ResolvesTheHostsInstalledTools) {
  StorageToolsPlan plan = PlanStorageTools({});
  if (plan.present.empty()) GTEST_SKIP() << "no storage tools on this host";
  std::vector<std::string> guests = Guests(plan);
  EXPECT_NE(std::find(guests.begin(), guests.end(), kLoader), guests.end());
  EXPECT_NE(std::find(guests.begin(), guests.end(), "/lib/x86_64-linux-gnu/libc.so.6"),
            guests.end());
  for (const std::string& line : plan.absent) std::printf("absent: %s\n", line.c_str());
  std::printf("present:");
  for (const std::string& tool : plan.present) std::printf(" %s", tool.c_str());
  std::printf(" (%zu files)\n", plan.files.size());
}

}  // namespace
}  // namespace diskferry
