// RateWindow: rates and times left from synthetic (time, counter) samples.
#include "cli/rate_window.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const SteadyTime kT0{};

TEST(RateWindowTest, RateIsZeroWithFewerThanTwoSamples) {
  RateWindow w;
  EXPECT_EQ(w.PerSecond(), 0);
  w.Add(kT0, 100);
  EXPECT_EQ(w.PerSecond(), 0);
}

TEST(RateWindowTest, RateIsGrowthOverElapsedTime) {
  RateWindow w;
  w.Add(kT0, 0);
  w.Add(kT0 + seconds(1), 1000);
  w.Add(kT0 + seconds(2), 3000);
  EXPECT_DOUBLE_EQ(w.PerSecond(), 1500);
}

TEST(RateWindowTest, OldSamplesLeaveTheWindow) {
  RateWindow w(seconds(5));
  w.Add(kT0, 0);
  // A burst in the first second, then a steady 100 per second.
  w.Add(kT0 + seconds(1), 100000);
  for (int s = 2; s <= 10; ++s) w.Add(kT0 + seconds(s), 100000 + 100 * (s - 1));
  EXPECT_DOUBLE_EQ(w.PerSecond(), 100);
}

TEST(RateWindowTest, StalledCounterDropsToZeroAfterTheSpan) {
  RateWindow w(seconds(3));
  w.Add(kT0, 0);
  w.Add(kT0 + seconds(1), 500);
  EXPECT_GT(w.PerSecond(), 0);
  for (int s = 2; s <= 5; ++s) w.Add(kT0 + seconds(s), 500);
  EXPECT_EQ(w.PerSecond(), 0);
}

TEST(RateWindowTest, IgnoresSamplesGoingBackInTimeOrValue) {
  RateWindow w;
  w.Add(kT0 + seconds(2), 200);
  w.Add(kT0 + seconds(1), 0);    // earlier time
  w.Add(kT0 + seconds(3), 100);  // smaller value
  w.Add(kT0 + seconds(4), 400);
  EXPECT_DOUBLE_EQ(w.PerSecond(), 100);
}

TEST(RateWindowTest, SameInstantSamplesGiveNoRate) {
  RateWindow w;
  w.Add(kT0, 0);
  w.Add(kT0, 1000);
  EXPECT_EQ(w.PerSecond(), 0);
}

TEST(RateWindowTest, KeepsAtMostMaxSamples) {
  RateWindow w(seconds(60));
  // 10 ms apart: the window shrinks to the last kMaxSamples samples, still 100 per 10 ms.
  for (int i = 0; i < 1000; ++i) w.Add(kT0 + milliseconds(10 * i), 100 * i);
  EXPECT_DOUBLE_EQ(w.PerSecond(), 10000);
}

TEST(RateWindowTest, SecondsLeftAtTheCurrentRate) {
  RateWindow w;
  w.Add(kT0, 0);
  w.Add(kT0 + seconds(2), 200);
  ASSERT_TRUE(w.SecondsLeft(200, 1200).has_value());
  EXPECT_DOUBLE_EQ(*w.SecondsLeft(200, 1200), 10);
}

TEST(RateWindowTest, NoSecondsLeftWithoutTotalRateOrWork) {
  RateWindow w;
  EXPECT_FALSE(w.SecondsLeft(0, 100).has_value());  // no rate yet
  w.Add(kT0, 0);
  w.Add(kT0 + seconds(1), 50);
  EXPECT_FALSE(w.SecondsLeft(50, 0).has_value());     // total unknown
  EXPECT_FALSE(w.SecondsLeft(100, 100).has_value());  // done
  EXPECT_FALSE(w.SecondsLeft(150, 100).has_value());  // past an estimated total
}

}  // namespace
}  // namespace diskferry
