// JobMeter: a running job's counters.
#include "runner/run_events.h"

#include <utility>

namespace diskferry {

JobMeter::JobMeter(std::string job, std::string kind, SteadyTime started)
    : job_(std::move(job)), kind_(std::move(kind)), started_(started) {}

// Relaxed order throughout: the counters are independent tallies read for display; nothing
// else is published through them.
void JobMeter::SetTotals(uint64_t files, uint64_t bytes) {
  files_total_.store(files, std::memory_order_relaxed);
  bytes_total_.store(bytes, std::memory_order_relaxed);
}

void JobMeter::AddFiles(uint64_t files, uint64_t bytes) {
  files_.fetch_add(files, std::memory_order_relaxed);
  if (bytes > 0) bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void JobMeter::AddBytes(uint64_t bytes) { bytes_.fetch_add(bytes, std::memory_order_relaxed); }

void JobMeter::SetParts(int running, int total) {
  parts_running_.store(running, std::memory_order_relaxed);
  parts_total_.store(total, std::memory_order_relaxed);
}

JobCounts JobMeter::Read() const {
  JobCounts c;
  c.files = files_.load(std::memory_order_relaxed);
  c.bytes = bytes_.load(std::memory_order_relaxed);
  c.files_total = files_total_.load(std::memory_order_relaxed);
  c.bytes_total = bytes_total_.load(std::memory_order_relaxed);
  c.parts_running = parts_running_.load(std::memory_order_relaxed);
  c.parts_total = parts_total_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace diskferry
