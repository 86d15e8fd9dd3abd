#include "runner/partition.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

std::vector<WalkCheckpoint> Evenly(int n, uint64_t step) {
  std::vector<WalkCheckpoint> c;
  for (int i = 1; i <= n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%04d", i);
    c.push_back({name, step * static_cast<uint64_t>(i)});
  }
  return c;
}

uint64_t WeightUpTo(const std::vector<WalkCheckpoint>& c, const std::string& path) {
  for (const auto& p : c) {
    if (p.path == path) return p.weight;
  }
  return 0;
}

TEST(PartitionTest, PartCountGrowsWithWeightUpToTheAppliances) {
  EXPECT_EQ(PartCountFor(10u << 30, 1), 1);
  EXPECT_EQ(PartCountFor(0, 4), 1);
  EXPECT_EQ(PartCountFor(kMinPartWeight - 1, 4), 1);
  EXPECT_EQ(PartCountFor(2 * kMinPartWeight, 4), 2);
  EXPECT_EQ(PartCountFor(100 * kMinPartWeight, 4), 4);
  EXPECT_EQ(PartCountFor(1000, 3, 100), 3);
}

TEST(PartitionTest, OnePartCoversEverything) {
  auto ranges = PartitionWalk(Evenly(10, 5), 50, 1);
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].after, "");
  EXPECT_EQ(ranges[0].until, "");
}

TEST(PartitionTest, RangesAreContiguousAndBalancedByWeight) {
  const auto checkpoints = Evenly(1000, 1000);
  const uint64_t total = 1000 * 1000;
  auto ranges = PartitionWalk(checkpoints, total, 4);
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges.front().after, "");
  EXPECT_EQ(ranges.back().until, "");
  uint64_t from = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(ranges[i].after, ranges[i - 1].until);
    }
    const uint64_t to = ranges[i].until.empty() ? total : WeightUpTo(checkpoints, ranges[i].until);
    EXPECT_NEAR(static_cast<double>(to - from), total / 4.0, 1000.0) << i;
    from = to;
  }
}

TEST(PartitionTest, OneHeavyEntryGetsARangeOfItsOwn) {
  // A 1 GiB file among small ones: the cuts fall on either side of it.
  std::vector<WalkCheckpoint> c = {
      {"a", 10}, {"b", 20}, {"big", 1000020}, {"c", 1000030}, {"d", 1000040}};
  auto ranges = PartitionWalk(c, 1000040, 2);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_TRUE(ranges[0].until == "b" || ranges[0].until == "big") << ranges[0].until;
}

TEST(PartitionTest, SparseCheckpointsGiveFewerRanges) {
  auto ranges = PartitionWalk({{"only", 50}}, 100, 4);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].until, "only");
  EXPECT_EQ(ranges[1].after, "only");
}

TEST(PartitionTest, NoCutAtTheVeryEnd) {
  auto ranges = PartitionWalk({{"x", 100}}, 100, 2);
  ASSERT_EQ(ranges.size(), 1u);
}

}  // namespace
}  // namespace diskferry
