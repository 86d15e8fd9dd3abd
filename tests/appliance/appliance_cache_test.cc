#include "appliance/appliance_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/appliance/builder_test_support.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::TempDir;
using testing::WriteFile;

void SetMtime(const std::string& path, time_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

class ApplianceCacheTest : public ::testing::Test {
 protected:
  ApplianceCacheTest() : cache_(dir_ / "cache") { EXPECT_TRUE(cache_.Init().ok()); }

  // A complete staging directory whose initrd holds `initrd`.
  std::string Staging(const std::string& initrd, const std::string& release = "6.1.0-1") {
    Result<std::string> staging = cache_.CreateStaging();
    EXPECT_TRUE(staging.ok());
    WriteFile(*staging + "/kernel", "kernel");
    WriteFile(*staging + "/initrd.cpio", initrd);
    ApplianceManifest m{"/boot/vmlinuz-" + release, release, {"ext4", "xfs"}, 6, initrd.size(),
                        {"lvm"}};
    WriteFile(*staging + "/manifest", RenderManifest(m));
    return *staging;
  }

  size_t CountEntries(std::string_view prefix) const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(cache_.dir())) {
      n += e.path().filename().string().starts_with(prefix);
    }
    return n;
  }

  TempDir dir_;
  ApplianceCache cache_;
};

TEST_F(ApplianceCacheTest, KeyChangesWhenAnInputsMtimeChangesAndOnlyThen) {
  WriteFile(dir_ / "a", "aaa");
  WriteFile(dir_ / "b", "bbb");
  std::vector<std::string> inputs = {dir_ / "a", dir_ / "b"};
  SetMtime(inputs[1], 1000);
  Result<std::string> first = ComputeCacheKey(inputs);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 64u);
  EXPECT_EQ(*first, ComputeCacheKey(inputs).value());
  SetMtime(inputs[1], 1001);
  EXPECT_NE(*first, ComputeCacheKey(inputs).value());
  SetMtime(inputs[1], 1000);
  EXPECT_EQ(*first, ComputeCacheKey(inputs).value());
  std::vector<std::string> swapped = {inputs[1], inputs[0]};
  EXPECT_NE(*first, ComputeCacheKey(swapped).value());
  inputs.push_back(dir_ / "absent");
  EXPECT_EQ(ComputeCacheKey(inputs).status().code(), Code::kNotFound);
}

TEST_F(ApplianceCacheTest, ManifestRoundTrips) {
  ApplianceManifest m{"/boot/vmlinuz with space", "6.1.0-56-cloud-amd64", {"ext4", "vfat"}, 1, 2,
                      {"cryptsetup", "lvm"}};
  Result<ApplianceManifest> parsed = ParseManifest(RenderManifest(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->kernel_source, m.kernel_source);
  EXPECT_EQ(parsed->kernel_release, m.kernel_release);
  EXPECT_EQ(parsed->filesystems, m.filesystems);
  EXPECT_EQ(parsed->kernel_size, 1u);
  EXPECT_EQ(parsed->initrd_size, 2u);
  EXPECT_EQ(parsed->storage_tools, m.storage_tools);
  m.storage_tools.clear();
  parsed = ParseManifest(RenderManifest(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->storage_tools.empty());
  EXPECT_FALSE(ParseManifest("diskferry-appliance 0\nkernel_source x\n").ok());
  EXPECT_FALSE(ParseManifest("diskferry-appliance 1\nkernel_size 12x\n").ok());
}

TEST_F(ApplianceCacheTest, PublishedEntryIsFoundAndDescribesTheImage) {
  EXPECT_FALSE(cache_.Lookup("k1").has_value());
  Result<ApplianceImage> image = cache_.Publish(Staging("initrd"), "k1", false);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  std::optional<ApplianceImage> found = cache_.Lookup("k1");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->reused);
  EXPECT_EQ(found->kernel, cache_.EntryDir("k1") + "/kernel");
  EXPECT_EQ(found->initrd, cache_.EntryDir("k1") + "/initrd.cpio");
  EXPECT_EQ(found->kernel_release, "6.1.0-1");
  EXPECT_EQ(found->filesystems, (std::vector<std::string>{"ext4", "xfs"}));
  EXPECT_EQ(found->storage_tools, (std::vector<std::string>{"lvm"}));
  EXPECT_EQ(found->cache_key, "k1");
  EXPECT_EQ(CountEntries("tmp-"), 0u);
}

TEST_F(ApplianceCacheTest, EntryWithATruncatedFileIsNotReused) {
  ASSERT_TRUE(cache_.Publish(Staging("initrd"), "k1", false).ok());
  WriteFile(cache_.EntryDir("k1") + "/initrd.cpio", "init");
  EXPECT_FALSE(cache_.Lookup("k1").has_value());
}

TEST_F(ApplianceCacheTest, LoserOfAPublishRaceUsesTheWinnersEntry) {
  ASSERT_TRUE(cache_.Publish(Staging("winner"), "k1", false).ok());
  std::string loser = Staging("loser!");
  Result<ApplianceImage> image = cache_.Publish(loser, "k1", false);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(testing::ReadWholeFile(image->initrd), "winner");
  EXPECT_FALSE(fs::exists(loser));
  EXPECT_EQ(CountEntries("tmp-"), 0u);
}

TEST_F(ApplianceCacheTest, PublishReplacesABrokenEntryOrAnyEntryWhenAsked) {
  fs::create_directories(cache_.EntryDir("k1"));
  WriteFile(cache_.EntryDir("k1") + "/kernel", "half");
  Result<ApplianceImage> image = cache_.Publish(Staging("fresh"), "k1", false);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(testing::ReadWholeFile(image->initrd), "fresh");
  image = cache_.Publish(Staging("forced"), "k1", true);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(testing::ReadWholeFile(image->initrd), "forced");
  EXPECT_EQ(CountEntries("tmp-"), 0u);
}

TEST_F(ApplianceCacheTest, PruneKeepsTheNewestEntriesAndFreshStagingDirectories) {
  for (int i = 0; i < 4; ++i) {
    std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(cache_.Publish(Staging("x"), key, false).ok());
    SetMtime(cache_.EntryDir(key), 1000000 + i);  // k3 newest
  }
  std::string old_staging = cache_.CreateStaging().value();
  SetMtime(old_staging, 1000);
  std::string new_staging = cache_.CreateStaging().value();
  cache_.Prune("k0", 2);  // k0 is the one in use, however old
  EXPECT_TRUE(cache_.Lookup("k0").has_value());
  EXPECT_TRUE(cache_.Lookup("k3").has_value());
  EXPECT_FALSE(fs::exists(cache_.EntryDir("k1")));
  EXPECT_FALSE(fs::exists(cache_.EntryDir("k2")));
  EXPECT_FALSE(fs::exists(old_staging));
  EXPECT_TRUE(fs::exists(new_staging));
}

TEST_F(ApplianceCacheTest, LockExcludesASecondHolderUntilReleased) {
  Result<CacheLock> first = cache_.Lock(milliseconds(1000));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(cache_.Lock(milliseconds(50)).status().code(), Code::kTimeout);
  {
    CacheLock moved = std::move(*first);
    EXPECT_FALSE(first->held());
    EXPECT_TRUE(moved.held());
    EXPECT_EQ(cache_.Lock(milliseconds(50)).status().code(), Code::kTimeout);
    CacheLock other;
    other = std::move(moved);
    EXPECT_EQ(cache_.Lock(milliseconds(50)).status().code(), Code::kTimeout);
  }
  Result<CacheLock> again = cache_.Lock(milliseconds(50));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->held());
}

}  // namespace
}  // namespace diskferry
