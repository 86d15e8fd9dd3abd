// Walking jobs (extract, list, verify): planning the parts and running each part's
// attempts. run_tasks.h has the task structure; walk_job_finish.cc ends the job.
#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>
#include <thread>

#include "appliance/transfer.h"
#include "host/host_path.h"
#include "runner/partition.h"
#include "runner/run_tasks.h"
#include "sinks/hashing_sink.h"
#include "sinks/host_file.h"
#include "sinks/ordering_sink.h"
#include "sinks/selecting_sink.h"
#include "sinks/tar_sink.h"

namespace diskferry {
namespace {

const MachineSpec& SourceOf(const JobSpec& job) {
  return std::visit(
      [](const auto& t) -> const MachineSpec& {
        if constexpr (std::is_same_v<std::decay_t<decltype(t)>, InjectSpec>) {
          return t.target;
        } else {
          return t.source;
        }
      },
      job.task);
}

const ExtractSpec* ExtractOf(const JobRun& job) { return std::get_if<ExtractSpec>(&job.job.task); }

std::vector<std::string> HashNames(const std::vector<HashAlgorithm>& hashes) {
  std::vector<std::string> names;
  for (HashAlgorithm h : hashes) names.emplace_back(HashName(h));
  return names;
}

// Verify hashes what the previous run hashed.
Result<std::vector<std::string>> VerifyHashNames(const VerifySpec& spec) {
  std::set<std::string> seen;
  Status st = ForEachFileRecord(spec.against.path, "", [&](FileRecord r) {
    for (const auto& [name, hex] : r.hashes) seen.insert(name);
  });
  if (!st.ok()) return st.WithContext("verify: against");
  return std::vector<std::string>(seen.begin(), seen.end());
}

// The output of an extract job, checked against on_exists. *skip: the job has nothing to do.
Status PrepareOutput(const ExtractOutputSpec& out, bool resumed, bool* skip) {
  // Nothing on disk to check or make (the listings are made at the job's end).
  if (out.to_stdout || out.kind == OutputKind::kNone) return Status::Ok();
  Result<std::filesystem::path> path = HostFsPath(out.path.path);
  if (!path.ok()) return path.status();
  std::error_code ec;
  const bool exists = std::filesystem::exists(*path, ec);
  if (!exists) {
    if (Status st = MakeOutputParents(out.path); !st.ok()) return st;
  }
  if (resumed) {  // the interrupted run made it
    if (out.kind == OutputKind::kDir && !exists) {
      if (int err = MakeHostDirectory(out.path.path); err != 0) {
        return ErrnoStatus(err, out.path.text);
      }
    }
    return Status::Ok();
  }
  if (out.kind == OutputKind::kTar) {
    if (exists && out.on_exists == OnExistsPolicy::kFail) {
      return Status(Code::kInvalidArgument, out.path.text + ": exists (on_exists: fail)");
    }
    *skip = exists && out.on_exists == OnExistsPolicy::kSkip;
    return Status::Ok();
  }
  if (!exists) {
    if (int err = MakeHostDirectory(out.path.path); err != 0)
      return ErrnoStatus(err, out.path.text);
  }
  // An empty directory is as good as a new one; anything else is in the way.
  if (exists && out.on_exists == OnExistsPolicy::kFail &&
      !(std::filesystem::is_directory(*path, ec) && std::filesystem::is_empty(*path, ec))) {
    return Status(Code::kInvalidArgument,
                  out.path.text + ": exists and is not empty (on_exists: fail)");
  }
  return Status::Ok();
}

// Incremental: the previous run's records of this job; deleted ones are gone.
Status LoadPrevious(const ExtractSpec& spec, JobRun& job) {
  if (!spec.since) return Status::Ok();
  std::error_code ec;
  Result<std::filesystem::path> baseline = HostFsPath(spec.since->path);
  if (baseline.ok() && !std::filesystem::exists(*baseline, ec) && !ec) {
    job.full_run = true;  // the first run: everything, and it becomes the baseline
    return Status::Ok();
  }
  Status st = ForEachFileRecord(spec.since->path, job.job.name, [&](FileRecord r) {
    if (r.status == "deleted") {
      job.previous.erase(r.path);
    } else {
      std::string path = r.path;
      job.previous[std::move(path)] = std::move(r);
    }
  });
  return st.ok() ? st : st.WithContext("incremental: since");
}

// Surveys the walk and cuts it into parts (one when the tree is small or splitting is off).
// The guest counts only what the job selects, so the totals and the weights are the job's.
std::vector<WalkRange> PlanParts(RunShared& run, JobRun& job, ImageSession& session) {
  const bool splittable = run.split && run.appliances > 1 && !WritesTarOutput(job);
  auto survey = session.appliance().control().Survey(
      "/", 1u << 20, kEntryWeight, std::chrono::seconds(120), SelectOfWalk(job.job).patterns());
  if (!survey.ok()) {
    run.events.Log(LogLevel::kWarning,
                   job.job.name + ": survey failed, not split: " + survey.status().ToString());
    return {WalkRange{}};
  }
  job.meter->SetTotals(survey->files, survey->bytes);
  if (!splittable) return {WalkRange{}};
  // A --min-part given by the user says splitting pays here: then every appliance counts.
  const int usable =
      run.options.min_part_weight
          ? run.appliances
          : std::min(run.appliances, MaxPartsFor(std::thread::hardware_concurrency()));
  const int parts = PartCountFor(survey->weight, usable, run.split_weight);
  std::vector<WalkCheckpoint> checkpoints;
  for (const auto& c : survey->checkpoints) checkpoints.push_back({c.path, c.weight});
  return PartitionWalk(checkpoints, survey->weight, parts);
}

Status PrepareWalk(JobRun& job, bool* skip) {
  if (const ExtractSpec* e = ExtractOf(job)) {
    if (Status st = PrepareOutput(e->output, job.resumed, skip); !st.ok() || *skip) return st;
    if (e->recover_deleted) {
      ExtractOutputSpec deleted = e->output;
      deleted.path = e->output.deleted;
      bool ignored = false;
      if (Status st = PrepareOutput(deleted, job.resumed, &ignored); !st.ok()) {
        return st.WithContext("deleted");
      }
    }
    if (Status st = LoadPrevious(*e, job); !st.ok()) return st;
    job.hash_names = HashNames(e->hashes);
  } else if (const auto* l = std::get_if<ListSpec>(&job.job.task)) {
    job.hash_names = HashNames(l->hashes);
  } else {
    auto names = VerifyHashNames(std::get<VerifySpec>(job.job.task));
    if (!names.ok()) return names.status();
    job.hash_names = std::move(*names);
  }
  return Status::Ok();
}

}  // namespace

void PrepareWalkConfig(RunShared& run, JobRun& job) {
  auto config = SessionConfigFor(SourceOf(job.job), false, run, job);
  if (config.ok()) {
    job.config = std::move(*config);
  } else {
    job.config_error = config.status();
  }
}

const PathSelector& SelectOfWalk(const JobSpec& job) {
  if (const auto* e = std::get_if<ExtractSpec>(&job.task)) return e->select;
  if (const auto* l = std::get_if<ListSpec>(&job.task)) return l->select;
  return std::get<VerifySpec>(job.task).select;
}

bool WritesTarOutput(const JobRun& job) {
  const ExtractSpec* e = ExtractOf(job);
  return e != nullptr && e->output.kind == OutputKind::kTar;
}

bool WritesStdoutTar(const JobRun& job) {
  const ExtractSpec* e = ExtractOf(job);
  return e != nullptr && e->output.to_stdout;
}

HostSafety SafetyFor(const PreserveSpec& preserve) {
  HostSafety safety;
  safety.devices = preserve.devices;
  safety.setuid = preserve.setuid;
  safety.xattrs = preserve.all_xattrs ? XattrScope::kAll
                  : preserve.xattrs   ? XattrScope::kUser
                                      : XattrScope::kNone;
  return safety;
}

HostWriterOptions WriterOptionsFor(const ExtractOutputSpec& out) {
  HostWriterOptions options;
  options.safety = SafetyFor(out.preserve);
  options.preserve_owner = out.preserve.owner ? OwnerPolicy::kAuto : OwnerPolicy::kNever;
  options.on_exists =
      out.on_exists == OnExistsPolicy::kSkip ? OnExists::kKeep : OnExists::kOverwrite;
  options.defer_directories = true;
  options.preserve_mode = out.preserve.mode;
  options.preserve_times = out.preserve.times;
  return options;
}

void StartWalkJob(RunShared& run, JobRun& job) {
  job.parts_left = 1;
  bool skip = false;
  Status st = PrepareWalk(job, &skip);
  if (!st.ok() || skip) {
    if (skip) job.outcome.status = JobStatus::kSkipped;
    return EndPart(run, job, st);
  }
  StartEvidence(run, job);
  if (!job.config_error.ok()) return EndPart(run, job, job.config_error);
  auto saved = run.journal.LoadPlan(job.job.name);
  if (!saved.ok()) return EndPart(run, job, saved.status());
  auto lease = AcquireWithRetries(job.config, run, job);
  if (!lease.ok()) return EndPart(run, job, lease.status());
  NoteMounted(run, job, lease->session());
  if (saved->has_value()) {
    job.parts = std::move(**saved);
  } else {
    job.parts = PlanParts(run, job, lease->session());
    if (Status s = run.journal.SavePlan(job.job.name, job.parts); !s.ok())
      return EndPart(run, job, s);
  }
  job.parts_left = job.parts.size();
  if (job.parts.size() > 1) {
    run.events.Log(LogLevel::kInfo,
                   job.job.name + ": split into " + std::to_string(job.parts.size()) + " parts");
  }
  job.meter->SetParts(1, static_cast<int>(job.parts.size()));
  for (size_t k = 1; k < job.parts.size(); ++k) run.schedule(job.index, k);
  RunWalkPart(run, job, 0, std::move(*lease));
}

}  // namespace diskferry
