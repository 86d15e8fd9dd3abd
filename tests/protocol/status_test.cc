#include "protocol/status.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

TEST(StatusTest, TheSummaryOfAMessageIsItsFirstLine) {
  EXPECT_EQ(MessageSummary("one line"), "one line");
  EXPECT_EQ(MessageSummary("launch failed: x\n  command: qemu\n"), "launch failed: x");
  EXPECT_EQ(MessageSummary(""), "");
  EXPECT_EQ(MessageSummary("\nafter"), "");
}

TEST(StatusTest, ContextGoesBeforeTheWholeMessage) {
  const Status s = Status(Code::kUnavailable, "died\n  details").WithContext("disk.img");
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(MessageSummary(s.message()), "disk.img: died");
}

}  // namespace
}  // namespace diskferry
