// HeldBudget: what one sink may keep in host memory on the strength of guest records that
// it has not written yet (entries waiting for a stream file's end, dropped directories kept
// as possible parents, hard links waiting for their target, paths remembered to check
// later records against). An honest walk needs little of it: what the lanes hold in flight
// (docs/protocol.md), or one entry per directory or per linked file of the tree. A guest
// that repeats records, or announces a stream file that never ends and keeps sending, would
// otherwise grow host memory without writing anything; past the budget the transfer stops
// with kProtocolError "protocol error: the appliance misbehaved: ..." (docs/security.md, "Host
// memory and recursion limits").
//
// Value type, no locking: each sink owns one and uses it from its own thread.
#ifndef DISKFERRY_SINKS_HELD_BUDGET_H_
#define DISKFERRY_SINKS_HELD_BUDGET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/status.h"

namespace diskferry {

// Entries one sink may hold at once (about 100 bytes each besides their path).
inline constexpr uint64_t kMaxHeldRecords = uint64_t{1} << 20;
// Path, target and xattr bytes one sink may hold at once.
inline constexpr uint64_t kMaxHeldBytes = uint64_t{256} << 20;

struct HeldLimits {
  uint64_t records = kMaxHeldRecords;
  uint64_t bytes = kMaxHeldBytes;
};

class HeldBudget {
 public:
  // `holder` names what holds the entries in the error ("entries waiting for their turn").
  explicit HeldBudget(std::string holder, HeldLimits limits = {})
      : holder_(std::move(holder)), limits_(limits) {}

  // One more entry of `bytes`. Past either limit nothing is taken and the result is
  // GuestMisbehaved("more than N HOLDER held (LIMIT)").
  Status Take(size_t bytes);
  // An entry of `bytes` taken earlier is gone.
  void Give(size_t bytes);

  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }
  const HeldLimits& limits() const { return limits_; }

 private:
  std::string holder_;
  HeldLimits limits_;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HELD_BUDGET_H_
