// Nanosecond times and timespecs (protocol/time_ns.h), as both ends convert them.
#include "protocol/time_ns.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace diskferry {
namespace {

TEST(TimeNsTest, ConvertsBothWays) {
  EXPECT_EQ(TimespecToNs(NsToTimespec(1700000000123456789)), 1700000000123456789);
  const timespec ts = NsToTimespec(1700000000123456789);
  EXPECT_EQ(ts.tv_sec, 1700000000);
  EXPECT_EQ(ts.tv_nsec, 123456789);
}

TEST(TimeNsTest, TimesBeforeTheEpochFloor) {
  const timespec before_epoch = NsToTimespec(-1);
  EXPECT_EQ(before_epoch.tv_sec, -1);
  EXPECT_EQ(before_epoch.tv_nsec, 999999999);
  EXPECT_EQ(TimespecToNs(before_epoch), -1);
  const timespec earlier = NsToTimespec(-1500000000);
  EXPECT_EQ(earlier.tv_sec, -2);
  EXPECT_EQ(earlier.tv_nsec, 500000000);
}

TEST(TimeNsTest, SaturatesInsteadOfOverflowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  timespec late{};
  late.tv_sec = static_cast<time_t>(kMax / 2);
  EXPECT_EQ(TimespecToNs(late), kMax);
  timespec early{};
  early.tv_sec = static_cast<time_t>(kMin / 2);
  EXPECT_EQ(TimespecToNs(early), kMin);
}

}  // namespace
}  // namespace diskferry
