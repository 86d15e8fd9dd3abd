#include "jobs/validator.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "host/host_path.h"
#include "jobs/did_you_mean.h"
#include "jobs/field_reader.h"
#include "jobs/manifest_keys.h"
#include "jobs/manifest_parser.h"

namespace diskferry {
namespace {

namespace keys = manifest_keys;

bool IsJobName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || !alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

void CheckVersion(const ManifestConfig& config, FieldReader& top) {
  if (!config.version.present) {
    top.Error(SourceMark{config.file, 1, 1}, "missing 'version' (write version: 1)");
    return;
  }
  std::optional<std::string> version = top.Text(config.version);
  if (version && *version != "1") {
    top.Error(config.version.mark,
              "version: this diskferry reads version 1 manifests, found '" + *version + "'");
  }
}

// An int in [min, max] written as `key`; nullopt when absent or wrong (reported).
std::optional<int> IntInRange(const Scalar& s, std::string_view key, int min, int max,
                              FieldReader& top) {
  int64_t n = min - int64_t{1};
  top.Int(s, key, min, &n);
  if (n < min) return std::nullopt;
  if (n > max) {
    top.Error(s.mark, std::string(key) + ": at most " + std::to_string(max) + ", found " +
                          std::to_string(n));
    return std::nullopt;
  }
  return static_cast<int>(n);
}

RunSpec ValidateRun(const RunConfig& run, FieldReader& top) {
  RunSpec spec;
  spec.max_parallel = IntInRange(run.max_parallel, "max_parallel", 1, RunSpec::kMaxParallel, top);
  top.Bool(run.fail_fast, "fail_fast", &spec.fail_fast);
  spec.retries = IntInRange(run.retries, "retries", 0, RunSpec::kMaxRetries, top)
                     .value_or(RunSpec::kDefaultRetries);
  top.Bool(run.split, "split", &spec.split);
  return spec;
}

// `case:`: each field's text, variables expanded.
CaseSpec ValidateCase(const CaseConfig& c, FieldReader& top) {
  CaseSpec spec;
  auto text = [&](const Scalar& s) { return s.present ? top.Text(s).value_or("") : ""; };
  spec.id = text(c.id);
  spec.examiner = text(c.examiner);
  spec.evidence_id = text(c.evidence_id);
  spec.notes = text(c.notes);
  return spec;
}

// The job's name, checked and unique; "" when it has none that can be used.
std::string NameOf(const JobConfig& job, FieldReader& top,
                   std::map<std::string, SourceMark>* seen) {
  if (!top.Require(job.name, "name", "unique within the manifest", job.mark)) return "";
  std::optional<std::string> name = top.NonEmpty(job.name, "name");
  if (!name) return "";
  if (!IsJobName(*name)) {
    top.Error(job.name.mark, "name: '" + *name +
                                 "' must be letters, digits, '.', '_' and '-', "
                                 "starting with a letter or digit");
    return "";
  }
  if (auto [it, inserted] = seen->emplace(*name, job.name.mark); !inserted) {
    top.Error(job.name.mark, "name: duplicate job name '" + *name + "' (first at line " +
                                 std::to_string(it->second.line) + ")");
  }
  return *name;
}

// The kind is literal: the parser chose the job's keys by it.
std::optional<JobKind> KindOf(const JobConfig& job, FieldReader& top) {
  if (!top.Require(job.kind, "kind", "extract, inject, verify or list", job.mark)) {
    return std::nullopt;
  }
  for (size_t i = 0; i < std::size(keys::kKinds); ++i) {
    if (job.kind.text == keys::kKinds[i]) return static_cast<JobKind>(i);
  }
  top.Error(job.kind.mark, "kind: unknown job kind '" + job.kind.text + "'" +
                               UnknownWordHint(job.kind.text, keys::kKinds));
  return std::nullopt;
}

// Standard output carries one archive: a second `tar: "-"` is an error at its value.
void CheckOneStdoutJob(const JobSpec& job, const JobConfig& config, FieldReader& top,
                       std::string* first) {
  const auto* e = std::get_if<ExtractSpec>(&job.task);
  if (e == nullptr || !e->output.to_stdout) return;
  if (first->empty()) {
    *first = job.name;
    return;
  }
  top.Error(config.output.tar.mark, "tar: job '" + *first +
                                        "' already writes its archive to standard output; at "
                                        "most one job of a run may");
}

void ValidateJobs(const ManifestConfig& config, const VarTable& vars, const std::string& base_dir,
                  const ValidateOptions& options, Diagnostics* diagnostics, ManifestSpec* spec) {
  FieldReader top(vars, "", base_dir, options, diagnostics);
  if (config.jobs_mark.line == 0) {
    top.Error(SourceMark{config.file, 1, 1}, "missing 'jobs' (a list of jobs)");
  }
  std::map<std::string, SourceMark> seen;
  std::string stdout_job;
  for (const JobConfig& job : config.jobs) {
    const std::string name = NameOf(job, top, &seen);
    const std::optional<JobKind> kind = KindOf(job, top);
    if (!kind) continue;
    const JobConfig merged = MergeDefaults(config.defaults, job, *kind);
    // An unusable name still expands ${job}: the job's other problems are worth reporting.
    FieldReader fields(vars, name.empty() ? "unnamed" : name, base_dir, options, diagnostics);
    if (std::optional<JobSpec> job_spec = ValidateJob(merged, *kind, name, fields)) {
      CheckOneStdoutJob(*job_spec, merged, top, &stdout_job);
      spec->jobs.push_back(std::move(*job_spec));
    }
  }
}

std::string BaseDir(const ManifestConfig& config, const ValidateOptions& options) {
  if (!options.base_dir.empty()) return options.base_dir;
  return HostParentPath(config.file);
}

}  // namespace

Result<ManifestSpec> ValidateManifest(const ManifestConfig& config, const ValidateOptions& options,
                                      Diagnostics* diagnostics) {
  ManifestSpec spec;
  spec.file = config.file;
  spec.base_dir = BaseDir(config, options);
  spec.now = options.clock();
  std::error_code no_cwd;  // an unreadable cwd leaves relative overrides as they are
  const std::string override_dir = options.override_dir.empty()
                                       ? Utf8Of(std::filesystem::current_path(no_cwd))
                                       : options.override_dir;
  const VarTable vars = VarTable::Build(config.vars, options.overrides, spec.now, override_dir,
                                        config.file, diagnostics);
  spec.vars = vars.Values();
  FieldReader top(vars, "", spec.base_dir, options, diagnostics);
  CheckVersion(config, top);
  spec.run = ValidateRun(config.run, top);
  spec.case_spec = ValidateCase(config.case_config, top);
  ValidateJobs(config, vars, spec.base_dir, options, diagnostics, &spec);
  if (!diagnostics->empty()) {
    const size_t n = diagnostics->Sorted().size();
    return Status(Code::kInvalidArgument,
                  config.file + ": " + std::to_string(n) + (n == 1 ? " problem" : " problems"));
  }
  return spec;
}

Result<ManifestSpec> LoadManifest(const std::string& path, std::string_view text,
                                  const ValidateOptions& options, Diagnostics* diagnostics) {
  Result<ManifestConfig> config = ParseManifest(path, text, diagnostics);
  if (!config.ok()) return config.status();
  return ValidateManifest(*config, options, diagnostics);
}

Result<ManifestSpec> LoadManifestFile(const std::string& path, const ValidateOptions& options,
                                      Diagnostics* diagnostics) {
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  if (!fs_path.ok()) return fs_path.status();
  errno = 0;
  std::ifstream in(*fs_path, std::ios::binary);
  if (!in) return ErrnoStatus(errno != 0 ? errno : EIO, path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ErrnoStatus(errno != 0 ? errno : EIO, path);
  return LoadManifest(path, text.str(), options, diagnostics);
}

}  // namespace diskferry
