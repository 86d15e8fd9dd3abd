// Filesystems the default (cloud) kernel lacks: f2fs (and NTFS) images are read through
// Debian's generic kernel, and stderr says which kernel served them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

// The release of the newest generic (not cloud) Debian kernel in /boot, or "".
std::string GenericKernelRelease() {
  std::vector<std::string> releases;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/boot", ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("vmlinuz-") && name.ends_with("-amd64") &&
        name.find("cloud") == std::string::npos) {
      releases.push_back(name.substr(8));
    }
  }
  std::sort(releases.begin(), releases.end());
  return releases.empty() ? "" : releases.back();
}

class StorageKernelTest : public StorageTest {
 protected:
  void SetUp() override {
    StorageTest::SetUp();
    release_ = GenericKernelRelease();
    ASSERT_FALSE(release_.empty())
        << "no generic kernel in /boot: scripts/setup.sh installs linux-image-amd64";
  }
  std::string release_;
};

TEST_F(StorageKernelTest, F2fsIsReadThroughTheGenericKernelWhichStderrNames) {
  UsesImages({"f2fs.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(CopyOutMatches(Q("f2fs.img") + ":/", "f2fs", "/dev/sda", {}, &err));
  ExpectHardLinksKept();
  EXPECT_NE(err.find(release_), std::string::npos) << "stderr:\n" << err;
}

// NTFS keeps no unix modes or owners: the .expect has "-" there. Its files have the time
// make.sh uploaded them, also "-".
TEST_F(StorageKernelTest, NtfsIsReadAndStderrNamesTheKernel) {
  UsesImages({"ntfs.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(CopyOutMatches(Q("ntfs.img") + ":/", "ntfs", "/dev/sda1", {}, &err));
  ExpectHardLinksKept();
  EXPECT_NE(err.find("kernel"), std::string::npos) << "stderr:\n" << err;
}

}  // namespace
}  // namespace diskferry::testing
