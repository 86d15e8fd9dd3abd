#include "runner/partition.h"

#include <algorithm>

namespace diskferry {

int PartCountFor(uint64_t total_weight, int appliances, uint64_t min_part_weight) {
  if (appliances <= 1 || min_part_weight == 0) return 1;
  const uint64_t by_weight = total_weight / min_part_weight;
  return static_cast<int>(std::clamp<uint64_t>(by_weight, 1, static_cast<uint64_t>(appliances)));
}

namespace {

uint64_t Distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

// The index of the checkpoint nearest to `target` among [first, size), or size when none.
size_t NearestCheckpoint(const std::vector<WalkCheckpoint>& checkpoints, size_t first,
                         uint64_t target) {
  auto it =
      std::lower_bound(checkpoints.begin() + static_cast<std::ptrdiff_t>(first), checkpoints.end(),
                       target, [](const WalkCheckpoint& c, uint64_t w) { return c.weight < w; });
  size_t best = static_cast<size_t>(it - checkpoints.begin());
  if (best > first &&
      (best == checkpoints.size() || Distance(checkpoints[best - 1].weight, target) <=
                                         Distance(checkpoints[best].weight, target))) {
    --best;
  }
  return best;
}

}  // namespace

std::vector<WalkRange> PartitionWalk(const std::vector<WalkCheckpoint>& checkpoints,
                                     uint64_t total_weight, int parts) {
  std::vector<std::string> cuts;
  size_t next = 0;
  for (int i = 1; i < parts && next < checkpoints.size(); ++i) {
    const uint64_t target =
        static_cast<uint64_t>((static_cast<unsigned __int128>(total_weight) * i) / parts);
    const size_t at = NearestCheckpoint(checkpoints, next, target);
    if (at >= checkpoints.size()) break;
    // A cut at the very end would leave an empty last range.
    if (checkpoints[at].weight >= total_weight) break;
    cuts.push_back(checkpoints[at].path);
    next = at + 1;
  }
  std::vector<WalkRange> ranges;
  std::string after;
  for (std::string& cut : cuts) {
    ranges.push_back(WalkRange{after, cut});
    after = std::move(cut);
  }
  ranges.push_back(WalkRange{after, ""});
  return ranges;
}

}  // namespace diskferry
