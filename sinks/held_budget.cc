#include "sinks/held_budget.h"

namespace diskferry {

Status HeldBudget::Take(size_t bytes) {
  if (records_ >= limits_.records) {
    return GuestMisbehaved("more than " + std::to_string(limits_.records) + " " + holder_ +
                           " (host memory limit)");
  }
  if (bytes > limits_.bytes || bytes_ > limits_.bytes - bytes) {
    return GuestMisbehaved("more than " + std::to_string(limits_.bytes) + " bytes of " + holder_ +
                           " (host memory limit)");
  }
  ++records_;
  bytes_ += bytes;
  return Status::Ok();
}

void HeldBudget::Give(size_t bytes) {
  if (records_ > 0) --records_;
  bytes_ -= bytes < bytes_ ? bytes : bytes_;
}

}  // namespace diskferry
