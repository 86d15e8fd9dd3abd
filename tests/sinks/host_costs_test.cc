// HostCosts: the split weight from measured costs, the medians a run contributes, and the
// cache file's round trip.
#include "sinks/host_costs.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

using std::chrono::milliseconds;

TEST(HostCostsTest, AnUnmeasuredHostUsesTheFallback) {
  EXPECT_EQ(SplitWeightFor(HostCosts{}, 1234), 1234u);
  EXPECT_EQ(SplitWeightFor(HostCosts{0.2, 0}, 1234), 1234u);
}

TEST(HostCostsTest, APartMustReadForSeveralLaunches) {
  // 0.5 s launches, 200 MiB/s: a part must hold 4 x 100 MiB of weight.
  EXPECT_EQ(SplitWeightFor(HostCosts{0.5, 200.0 * (1 << 20)}, 1), uint64_t{400} << 20);
  // Bounded on both sides.
  EXPECT_EQ(SplitWeightFor(HostCosts{0.01, 1 << 20}, 1), kMinSplitWeight);
  EXPECT_EQ(SplitWeightFor(HostCosts{60, 1e9}, 1), kMaxSplitWeight);
}

TEST(HostCostsTest, AJobGetsAPartPerCoreLeftOverByTheHostSide) {
  EXPECT_EQ(MaxPartsFor(0), 1);  // unknown
  EXPECT_EQ(MaxPartsFor(1), 1);
  EXPECT_EQ(MaxPartsFor(2), 1);
  EXPECT_EQ(MaxPartsFor(3), 2);
  EXPECT_EQ(MaxPartsFor(8), 7);
}

TEST(HostCostsTest, ARunContributesTheMediansOfWhatItMeasured) {
  HostCostMeter meter;
  const HostCosts previous{3.0, 50.0};
  EXPECT_DOUBLE_EQ(meter.Merge(previous).launch_seconds, 3.0);  // nothing measured: kept
  EXPECT_FALSE(meter.measured());
  meter.AddLaunch(milliseconds(200));
  EXPECT_TRUE(meter.measured());
  meter.AddLaunch(milliseconds(400));
  meter.AddLaunch(milliseconds(9000));
  meter.AddRead(1000, milliseconds(1000));
  meter.AddRead(1 << 30, milliseconds(100));  // too short to trust: dropped
  const HostCosts merged = meter.Merge(previous);
  EXPECT_DOUBLE_EQ(merged.launch_seconds, 0.4);
  EXPECT_DOUBLE_EQ(merged.weight_per_second, 1000.0);
}

TEST(HostCostsTest, TheCacheFileRoundTripsAndAMissingOrBadOneReadsAsUnmeasured) {
  ScratchDir dir("df-host-costs");
  const std::string path = dir.File("host-costs.json");
  EXPECT_FALSE(LoadHostCosts(path).measured());
  ASSERT_TRUE(SaveHostCosts(path, HostCosts{0.25, 1e8}).ok());
  const HostCosts loaded = LoadHostCosts(path);
  EXPECT_DOUBLE_EQ(loaded.launch_seconds, 0.25);
  EXPECT_DOUBLE_EQ(loaded.weight_per_second, 1e8);
  std::ofstream(path, std::ios::trunc) << "{\"launch_seconds\": -1, \"weight_per_second\": \"x\"}";
  EXPECT_FALSE(LoadHostCosts(path).measured());
}

}  // namespace
}  // namespace diskferry
