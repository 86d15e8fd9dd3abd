#include "cli/rate_window.h"

namespace diskferry {

RateWindow::RateWindow(std::chrono::steady_clock::duration span) : span_(span) {}

void RateWindow::Add(SteadyTime time, uint64_t value) {
  if (!samples_.empty() && (time < samples_.back().time || value < samples_.back().value)) {
    return;
  }
  samples_.push_back({time, value});
  // Keep one sample at or before the window's start, so the rate spans the whole window
  // rather than jumping when the oldest sample falls out.
  while (samples_.size() > 2 && samples_[1].time <= time - span_) samples_.pop_front();
  while (samples_.size() > kMaxSamples) samples_.pop_front();
}

double RateWindow::PerSecond() const {
  if (samples_.size() < 2) return 0;
  const Sample& first = samples_.front();
  const Sample& last = samples_.back();
  const double seconds = std::chrono::duration<double>(last.time - first.time).count();
  if (seconds <= 0) return 0;
  return static_cast<double>(last.value - first.value) / seconds;
}

std::optional<double> RateWindow::SecondsLeft(uint64_t done, uint64_t total) const {
  const double rate = PerSecond();
  if (total == 0 || done >= total || rate <= 0) return std::nullopt;
  return static_cast<double>(total - done) / rate;
}

}  // namespace diskferry
