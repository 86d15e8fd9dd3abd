#include "appliance/kernel_locator.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/appliance/builder_test_support.h"

namespace diskferry {
namespace {

using testing::FakeBzImage;
using testing::TempDir;
using testing::WriteFile;

class KernelLocatorTest : public ::testing::Test {
 protected:
  KernelSearchRoots Roots() const { return {dir_ / "boot", dir_ / "modules"}; }

  // A kernel in the fake /boot, with a module tree unless `with_modules` is false.
  void AddKernel(const std::string& release, bool with_modules = true) {
    WriteFile(dir_ / ("boot/vmlinuz-" + release), FakeBzImage(release));
    if (with_modules) WriteFile(dir_ / ("modules/" + release + "/modules.dep"), "");
  }

  TempDir dir_;
};

TEST(KernelReleaseTest, ComparesDigitRunsAsNumbers) {
  EXPECT_GT(CompareKernelReleases("6.1.0-10-amd64", "6.1.0-9-amd64"), 0);
  EXPECT_GT(CompareKernelReleases("6.10.0-1-amd64", "6.9.0-1-amd64"), 0);
  EXPECT_LT(CompareKernelReleases("5.10.0-28-cloud-amd64", "6.1.0-9-cloud-amd64"), 0);
  EXPECT_GT(CompareKernelReleases("6.1.0-56-cloud-amd64", "6.1.0-56"), 0);
  EXPECT_EQ(CompareKernelReleases("6.1.0-56-amd64", "6.1.0-56-amd64"), 0);
  EXPECT_TRUE(IsCloudRelease("6.1.0-56-cloud-amd64"));
  EXPECT_FALSE(IsCloudRelease("6.1.0-56-amd64"));
}

TEST_F(KernelLocatorTest, PrefersTheNewestCloudKernelOverANewerGenericOne) {
  AddKernel("6.1.0-9-cloud-amd64");
  AddKernel("6.1.0-10-cloud-amd64");
  AddKernel("6.1.0-56-amd64");
  Result<HostKernel> k = FindHostKernel(Roots());
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->release, "6.1.0-10-cloud-amd64");
  EXPECT_EQ(k->path, dir_ / "boot/vmlinuz-6.1.0-10-cloud-amd64");
  EXPECT_EQ(k->modules_dir, dir_ / "modules/6.1.0-10-cloud-amd64");
  EXPECT_EQ(k->config_path, "");
}

TEST_F(KernelLocatorTest, FallsBackToTheNewestGenericKernel) {
  AddKernel("6.1.0-9-amd64");
  AddKernel("6.1.0-21-amd64");
  AddKernel("6.1.0-30-cloud-amd64", /*with_modules=*/false);
  WriteFile(dir_ / "boot/config-6.1.0-21-amd64", "CONFIG_EXT4_FS=y\n");
  Result<HostKernel> k = FindHostKernel(Roots());
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->release, "6.1.0-21-amd64");
  EXPECT_EQ(k->config_path, dir_ / "boot/config-6.1.0-21-amd64");
}

TEST_F(KernelLocatorTest, SkipsACloudKernelWhoseModulesAreGone) {
  AddKernel("6.1.0-9-cloud-amd64");
  AddKernel("6.1.0-12-cloud-amd64", /*with_modules=*/false);
  Result<HostKernel> k = FindHostKernel(Roots());
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->release, "6.1.0-9-cloud-amd64");
}

TEST_F(KernelLocatorTest, ListsEveryUsableKernelCloudFirstThenNewestFirst) {
  AddKernel("6.1.0-9-amd64");
  AddKernel("6.1.0-21-amd64");
  AddKernel("6.1.0-30-cloud-amd64", /*with_modules=*/false);
  AddKernel("6.1.0-12-cloud-amd64");
  std::vector<std::string> releases;
  for (const HostKernel& k : ListHostKernels(Roots())) releases.push_back(k.release);
  EXPECT_EQ(releases,
            (std::vector<std::string>{"6.1.0-12-cloud-amd64", "6.1.0-21-amd64", "6.1.0-9-amd64"}));
}

TEST_F(KernelLocatorTest, ListsNothingWhenBootIsMissing) {
  KernelSearchRoots roots = Roots();
  roots.boot_dir = dir_ / "no-such-boot";
  EXPECT_TRUE(ListHostKernels(roots).empty());
}

