// Splitting one filesystem walk into contiguous ranges of about equal cost, so that several
// appliances can extract parts of the same read-only image at once (docs/architecture.md,
// "Splitting a job").
//
// The input is a Survey of the walk (appliance/guest_types.h): cumulative weights at
// checkpoints, in walk order. An entry weighs its bytes plus a fixed per-entry cost, since
// under TCG a small file costs about as much guest time as 64 KiB of a big one
// (benchmarks/README.md, scaling: 10 000 x 4 KiB files took 2.9 s to read, 256 MiB 1.0 s).
//
// Pure functions; thread-safe.
#ifndef DISKFERRY_RUNNER_PARTITION_H_
#define DISKFERRY_RUNNER_PARTITION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/walk_order.h"

namespace diskferry {

inline constexpr uint64_t kEntryWeight = 64u << 10;
// A part below this weight is not worth its own appliance: a launch costs 2.5-3.5 s under
// TCG, about what 1 GiB of weight takes to read, and a second launch slows the first
// appliance down on a small machine (benchmarks/README.md, scaling).
inline constexpr uint64_t kMinPartWeight = 1ull << 30;

struct WalkCheckpoint {
  std::string path;     // an entry of the walk
  uint64_t weight = 0;  // cumulative weight through that entry
};

// How many parts a walk of `total_weight` should be cut into, given `appliances`.
int PartCountFor(uint64_t total_weight, int appliances, uint64_t min_part_weight = kMinPartWeight);

// Cuts the walk into at most `parts` ranges (protocol/walk_order.h) that together cover it
// exactly once, in walk order: ("", c1], (c1, c2], ..., (ck, ""]. Each cut is the checkpoint
// whose cumulative weight is nearest to total_weight * i / parts; cuts are strictly
// increasing, so fewer ranges come back when checkpoints are too sparse. One range covering
// everything for parts <= 1 or no checkpoints. Checkpoints must be in walk order with
// non-decreasing weights (the caller checked the survey).
std::vector<WalkRange> PartitionWalk(const std::vector<WalkCheckpoint>& checkpoints,
                                     uint64_t total_weight, int parts);

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_PARTITION_H_
