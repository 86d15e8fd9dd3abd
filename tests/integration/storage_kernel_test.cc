// Filesystems the default (cloud) kernel lacks: the f2fs fixture is read through an
// installed kernel that has f2fs (Debian's generic one), and stderr names it. NTFS is read
// through ntfs-3g (FUSE) on the booted kernel, which every Debian kernel serves.
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
  return KernelsServing(fstype, InstalledKernels(KernelSearchRoots{}, StorageToolsConfig{}));
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
TEST_F(StorageKernelTest, NtfsIsReadThroughNtfs3gOnTheBootedKernel) {
  ASSERT_FALSE(Serving("ntfs").empty()) << "no ntfs-3g on the host: scripts/setup.sh installs it";
  UsesImages({"ntfs.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(CopyOutMatches(Q("ntfs.img") + ":/", "ntfs", "/dev/sda1", {}, &err));
  ExpectHardLinksKept();
  EXPECT_EQ(err.find("using"), std::string::npos) << "a kernel switch:\n" << err;
}

}  // namespace
}  // namespace diskferry::testing
