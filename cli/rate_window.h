// RateWindow: the rate of a growing counter (bytes or files done) over the last few seconds,
// and the time left to reach a total at that rate. Fed (time, counter value) samples by
// whoever ticks the display; knows no clock of its own, so tests feed synthetic times.
// Thread-compatible: one owner (the display or JSON ticker, under its lock).
#ifndef DISKFERRY_CLI_RATE_WINDOW_H_
#define DISKFERRY_CLI_RATE_WINDOW_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "runner/run_events.h"

namespace diskferry {

class RateWindow {
 public:
  static constexpr std::chrono::seconds kDefaultSpan{5};
  // At most this many samples are kept; more frequent feeding shortens the window.
  static constexpr size_t kMaxSamples = 64;

  explicit RateWindow(std::chrono::steady_clock::duration span = kDefaultSpan);

  // `value` is the counter's total so far. Samples older than the newest one are ignored,
  // and so is a value below the previous one (counters only grow).
  void Add(SteadyTime time, uint64_t value);

  // Growth per second between the oldest sample still in the window and the newest one; 0
  // with fewer than two samples. A counter that stops growing drops to 0 once the span has
  // passed.
  double PerSecond() const;

  // Seconds to go from `done` to `total` at PerSecond(); nullopt when the total is unknown
  // (0), already reached, or the rate is 0.
  std::optional<double> SecondsLeft(uint64_t done, uint64_t total) const;

 private:
  struct Sample {
    SteadyTime time;
    uint64_t value;
  };
  std::chrono::steady_clock::duration span_;
  std::deque<Sample> samples_;
};

}  // namespace diskferry

#endif  // DISKFERRY_CLI_RATE_WINDOW_H_
