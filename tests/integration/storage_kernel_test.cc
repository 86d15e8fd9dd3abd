// Filesystems the default (cloud) kernel lacks: the f2fs fixture is read through an
// installed kernel that has f2fs (Debian's generic one), and stderr names it. NTFS is read
// the same way where an installed kernel has ntfs3; Debian 12's kernels have none, and
// then the run fails with one line naming the image, the device and the module.
#include <gtest/gtest.h>

#include "appliance/appliance_builder.h"
#include "appliance/kernel_choice.h"
#include "appliance/kernel_locator.h"
#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

// The generic kernel probes more hardware than the cloud one; under TCG on a loaded
// 2-core machine its boot took 57 to 74 s, past the default 60 s.
const std::string kSlowBoot = "--timeout 300 ";

std::vector<std::string> Serving(const std::string& fstype) {
  return KernelsServing(fstype, InstalledKernels(KernelSearchRoots{}));
}

using StorageKernelTest = StorageTest;

TEST_F(StorageKernelTest, F2fsIsReadThroughAKernelWithF2fsWhichStderrNames) {
  const auto serving = Serving("f2fs");
  ASSERT_FALSE(serving.empty())
      << "no installed kernel has f2fs: scripts/setup.sh installs linux-image-amd64";
  UsesImages({"f2fs.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches(kSlowBoot + Q("f2fs.img") + ":/", "f2fs", "/dev/sda", {}, &err));
  ExpectHardLinksKept();
  EXPECT_NE(err.find(serving.front()), std::string::npos) << "stderr:\n" << err;
}

// NTFS keeps no unix modes or owners: the .expect has "-" there. Its files have the time
// make.sh uploaded them, also "-".
TEST_F(StorageKernelTest, NtfsIsReadThroughAKernelWithNtfs3) {
  if (Serving("ntfs3").empty()) {
    GTEST_SKIP() << "no installed kernel has ntfs3 (Debian 12's kernels are built without it)";
  }
  UsesImages({"ntfs.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches(kSlowBoot + Q("ntfs.img") + ":/", "ntfs", "/dev/sda1", {}, &err));
  ExpectHardLinksKept();
  EXPECT_NE(err.find("ntfs"), std::string::npos) << "stderr:\n" << err;
}

TEST_F(StorageKernelTest, NtfsWithoutAKernelWithNtfs3FailsWithOneLineNamingImageAndDevice) {
  if (!Serving("ntfs3").empty()) GTEST_SKIP() << "an installed kernel has ntfs3";
  UsesImages({"ntfs.img"});
  std::string out, err;
  EXPECT_EQ(RunSplit(Diskferry("ls " + kSlowBoot + Q("ntfs.img") + ":/"), &out, &err), 1)
      << out << err;
  const auto lines = NonEmptyLines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_NE(lines[0].find(Path("ntfs.img") + ": /dev/sda1 is ntfs"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("ntfs3"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace diskferry::testing
