#include "appliance/transfer_progress.h"

#include <algorithm>

namespace diskferry {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

ProgressDeadline::ProgressDeadline(milliseconds deadline, uint32_t max_idle_replies,
                                   SteadyClock clock)
    : deadline_(deadline), max_idle_replies_(max_idle_replies), clock_(std::move(clock)) {
  last_progress_ = Now();
}

steady_clock::time_point ProgressDeadline::Now() const {
  return clock_ ? clock_() : steady_clock::now();
}

milliseconds ProgressDeadline::NextWait(milliseconds call_timeout) {
  const auto left = std::chrono::ceil<milliseconds>(last_progress_ + deadline_ - Now());
  wait_cut_ = left < call_timeout;
  return std::max(milliseconds(1), wait_cut_ ? left : call_timeout);
}

Status ProgressDeadline::OnReply(bool progressed) {
  const steady_clock::time_point now = Now();
  if (progressed) {
    last_progress_ = now;
    idle_replies_ = 0;
    return Status::Ok();
  }
  if (now - last_progress_ >= deadline_) return Expired(now - last_progress_);
  if (++idle_replies_ >= max_idle_replies_) {
    return GuestMisbehaved(std::to_string(idle_replies_) +
                           " replies in a row carried no byte, record or file end");
  }
  return Status::Ok();
}

Status ProgressDeadline::OnWaitFailed(const Status& failure) const {
  if (failure.code() != Code::kTimeout || !wait_cut_) return failure;
  return Expired(Now() - last_progress_);
}

Status ProgressDeadline::Expired(steady_clock::duration still) const {
  return GuestMisbehaved("no new byte, record or file end for " +
                         std::to_string(duration_cast<milliseconds>(still).count()) +
                         " ms (the progress deadline is " + std::to_string(deadline_.count()) +
                         " ms)");
}

}  // namespace diskferry
