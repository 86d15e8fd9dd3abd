#include "jobs/shards.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <system_error>

#include "host/host_path.h"
#include "protocol/byte_count.h"

namespace diskferry {
namespace {

// A path a job uses, lexically normal and without a trailing '/', so that "a/./b/" and
// "a/b" compare equal.
struct UsedPath {
  std::string path;
  bool written = false;
};

std::string Normal(const std::string& path) {
  std::string text = std::filesystem::path(path).lexically_normal().generic_string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

void Add(std::vector<UsedPath>* paths, const HostPath& path, bool written) {
  paths->push_back({Normal(path.path), written});
}

void AddMachine(std::vector<UsedPath>* paths, const MachineSpec& machine, bool written) {
  for (const DiskSpec& disk : machine.disks) {
    Add(paths, disk.image, written);
    for (const HostPath& b : disk.backing) Add(paths, b, false);
  }
  for (const KeySpec& key : machine.keys) Add(paths, key.file, false);
}

void AddForensic(std::vector<UsedPath>* paths, const ForensicOutputSpec& forensic) {
  if (forensic.dfxml) Add(paths, *forensic.dfxml, true);
  if (forensic.bodyfile) Add(paths, *forensic.bodyfile, true);
}

// The host paths `job` reads and writes.
std::vector<UsedPath> PathsOf(const JobSpec& job) {
  std::vector<UsedPath> paths;
  if (const auto* e = std::get_if<ExtractSpec>(&job.task)) {
    AddMachine(&paths, e->source, false);
    if (e->output.kind != OutputKind::kNone && !e->output.to_stdout)
      Add(&paths, e->output.path, true);
    if (e->recover_deleted) Add(&paths, e->output.deleted, true);
    AddForensic(&paths, e->output.forensic);
    if (e->since) Add(&paths, *e->since, true);
  } else if (const auto* l = std::get_if<ListSpec>(&job.task)) {
    AddMachine(&paths, l->source, false);
    if (l->report) Add(&paths, *l->report, true);
    AddForensic(&paths, l->forensic);
  } else if (const auto* v = std::get_if<VerifySpec>(&job.task)) {
    AddMachine(&paths, v->source, false);
    Add(&paths, v->against, false);
    if (v->report) Add(&paths, *v->report, true);
  } else if (const auto* i = std::get_if<InjectSpec>(&job.task)) {
    AddMachine(&paths, i->target, i->in_place);
    if (i->output) Add(&paths, *i->output, true);
    for (const StepSpec& step : i->steps) {
      if (const auto* up = std::get_if<UploadStep>(&step.action)) Add(&paths, up->from, false);
    }
  }
  return paths;
}

// The outer of two paths when they are the same or one holds the other; nullopt otherwise.
std::optional<std::string> Overlap(const std::string& a, const std::string& b) {
  if (a == b) return a;
  auto inside = [](const std::string& inner, const std::string& outer) {
    return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
           (outer.back() == '/' || inner[outer.size()] == '/');
  };
  if (inside(a, b)) return b;
  if (inside(b, a)) return a;
  return std::nullopt;
}

// The first path two jobs share where at least one of them writes it.
std::optional<std::string> SharedOutput(const std::vector<UsedPath>& a,
                                        const std::vector<UsedPath>& b) {
  for (const UsedPath& x : a) {
    for (const UsedPath& y : b) {
      if (!x.written && !y.written) continue;
      if (auto shared = Overlap(x.path, y.path)) return shared;
    }
  }
  return std::nullopt;
}

size_t Root(std::vector<size_t>& parent, size_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

std::vector<std::string> DiskPaths(const JobSpec& job) {
  std::vector<std::string> out;
  std::visit(
      [&](const auto& task) {
        const MachineSpec* machine = nullptr;
        if constexpr (std::is_same_v<std::decay_t<decltype(task)>, InjectSpec>) {
          machine = &task.target;
        } else {
          machine = &task.source;
        }
        for (const DiskSpec& disk : machine->disks) {
          out.push_back(disk.image.path);
          for (const HostPath& b : disk.backing) out.push_back(b.path);
        }
      },
      job.task);
  return out;
}

// Per job: its image sizes, or nullopt when one could not be read.
std::vector<std::optional<uint64_t>> ImageSizes(const ManifestSpec& spec,
                                                const FileSizeProbe& size) {
  std::vector<std::optional<uint64_t>> sizes;
  for (const JobSpec& job : spec.jobs) {
    std::optional<uint64_t> total = 0;
    for (const std::string& path : DiskPaths(job)) {
      const std::optional<uint64_t> s = size(path);
      if (!s) {
        total.reset();
        break;
      }
      *total += *s;
    }
    sizes.push_back(total);
  }
  return sizes;
}

Result<int> Number(std::string_view text, std::string_view what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status(Code::kInvalidArgument,
                  std::string(what) + " is '" + std::string(text) + "', not a number");
  }
  return value;
}

Status CheckIndex(int index, int count, std::string_view source) {
  if (count < 1 || count > kMaxShards) {
    return Status(Code::kInvalidArgument, std::string(source) + ": the shard count must be 1.." +
                                              std::to_string(kMaxShards) + ", not " +
                                              std::to_string(count));
  }
  if (index < 0 || index >= count) {
    return Status(Code::kInvalidArgument, std::string(source) + ": shard " + std::to_string(index) +
                                              " of " + std::to_string(count) +
                                              " does not exist (shards are 0.." +
                                              std::to_string(count - 1) + ")");
  }
  return Status::Ok();
}

Result<ShardIndex> SlurmShard(const std::string& id_text, int shards, const EnvLookup& env) {
  const std::optional<std::string> count_text = env("SLURM_ARRAY_TASK_COUNT");
  if (!count_text) {
    return Status(Code::kInvalidArgument,
                  "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; "
                  "give --shard I/N");
  }
  Result<int> id = Number(id_text, "SLURM_ARRAY_TASK_ID");
  Result<int> count = Number(*count_text, "SLURM_ARRAY_TASK_COUNT");
  Result<int> min = Number(env("SLURM_ARRAY_TASK_MIN").value_or("0"), "SLURM_ARRAY_TASK_MIN");
  Result<int> step = Number(env("SLURM_ARRAY_TASK_STEP").value_or("1"), "SLURM_ARRAY_TASK_STEP");
  for (const Result<int>* r : {&id, &count, &min, &step}) {
    if (!r->ok()) return r->status().WithContext("--shard auto");
  }
  if (*step < 1 || (*id - *min) % *step != 0) {
    return Status(Code::kInvalidArgument, "--shard auto: the job array is not a range (task " +
                                              id_text + "); submit it as --array=0-" +
                                              std::to_string(*count - 1));
  }
  const ShardIndex shard{(*id - *min) / *step, *count};
  if (shards != 0 && shards != shard.count) {
    return Status(Code::kInvalidArgument,
                  "--shards " + std::to_string(shards) + " but the job array has " +
                      std::to_string(shard.count) +
                      " tasks (SLURM_ARRAY_TASK_COUNT): make them agree or leave --shards out");
  }
  if (Status st = CheckIndex(shard.index, shard.count, "--shard auto"); !st.ok()) {
    return Status(st.code(), st.message() + "; submit the array as --array=0-" +
                                 std::to_string(shard.count - 1));
  }
  return shard;
}

}  // namespace

std::optional<uint64_t> HostFileSize(const std::string& path) {
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  if (!fs_path.ok()) return std::nullopt;
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(*fs_path, ec);
  if (ec) return std::nullopt;
  if (st.type() == std::filesystem::file_type::regular) {
    const uintmax_t size = std::filesystem::file_size(*fs_path, ec);
    if (ec) return std::nullopt;
    return static_cast<uint64_t>(size);
  }
  if (st.type() == std::filesystem::file_type::block) {  // its size is where it ends
    std::ifstream in(*fs_path, std::ios::binary);
    in.seekg(0, std::ios::end);
    const std::streamoff end = in ? static_cast<std::streamoff>(in.tellg()) : -1;
    if (end < 0) return std::nullopt;
    return static_cast<uint64_t>(end);
  }
  return std::nullopt;
}

std::vector<std::vector<std::string>> ShardPlan::Division(const ManifestSpec& spec) const {
  std::vector<std::vector<std::string>> out;
  for (const Shard& shard : shards) {
    out.emplace_back();
    for (size_t job : shard.jobs) out.back().push_back(spec.jobs[job].name);
  }
  return out;
}

namespace {

// Weighs the jobs (`raw`: nullopt where unknown) and groups and places them.
Result<ShardPlan> Divide(const ManifestSpec& spec, int count,
                         const std::vector<std::optional<uint64_t>>& raw, bool measured) {
  if (count < 1 || count > kMaxShards) {
    return Status(Code::kInvalidArgument, "the shard count must be 1.." +
                                              std::to_string(kMaxShards) + ", not " +
                                              std::to_string(count));
  }
  if (const JobSpec* job = StdoutJob(spec)) {
    return Status(Code::kInvalidArgument,
                  "job '" + job->name +
                      "' writes its archive to standard output (tar: \"-\"), which every shard "
                      "has its own of: give it a file to write");
  }
  ShardPlan plan;
  plan.count = count;
  const size_t n = spec.jobs.size();
  uint64_t known_total = 0;
  size_t known = 0;
  for (const auto& w : raw) {
    if (w) {
      known_total += *w;
      ++known;
    }
  }
  plan.basis = known == 0 ? ShardBasis::kJobCount
               : known == n
                   ? (measured ? ShardBasis::kMeasured : ShardBasis::kImageSize)
                   : (measured ? ShardBasis::kPartlyMeasured : ShardBasis::kPartlyImageSize);
  const uint64_t mean = known == 0 ? 1 : std::max<uint64_t>(1, known_total / known);
  for (const auto& w : raw) plan.weights.push_back(known == 0 ? 1 : w.value_or(mean));

  // Groups: jobs joined by a shared output.
  std::vector<std::vector<UsedPath>> paths;
  for (const JobSpec& job : spec.jobs) paths.push_back(PathsOf(job));
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = a + 1; b < n; ++b) {
      std::optional<std::string> shared = SharedOutput(paths[a], paths[b]);
      if (!shared) continue;
      plan.ties.push_back({a, b, *shared});
      parent[Root(parent, b)] = Root(parent, a);
    }
  }
  struct Group {
    std::vector<size_t> jobs;
    uint64_t weight = 0;
  };
  std::vector<Group> groups;
  std::vector<size_t> group_of(n, SIZE_MAX);
  for (size_t j = 0; j < n; ++j) {
    const size_t root = Root(parent, j);
    if (group_of[root] == SIZE_MAX) {
      group_of[root] = groups.size();
      groups.emplace_back();
    }
    Group& g = groups[group_of[root]];
    g.jobs.push_back(j);
    g.weight += plan.weights[j];
  }
  // Groups are in order of their first job, so a stable sort breaks ties by manifest order.
  std::stable_sort(groups.begin(), groups.end(),
                   [](const Group& a, const Group& b) { return a.weight > b.weight; });
  plan.shards.resize(static_cast<size_t>(count));
  for (const Group& g : groups) {
    Shard* lightest = &plan.shards.front();
    for (Shard& s : plan.shards) {
      if (s.weight < lightest->weight ||
          (s.weight == lightest->weight && s.jobs.size() < lightest->jobs.size())) {
        lightest = &s;
      }
    }
    lightest->jobs.insert(lightest->jobs.end(), g.jobs.begin(), g.jobs.end());
    lightest->weight += g.weight;
  }
  for (Shard& s : plan.shards) std::sort(s.jobs.begin(), s.jobs.end());
  return plan;
}

}  // namespace

