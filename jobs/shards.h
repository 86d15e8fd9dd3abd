// Dividing a manifest's jobs into N shards, one per task of a Slurm job array or index of a
// Kubernetes Indexed Job (docs/scale-out.md). Every task divides the manifest itself, so the
// division is a function of the manifest, its vars, N and the jobs' weights only: the same
// on every host that sees the same image files.
//
// Weights: a job weighs the sizes of the files its appliance opens (its disks and their
// backing files), or, given a previous run's report (`--weights REPORT`), what that run
// moved for it. A job without a weight (an image that cannot be read, a job the report
// lacks) weighs the mean of the others; when none has one, every job weighs 1 and the shards
// are balanced by job count.
//
// Jobs that share an output (one writes a path another job writes or reads, or a directory
// that holds it) form one group, and a group is never divided: no two shards write the same
// path. Groups are placed heaviest first, each on the shard that is lightest so far (ties:
// fewer jobs, then the lower index), so the heaviest shard exceeds the mean by at most the
// heaviest group.
//
// Pure apart from the size probe; thread-safe if the probe is.
#ifndef DISKFERRY_JOBS_SHARDS_H_
#define DISKFERRY_JOBS_SHARDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/manifest_spec.h"
#include "protocol/status.h"

namespace diskferry {

inline constexpr int kMaxShards = 10000;

// The size in bytes of a regular file or block device, nullopt when it cannot be read.
using FileSizeProbe = std::function<std::optional<uint64_t>(const std::string& path)>;
std::optional<uint64_t> HostFileSize(const std::string& path);

enum class ShardBasis {
  kImageSize,        // every job's image sizes were read
  kPartlyImageSize,  // some were: the others weigh the mean
  kMeasured,         // a previous run's report weighed every job
  kPartlyMeasured,   // some: the others weigh the mean
  kJobCount,         // no job had a weight: every job weighs 1
};

struct Shard {
  std::vector<size_t> jobs;  // indexes into ManifestSpec::jobs, in manifest order
  uint64_t weight = 0;
};

// Two jobs kept in one shard because of a path they share.
struct ShardTie {
  size_t first = 0;  // job indexes, first < second
  size_t second = 0;
  std::string path;  // the shared path (the outer directory when one holds the other)
};

struct ShardPlan {
  int count = 0;
  ShardBasis basis = ShardBasis::kJobCount;
  std::string measured_by;        // the report behind kMeasured and kPartlyMeasured
  std::vector<uint64_t> weights;  // per job, in manifest order
  std::vector<Shard> shards;      // `count` of them; a shard may have no job
  std::vector<ShardTie> ties;

  // Every shard's job names, by shard index: what each shard's report records so that a
  // merge can tell that all shards divided alike.
  std::vector<std::vector<std::string>> Division(const ManifestSpec& spec) const;
};

// kInvalidArgument for a count outside 1..kMaxShards, and for a job that writes its
// archive to standard output (every shard's task has its own).
Result<ShardPlan> DivideShards(const ManifestSpec& spec, int count,
                               const FileSizeProbe& size = HostFileSize);
// The same, with each job weighed by what the run whose report is `report` measured
// (`measured`: by job name) instead of by its image sizes.
Result<ShardPlan> DivideShardsByMeasure(const ManifestSpec& spec, int count,
                                        const std::map<std::string, uint64_t>& measured,
                                        const std::string& report);

// The division as text, for `diskferry plan --shards N`:
//   shards for FILE: 6 jobs in 3 shards, balanced by image size
//   shard 0/3: 2 jobs, 1.5 GiB: web1, db2
//   shard 2/3: no jobs
//   one shard for web1 and web1-etc: both use /srv/backup/web1
std::string FormatShards(const ManifestSpec& spec, const ShardPlan& plan);

// `spec` with only shard `index`'s jobs, in manifest order.
ManifestSpec ShardOf(const ManifestSpec& spec, const ShardPlan& plan, int index);

// Which shard this process runs.
struct ShardIndex {
  int index = 0;
  int count = 0;
};

// Reads the environment (getenv in production; a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> GetEnv(const std::string& name);

// `--shard ARG` with `--shards N` (0: not given):
//   "I/N"   shard I (0-based) of N; --shards, if given, must be N;
//   "auto"  in a Slurm job array (SLURM_ARRAY_TASK_ID set): I = (ID - SLURM_ARRAY_TASK_MIN)
//           / SLURM_ARRAY_TASK_STEP, N = SLURM_ARRAY_TASK_COUNT (--shards, if given, must
//           agree); else in a Kubernetes Indexed Job: I = JOB_COMPLETION_INDEX and N =
//           --shards, which is then required.
// kInvalidArgument with one line that says what to change.
Result<ShardIndex> ResolveShard(std::string_view arg, int shards, const EnvLookup& env = GetEnv);

// `text` with every "{shard}" replaced by the index: a shard's --report and --resume.
std::string ExpandShardTemplate(std::string_view text, int index);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_SHARDS_H_
