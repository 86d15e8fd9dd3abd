// ProgressDeadline: how a transfer decides, by the host's own clock, that the guest has
// stopped making progress. The guest's heartbeat (protocol/shm_layout.h) plays no part: a
// guest can tick it while sending nothing. Progress is a reply that carries a new byte, a
// new record or the end of a file; a transfer fails when
//   - `deadline` passes without progress (whatever the guest sends meanwhile, and also
//     while it sends nothing at all: each wait for a reply is cut to the time left), or
//   - `max_idle_replies` replies in a row carry no progress (an honest daemon answers
//     empty only while every buffer is with the host, one or two replies at a time).
// Both are kProtocolError "protocol error: the appliance misbehaved: ...".
//
// The clock is injectable so that tests need no sleeps. Thread-compatible.
#ifndef DISKFERRY_APPLIANCE_TRANSFER_PROGRESS_H_
#define DISKFERRY_APPLIANCE_TRANSFER_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "protocol/status.h"

namespace diskferry {

// The default of TransferOptions::progress_deadline: as long as the call timeout, since
// every honest reply carries progress within one call.
inline constexpr std::chrono::milliseconds kDefaultProgressDeadline = std::chrono::seconds(120);
// The default of TransferOptions::max_idle_replies.
inline constexpr uint32_t kDefaultMaxIdleReplies = 64;

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

class ProgressDeadline {
 public:
  // `clock` null: std::chrono::steady_clock::now. The deadline starts now.
  ProgressDeadline(std::chrono::milliseconds deadline, uint32_t max_idle_replies,
                   SteadyClock clock);

  // How long the next wait for a reply may last: `call_timeout`, cut to the time the
  // deadline leaves (at least 1 ms).
  std::chrono::milliseconds NextWait(std::chrono::milliseconds call_timeout);

  // A reply arrived; `progressed`: it carried a new byte, record or file end. Fails when
  // the deadline has passed or too many replies in a row were idle.
  Status OnReply(bool progressed);

  // The last wait of NextWait() failed with `failure`: a timeout of a wait the deadline
  // cut short becomes the deadline's protocol error; anything else is returned as is.
  Status OnWaitFailed(const Status& failure) const;

 private:
  std::chrono::steady_clock::time_point Now() const;
  Status Expired(std::chrono::steady_clock::duration still) const;

  std::chrono::milliseconds deadline_;
  uint32_t max_idle_replies_;
  SteadyClock clock_;
  std::chrono::steady_clock::time_point last_progress_;
  uint32_t idle_replies_ = 0;
  bool wait_cut_ = false;  // the last NextWait() was cut by the deadline
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_TRANSFER_PROGRESS_H_