Result<ShardPlan> DivideShards(const ManifestSpec& spec, int count, const FileSizeProbe& size) {
  return Divide(spec, count, ImageSizes(spec, size), false);
}

Result<ShardPlan> DivideShardsByMeasure(const ManifestSpec& spec, int count,
                                        const std::map<std::string, uint64_t>& measured,
                                        const std::string& report) {
  std::vector<std::optional<uint64_t>> raw;
  for (const JobSpec& job : spec.jobs) {
    auto it = measured.find(job.name);
    raw.push_back(it == measured.end() ? std::nullopt : std::optional<uint64_t>(it->second));
  }
  Result<ShardPlan> plan = Divide(spec, count, raw, true);
  if (plan.ok()) plan->measured_by = report;
  return plan;
}

std::string FormatShards(const ManifestSpec& spec, const ShardPlan& plan) {
  std::string basis;
  switch (plan.basis) {
    case ShardBasis::kImageSize:
      basis = "balanced by image size";
      break;
    case ShardBasis::kPartlyImageSize:
      basis = "balanced by image size (jobs whose images could not be read count as the mean)";
      break;
    case ShardBasis::kMeasured:
      basis = "balanced by what " + plan.measured_by + " measured";
      break;
    case ShardBasis::kPartlyMeasured:
      basis =
          "balanced by what " + plan.measured_by + " measured (jobs it lacks count as the mean)";
      break;
    case ShardBasis::kJobCount:
      basis = "balanced by job count (no job could be weighed)";
      break;
  }
  std::string out = "shards for " + spec.file + ": " + std::to_string(spec.jobs.size()) +
                    " jobs in " + std::to_string(plan.count) + " shards, " + basis + "\n";
  for (size_t i = 0; i < plan.shards.size(); ++i) {
    const Shard& s = plan.shards[i];
    out += "shard " + std::to_string(i) + "/" + std::to_string(plan.count) + ": ";
    if (s.jobs.empty()) {
      out += "no jobs\n";
      continue;
    }
    out += std::to_string(s.jobs.size()) + (s.jobs.size() == 1 ? " job, " : " jobs, ") +
           (plan.basis == ShardBasis::kJobCount ? std::to_string(s.weight) + " by count"
                                                : FormatBytes(s.weight)) +
           ":";
    for (size_t k = 0; k < s.jobs.size(); ++k) {
      out += (k == 0 ? " " : ", ") + spec.jobs[s.jobs[k]].name;
    }
    out += "\n";
  }
  for (const ShardTie& tie : plan.ties) {
    out += "one shard for " + spec.jobs[tie.first].name + " and " + spec.jobs[tie.second].name +
           ": both use " + tie.path + "\n";
  }
  return out;
}

