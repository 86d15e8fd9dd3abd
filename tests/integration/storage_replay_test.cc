// Crash-consistent images: an ext4 and an xfs whose writer was killed after a journal
// commit and before the checkpoint (tests/fixtures/storage/make.sh checks with debugfs,
// xfs_logprint and xfs_repair -n that both need recovery). By default the journal is
// replayed into a throw-away overlay and the newest files are there; --no-replay shows
// what is on disk. The source never changes.
#include <gtest/gtest.h>

#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

// The fixture's name: dirty-ext4 or dirty-xfs.
class StorageReplayTest : public StorageTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string Image() const { return GetParam() + ".img"; }
};

TEST_P(StorageReplayTest, JournalIsReplayedByDefaultAndTheNewestFilesAreThere) {
  UsesImages({Image()});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(CopyOutMatches(Q(Image()) + ":/", GetParam(), "/dev/sda", {}, &err));
  EXPECT_NE(err.find("journal replayed"), std::string::npos) << "stderr:\n" << err;
  EXPECT_NE(err.find(Image()), std::string::npos) << "stderr:\n" << err;
}

TEST_P(StorageReplayTest, NoReplayShowsTheOnDiskStateAndSaysNothingOfReplay) {
  UsesImages({Image()});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(CopyOutMatches("--no-replay " + Q(Image()) + ":/", GetParam(),
                                         "norecovery:/dev/sda", {}, &err));
  EXPECT_EQ(err.find("journal replayed"), std::string::npos) << "stderr:\n" << err;
}

INSTANTIATE_TEST_SUITE_P(Dirty, StorageReplayTest, ::testing::Values("dirty-ext4", "dirty-xfs"),
                         [](const auto& info) { return info.param.substr(6); });

}  // namespace
}  // namespace diskferry::testing
