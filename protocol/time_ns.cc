#include "protocol/time_ns.h"

#include <limits>

namespace diskferry {
namespace {

constexpr int64_t kNsPerSecond = 1000000000;

}  // namespace

int64_t TimespecToNs(const timespec& ts) {
  int64_t ns = 0;
  if (__builtin_mul_overflow(static_cast<int64_t>(ts.tv_sec), kNsPerSecond, &ns) ||
      __builtin_add_overflow(ns, static_cast<int64_t>(ts.tv_nsec), &ns)) {
    return ts.tv_sec < 0 ? std::numeric_limits<int64_t>::min()
                         : std::numeric_limits<int64_t>::max();
  }
  return ns;
}

timespec NsToTimespec(int64_t ns) {
  int64_t sec = ns / kNsPerSecond;
  int64_t rem = ns % kNsPerSecond;
  if (rem < 0) {
    rem += kNsPerSecond;
    --sec;
  }
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(sec);
  ts.tv_nsec = static_cast<long>(rem);
  return ts;
}

}  // namespace diskferry
