// HostCosts: what an appliance launch and reading through one cost on this host, measured
// by the runs themselves and kept in the cache (DefaultCacheDir()/host-costs.json). The
// runner cuts a job into parts only when each part's reading outweighs a launch
// (SplitWeightFor); `appliance check` shows the figures.
//
// HostCostMeter collects one run's samples; thread-safe. The rest are plain functions.
#ifndef DISKFERRY_SINKS_HOST_COSTS_H_
#define DISKFERRY_SINKS_HOST_COSTS_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

inline constexpr char kHostCostsFile[] = "host-costs.json";
// Bounds on the measured split weight: below, a survey and a launch are never worth it;
// above, a part runs so long that an even split matters more than a launch.
inline constexpr uint64_t kMinSplitWeight = uint64_t{32} << 20;
inline constexpr uint64_t kMaxSplitWeight = uint64_t{4} << 30;
// A split pays its launch, the survey walk and, on a host with few cores, the guests
// slowing each other: with parts of 2 launches' reading a 680 MiB job of 10 000 small
// files ran 1.7x slower on 2 appliances than on one (2 cores, TCG; benchmarks/README.md).
inline constexpr double kSplitLaunches = 4;

struct HostCosts {
  // Opening an appliance for a part: launch, attach, mount (median of the last run's).
  double launch_seconds = 0;
  // Walk weight (partition.h: bytes + kEntryWeight per entry) read per second through
  // one appliance (median of the last run's reading parts).
  double weight_per_second = 0;

  bool measured() const { return launch_seconds > 0 && weight_per_second > 0; }
};

// The weight a part must have to be worth its own appliance: reading it takes
// kSplitLaunches launches' time, within [kMinSplitWeight, kMaxSplitWeight]. `fallback`
// when nothing is measured yet.
uint64_t SplitWeightFor(const HostCosts& costs, uint64_t fallback);

// How many parts one job may be cut into on a host with `cpus` cores: each part's guest
// keeps a core busy (a TCG vCPU, or a KVM one), and the host's own side (writing, hashing)
// needs one. On 2 cores a 40 000-file job ran 1.26x slower on 2 appliances than on one
// (benchmarks/README.md, scaling). At least 1.
int MaxPartsFor(unsigned cpus);

// The figures in `path`, or all zero when it is missing or unreadable (a first run).
HostCosts LoadHostCosts(const std::string& path);
// Writes `costs` to `path` through a temporary file of its own (runs at once write theirs
// apart) and a rename.
Status SaveHostCosts(const std::string& path, const HostCosts& costs);

class HostCostMeter {
 public:
  void AddLaunch(std::chrono::milliseconds took);
  // A part's transfer: samples under half a second are too noisy and are dropped.
  void AddRead(uint64_t weight, std::chrono::milliseconds took);
  // Whether any launch or read was measured: a run that measured nothing leaves the file
  // alone (another run may have written it since this one loaded it).
  bool measured() const;
  // `previous` with each figure this run measured replaced by its median.
  HostCosts Merge(const HostCosts& previous) const;

 private:
  mutable std::mutex mu_;
  std::vector<double> launches_;
  std::vector<double> rates_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_COSTS_H_