TEST_F(KernelLocatorTest, ErrorListsEveryKernelFoundWhenNoneHasModules) {
  AddKernel("6.1.0-9-cloud-amd64", false);
  AddKernel("6.1.0-9-amd64", false);
  Result<HostKernel> k = FindHostKernel(Roots());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kNotFound);
  const std::string& m = k.status().message();
  EXPECT_NE(m.find("vmlinuz-6.1.0-9-cloud-amd64"), std::string::npos) << m;
  EXPECT_NE(m.find("vmlinuz-6.1.0-9-amd64"), std::string::npos) << m;
  EXPECT_NE(m.find("6.1.0-9-amd64/modules.dep"), std::string::npos) << m;
  EXPECT_NE(m.find("linux-image-cloud-amd64"), std::string::npos) << m;
}

TEST_F(KernelLocatorTest, ErrorSaysWhatToInstallWhenBootHasNoKernel) {
  WriteFile(dir_ / "boot/config-6.1.0-9-amd64", "");
  Result<HostKernel> k = FindHostKernel(Roots());
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("no vmlinuz-* files"), std::string::npos);
}

TEST_F(KernelLocatorTest, ExplicitKernelTakesItsReleaseFromTheFileName) {
  AddKernel("6.1.0-9-amd64");
  Result<HostKernel> k = UseKernel(dir_ / "boot/vmlinuz-6.1.0-9-amd64", Roots());
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->release, "6.1.0-9-amd64");
}

TEST_F(KernelLocatorTest, ExplicitKernelWithAnyNameTakesItsReleaseFromTheBzImage) {
  WriteFile(dir_ / "my-kernel", FakeBzImage("6.1.0-77-cloud-amd64"));
  WriteFile(dir_ / "modules/6.1.0-77-cloud-amd64/modules.dep", "");
  Result<HostKernel> k = UseKernel(dir_ / "my-kernel", Roots());
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->release, "6.1.0-77-cloud-amd64");
  EXPECT_EQ(ReadBzImageRelease(dir_ / "my-kernel").value(), "6.1.0-77-cloud-amd64");
}

TEST_F(KernelLocatorTest, ExplicitKernelWithoutModulesIsAnError) {
  WriteFile(dir_ / "modules/6.1.0-9-amd64/modules.dep", "");
  WriteFile(dir_ / "vmlinuz-6.2.0-1-amd64", FakeBzImage("6.2.0-1-amd64"));
  Result<HostKernel> k = UseKernel(dir_ / "vmlinuz-6.2.0-1-amd64", Roots());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kNotFound);
  EXPECT_NE(k.status().message().find("6.2.0-1-amd64/modules.dep"), std::string::npos);
  EXPECT_NE(k.status().message().find("found: 6.1.0-9-amd64"), std::string::npos)
      << k.status().message();
  EXPECT_EQ(UseKernel(dir_ / "absent", Roots()).status().code(), Code::kNotFound);
}

TEST_F(KernelLocatorTest, NonKernelFileIsRejected) {
  WriteFile(dir_ / "not-a-kernel", "hello");
  EXPECT_EQ(ReadBzImageRelease(dir_ / "not-a-kernel").status().code(), Code::kInvalidArgument);
}

// Checks the error as an unprivileged user: root reads mode-0000 files.
bool UnreadableKernelGivesTheFix(const KernelSearchRoots& roots) {
  Result<HostKernel> k = FindHostKernel(roots);
  return !k.ok() && k.status().code() == Code::kFailedPrecondition &&
         k.status().message().find("sudo chmod 0644 /boot/vmlinuz-*") != std::string::npos;
}

TEST_F(KernelLocatorTest, UnreadableKernelErrorSaysHowToFixIt) {
  AddKernel("6.1.0-9-cloud-amd64");
  chmod(dir_.path().c_str(), 0755);
  chmod((dir_ / "boot/vmlinuz-6.1.0-9-cloud-amd64").c_str(), 0600);
  if (geteuid() != 0) {
    chmod((dir_ / "boot/vmlinuz-6.1.0-9-cloud-amd64").c_str(), 0);
    EXPECT_TRUE(UnreadableKernelGivesTheFix(Roots()));
    return;
  }
  // As root: drop to "nobody" in a child process (gtest's death-test fork).
  EXPECT_EXIT(
      {
        bool dropped = setgid(65534) == 0 && setuid(65534) == 0;
        _exit(dropped && UnreadableKernelGivesTheFix(Roots()) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace diskferry
