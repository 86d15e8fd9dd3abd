// ProgressDeadline on a clock the test moves by hand.
#include "appliance/transfer_progress.h"

#include <gtest/gtest.h>

#include <memory>

namespace diskferry {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

struct ManualClock {
  std::shared_ptr<steady_clock::time_point> now = std::make_shared<steady_clock::time_point>();
  SteadyClock clock() const {
    return [now = now] { return *now; };
  }
  void Advance(std::chrono::milliseconds d) const { *now += d; }
};

TEST(ProgressDeadlineTest, IdleRepliesAreCountedInARowAndProgressStartsTheCountAgain) {
  ManualClock c;
  ProgressDeadline p(1h, 3, c.clock());
  EXPECT_TRUE(p.OnReply(false).ok());
  EXPECT_TRUE(p.OnReply(false).ok());
  EXPECT_TRUE(p.OnReply(true).ok());
  EXPECT_TRUE(p.OnReply(false).ok());
  EXPECT_TRUE(p.OnReply(false).ok());
  const Status third = p.OnReply(false);
  EXPECT_EQ(third.code(), Code::kProtocolError);
  EXPECT_EQ(third.message(),
            "protocol error: the appliance misbehaved: 3 replies in a row carried no byte, "
            "record or file end");
}

TEST(ProgressDeadlineTest, TheDeadlineRunsFromTheLastProgressNotTheLastReply) {
  ManualClock c;
  ProgressDeadline p(10s, 1000, c.clock());
  c.Advance(9s);
  EXPECT_TRUE(p.OnReply(true).ok());  // progress at 9 s: the deadline moves to 19 s
  c.Advance(9s);
  EXPECT_TRUE(p.OnReply(false).ok());  // 18 s
  c.Advance(1s);
  const Status late = p.OnReply(false);  // 19 s: 10 s since the last progress
  EXPECT_EQ(late.message(),
            "protocol error: the appliance misbehaved: no new byte, record or file end for "
            "10000 ms (the progress deadline is 10000 ms)");
}

TEST(ProgressDeadlineTest, AWaitIsCutToTheTimeTheDeadlineLeaves) {
  ManualClock c;
  ProgressDeadline p(10s, 1000, c.clock());
  EXPECT_EQ(p.NextWait(3s), 3s);  // the call timeout binds
  c.Advance(8s);
  EXPECT_EQ(p.NextWait(3s), 2s);  // the deadline binds
  const Status timeout(Code::kTimeout, "no reply on the control channel in time");
  c.Advance(2s);
  EXPECT_EQ(p.OnWaitFailed(timeout).code(), Code::kProtocolError);
}

TEST(ProgressDeadlineTest, OtherWaitFailuresAreReturnedAsTheyAre) {
  ManualClock c;
  ProgressDeadline p(10s, 1000, c.clock());
  EXPECT_EQ(p.NextWait(3s), 3s);
  c.Advance(3s);
  const Status timeout(Code::kTimeout, "no reply on the control channel in time");
  EXPECT_EQ(p.OnWaitFailed(timeout).code(), Code::kTimeout);  // the call timeout's own
  const Status closed(Code::kUnavailable, "control channel closed by the peer");
  EXPECT_EQ(p.OnWaitFailed(closed).code(), Code::kUnavailable);
}

}  // namespace
}  // namespace diskferry