ManifestSpec ShardOf(const ManifestSpec& spec, const ShardPlan& plan, int index) {
  ManifestSpec out = spec;
  out.jobs.clear();
  for (size_t job : plan.shards[static_cast<size_t>(index)].jobs)
    out.jobs.push_back(spec.jobs[job]);
  return out;
}

std::optional<std::string> GetEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<ShardIndex> ResolveShard(std::string_view arg, int shards, const EnvLookup& env) {
  if (arg == "auto") {
    if (std::optional<std::string> id = env("SLURM_ARRAY_TASK_ID")) {
      return SlurmShard(*id, shards, env);
    }
    std::optional<std::string> index = env("JOB_COMPLETION_INDEX");
    if (!index) {
      return Status(Code::kInvalidArgument,
                    "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor "
                    "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard I/N");
    }
    if (shards == 0) {
      return Status(Code::kInvalidArgument,
                    "--shard auto in a Kubernetes Indexed Job needs --shards N, N being the "
                    "Job's completions");
    }
    Result<int> i = Number(*index, "JOB_COMPLETION_INDEX");
    if (!i.ok()) return i.status().WithContext("--shard auto");
    if (Status st = CheckIndex(*i, shards, "--shard auto"); !st.ok()) return st;
    return ShardIndex{*i, shards};
  }
  const size_t slash = arg.find('/');
  const std::string usage =
      "--shard: expected I/N (0-based: 0/3, 1/3, 2/3) or auto, not '" + std::string(arg) + "'";
  if (slash == std::string_view::npos) return Status(Code::kInvalidArgument, usage);
  Result<int> i = Number(arg.substr(0, slash), "I");
  Result<int> n = Number(arg.substr(slash + 1), "N");
  if (!i.ok() || !n.ok()) return Status(Code::kInvalidArgument, usage);
  if (Status st = CheckIndex(*i, *n, "--shard " + std::string(arg)); !st.ok()) return st;
  if (shards != 0 && shards != *n) {
    return Status(Code::kInvalidArgument, "--shards " + std::to_string(shards) + " but --shard " +
                                              std::string(arg) + ": leave --shards out");
  }
  return ShardIndex{*i, *n};
}

std::string ExpandShardTemplate(std::string_view text, int index) {
  static constexpr std::string_view kMark = "{shard}";
  std::string out;
  size_t at = 0;
  for (size_t found; (found = text.find(kMark, at)) != std::string_view::npos;
       at = found + kMark.size()) {
    out.append(text.substr(at, found - at));
    out += std::to_string(index);
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace diskferry
