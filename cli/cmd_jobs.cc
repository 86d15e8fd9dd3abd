// `diskferry validate FILE`, `plan FILE` and `run FILE`: YAML job manifests.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/appliance_builder.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "cli/run_events_display.h"
#include "jobs/plan.h"
#include "jobs/shards.h"
#include "jobs/validator.h"
#include "runner/job_runner.h"
#include "runner/job_survey.h"
#include "runner/partition.h"
#include "sinks/host_costs.h"
#include "sinks/run_report.h"

namespace diskferry {
namespace {

struct JobsOptions {
  std::string file;
  std::vector<std::string> vars;
  std::string report;
  std::string kernel;
  std::string resume;  // the interrupted run's report
  int appliances = 0;
  uint64_t min_part_mib = 0;
  bool json = false;
  bool dry_run = false;
  bool evidence = false;  // run --evidence: every reading job hashes its images
  std::string shard;      // run --shard I/N or auto
  int shards = 0;         // plan --shards N; run --shards N (with --shard auto)
  std::string weights;    // a previous run's report: shards weighed by what it moved
  std::string survey;     // plan --survey FILE: survey the jobs, write FILE, weigh by it
};

// The division into `count` shards: by what the report `o.weights` measured (bytes plus
// partition.h's per-entry weight, for jobs that ended ok, with warnings or differences),
// else by image size.
Result<ShardPlan> Divide(const JobsOptions& o, const ManifestSpec& spec, int count) {
  if (o.weights.empty()) return DivideShards(spec, count);
  Result<std::vector<JobStatusRecord>> jobs = ReadJobStatuses(o.weights);
  if (!jobs.ok()) return jobs.status().WithContext("--weights");
  std::map<std::string, uint64_t> measured;
  for (const JobStatusRecord& j : *jobs) {
    if (j.status == JobStatus::kOk || j.status == JobStatus::kWarnings ||
        j.status == JobStatus::kDifferences) {
      measured[j.job] = j.bytes + j.files * kEntryWeight;
    } else {
      measured.erase(j.job);  // a failed or skipped job's counts say nothing of its size
    }
  }
  return DivideShardsByMeasure(spec, count, measured, o.weights);
}

// Loads and validates; prints every problem as FILE:LINE:COL and returns the exit code
// through *code when the manifest is not usable.
Result<ManifestSpec> Load(const JobsOptions& o, int* code) {
  ValidateOptions options;
  for (const auto& v : o.vars) {
    auto parsed = ParseVarOverride(v);
    if (!parsed.ok()) {
      *code = kExitUsage;
      return parsed.status().WithContext("--var " + v);
    }
    options.overrides.push_back(*parsed);
  }
  Diagnostics diagnostics;
  auto spec = LoadManifestFile(o.file, options, &diagnostics);
  if (!diagnostics.empty()) std::fputs(diagnostics.ToString().c_str(), stderr);
  if (!spec.ok()) *code = diagnostics.empty() ? kExitUsage : kExitInvalidManifest;
  if (spec.ok() && o.evidence) RequireEvidence(&*spec);
  return spec;
}

// "diskferry-run-DATE-TIME.jsonl", or "...-shard-I-of-N.jsonl" for a shard's run.
std::string DefaultReportPath(const std::optional<ShardRecord>& shard) {
  char stamp[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm;
  localtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const std::string suffix =
      shard ? "-shard-" + std::to_string(shard->index) + "-of-" + std::to_string(shard->count) : "";
  return std::string("diskferry-run-") + stamp + suffix + ".jsonl";
}

int RunValidate(const JobsOptions& o) {
  int code = kExitOk;
  auto spec = Load(o, &code);
  if (!spec.ok()) {
    PrintError(spec.status());
    return code;
  }
  std::printf("%s: valid, %zu jobs\n", o.file.c_str(), spec->jobs.size());
  return kExitOk;
}

// plan --survey FILE: every reading job's selection counted by an appliance, into FILE.
Status WriteSurvey(const JobsOptions& o, const ManifestSpec& spec) {
  std::optional<std::vector<JobSurvey>> surveys;
  {
    InterruptWatch interrupt([](int) {});
    SurveyOptions options;
    options.cancel = interrupt.flag();
    std::fprintf(stderr, "surveying the extract, list and verify jobs of %s\n", o.file.c_str());
    surveys.emplace(SurveyJobs(spec, options));
  }
  for (const JobSurvey& s : *surveys) {
    if (s.status.code() == Code::kCancelled) return Status(Code::kCancelled, "interrupted");
    if (!s.status.ok()) {
      std::fprintf(stderr, "%s: not surveyed, weighs the mean: %s\n", s.job.c_str(),
                   std::string(MessageSummary(s.status.ToString())).c_str());
    }
  }
  if (Status st = WriteSurveyReport(o.survey, *surveys); !st.ok()) {
    return st.WithContext("--survey");
  }
  std::fprintf(stderr, "survey: %s (give it to run --shard as --weights %s)\n", o.survey.c_str(),
               o.survey.c_str());
  return Status::Ok();
}

int RunPlanCommand(const JobsOptions& o) {
  int code = kExitOk;
  auto spec = Load(o, &code);
  if (!spec.ok()) {
    PrintError(spec.status());
    return code;
  }
  if ((!o.weights.empty() || !o.survey.empty()) && o.shards == 0) {
    PrintError(
        Status(Code::kInvalidArgument,
               std::string(o.survey.empty() ? "--weights" : "--survey") + " goes with --shards N"));
    return kExitUsage;
  }
  if (!o.weights.empty() && !o.survey.empty()) {
    PrintError(Status(Code::kInvalidArgument,
                      "--survey writes the weights that --weights reads: give one of them"));
    return kExitUsage;
  }
  JobsOptions weighed = o;
  if (!o.survey.empty()) {
    if (Status st = WriteSurvey(o, *spec); !st.ok()) return ReportFailure(st);
    weighed.weights = o.survey;
  }
  if (o.shards > 0) {
    Result<ShardPlan> shards = Divide(weighed, *spec, o.shards);
    if (!shards.ok()) return ReportFailure(shards.status());
    std::fputs(FormatShards(*spec, *shards).c_str(), stdout);
    return kExitOk;
  }
  std::fputs(FormatPlan(PlanManifest(*spec)).c_str(), stdout);
  return kExitOk;
}

// A shard's run: which it is, its share of the jobs in *spec, and its report's name.
// kInvalidArgument says what to change.
Result<ShardRecord> TakeShard(const JobsOptions& o, ManifestSpec* spec, std::string* report,
                              std::string* resume) {
  Result<ShardIndex> index = ResolveShard(o.shard, o.shards);
  if (!index.ok()) return index.status();
  if (!o.report.empty() && o.report.find("{shard}") == std::string::npos && index->count > 1) {
    return Status(Code::kInvalidArgument,
                  "--report " + o.report +
                      ": every shard writes its own report: put {shard} in its name "
                      "(reports/night-{shard}.jsonl)");
  }
  Result<ShardPlan> plan = Divide(o, *spec, index->count);
  if (!plan.ok()) return plan.status();
  ShardRecord record;
  record.index = index->index;
  record.count = index->count;
  record.manifest = o.file;
  record.division = plan->Division(*spec);
  record.report_template = o.report;
  for (const std::string& v : o.vars) record.var_names.push_back(v.substr(0, v.find('=')));
  *spec = ShardOf(*spec, *plan, index->index);
  *report = ExpandShardTemplate(o.report, index->index);
  *resume = ExpandShardTemplate(o.resume, index->index);
  return record;
}

// A terminal that can redraw lines (not TERM=dumb, as in Emacs shells).
bool LiveTerminal(int fd) {
  const char* term = std::getenv("TERM");
  return ::isatty(fd) && term != nullptr && std::string_view(term) != "dumb";
}

// --json: JSON Lines events on stdout; a terminal: the live display; else quiet. When a job
// writes its archive to stdout, everything else goes to stderr: the --json events (logs
// among them, as events), else the live display when stderr is a terminal, and the jobs'
// own output (listings, verify differences).
std::unique_ptr<RunEvents> MakeEvents(bool json, bool tar_on_stdout) {
  if (tar_on_stdout && json) return MakeJsonEvents(stderr, nullptr);
  if (tar_on_stdout) {
    if (LiveTerminal(STDERR_FILENO)) {
      return MakeTerminalEvents(stderr, stderr, {.verbose = Verbose()});
    }
    return MakeQuietEvents(stderr, stderr, Verbose());
  }
  if (json) return MakeJsonEvents(stdout, stderr);
  if (LiveTerminal(STDOUT_FILENO)) {
    return MakeTerminalEvents(stdout, stderr, {.verbose = Verbose()});
  }
  return MakeQuietEvents(stdout, stderr, Verbose());
}

// Standard output holds one job's archive and nothing else (--json events go to stderr),
// and is not a terminal (as tar(1) refuses to write an archive to one).
Status CheckStdoutArchive(const JobSpec& job) {
  const std::string what =
      "job '" + job.name + "' writes its archive to standard output (tar: \"-\")";
  if (::isatty(STDOUT_FILENO)) {
    return Status(Code::kInvalidArgument,
                  what + ", which is a terminal: redirect it to a file or a pipe");
  }
  return Status::Ok();
}

int RunRun(const JobsOptions& o) {
  if (o.shards > 0 && o.shard.empty()) {
    PrintError(Status(Code::kInvalidArgument,
                      "--shards N goes with --shard auto (a Kubernetes Indexed Job); "
                      "elsewhere give --shard I/N"));
    return kExitUsage;
  }
  if (!o.weights.empty() && o.shard.empty()) {
    PrintError(Status(Code::kInvalidArgument, "--weights goes with --shard"));
    return kExitUsage;
  }
  if (o.dry_run && o.shard.empty()) return RunPlanCommand(o);
  if (!o.resume.empty() && !o.report.empty() && o.resume != o.report) {
    PrintError(Status(Code::kInvalidArgument,
                      "--resume names the report of the run to continue; --report must be the same or left out"));
    return kExitUsage;
  }
  int code = kExitOk;
  auto spec = Load(o, &code);
  if (!spec.ok()) {
    PrintError(spec.status());
    return code;
  }
  std::optional<ShardRecord> shard;
  std::string report = o.report;
  std::string resume = o.resume;
  if (!o.shard.empty()) {
    Result<ShardRecord> taken = TakeShard(o, &*spec, &report, &resume);
    if (!taken.ok()) {
      PrintError(taken.status());
      return kExitUsage;
    }
    shard = std::move(*taken);
    if (spec->jobs.empty()) {
      std::fprintf(stderr,
                   "diskferry: shard %d/%d has no jobs (more shards than the manifest's jobs "
                   "fill); it writes its report all the same, for report merge\n",
                   shard->index, shard->count);
    }
    if (o.dry_run) {
      std::printf("shard %d/%d: %zu of the manifest's jobs\n", shard->index, shard->count,
                  spec->jobs.size());
      std::fputs(FormatPlan(PlanManifest(*spec)).c_str(), stdout);
      return kExitOk;
    }
  }
  const JobSpec* stdout_job = StdoutJob(*spec);
  if (stdout_job != nullptr) {
    if (Status st = CheckStdoutArchive(*stdout_job); !st.ok()) {
      PrintError(st);
      return kExitUsage;
    }
  }
  std::unique_ptr<RunEvents> events = MakeEvents(o.json, stdout_job != nullptr);
  const bool live =
      stdout_job != nullptr ? LiveTerminal(STDERR_FILENO) : LiveTerminal(STDOUT_FILENO);
  RunOptions options;
  options.report_path = !resume.empty()   ? resume
                        : !report.empty() ? report
                                          : DefaultReportPath(shard);
  options.resume = !resume.empty();
  options.shard = shard;
  options.kernel = o.kernel;
  options.command_line = CommandLine();
  options.appliances = o.appliances;
  options.min_part_weight = o.min_part_mib << 20;
  options.host_costs_path = DefaultCacheDir() + "/" + kHostCostsFile;
  options.events = events.get();
  options.out = [&events](const std::string& line) { events->Output(line); };
  std::optional<Result<RunOutcome>> result;
  {
    InterruptWatch interrupt([&events](int) {
      events->Log(LogLevel::kWarning, "interrupted: stopping; press Ctrl-C again to kill at once");
    });
    options.cancel = interrupt.flag();
    result.emplace(RunManifest(*spec, options));
  }
  Result<RunOutcome>& outcome = *result;
  if (!outcome.ok()) return ReportFailure(outcome.status());
  if (outcome->interrupted) {
    std::fprintf(
        stderr, "interrupted; finished work is kept. Continue with: diskferry run %s --resume %s\n",
        (o.file + (shard ? " --shard " + o.shard : "") +
         (o.shards > 0 ? " --shards " + std::to_string(o.shards) : ""))
            .c_str(),
        options.report_path.c_str());
  } else if (!o.json && !live) {  // the live display's summary names it
    std::fprintf(stderr, "report: %s\n", options.report_path.c_str());
  }
  std::vector<JobStatus> statuses;
  for (const JobOutcome& job : outcome->jobs) statuses.push_back(job.status);
  return ExitCodeOfRun(statuses, outcome->interrupted);
}

}  // namespace

void RegisterJobCommands(CLI::App* app, int* exit_code) {
  static JobsOptions validate, plan, run;
  auto add_common = [](CLI::App* cmd, JobsOptions* o) {
    cmd->add_option("manifest", o->file, "the YAML job manifest")->required();
    cmd->add_option("--var", o->vars, "override a variable: NAME=VALUE (repeatable)");
  };
  auto* v = app->add_subcommand("validate", "check a manifest; report every problem as FILE:LINE:COL");
  add_common(v, &validate);
  v->callback([=] { *exit_code = RunValidate(validate); });
  auto* p = app->add_subcommand("plan", "print what each job of a manifest would do");
  add_common(p, &plan);
  p->add_option("--shards", plan.shards,
                "print how the jobs divide into N shards (run --shard I/N), balanced by image "
                "size; jobs that share an output stay together")
      ->type_name("N")
      ->check(CLI::Range(1, kMaxShards));
  p->add_option("--weights", plan.weights,
                "with --shards: weigh each job by what it moved in this earlier run's report "
                "(bytes + 64 KiB per file) instead of by image size")
      ->type_name("REPORT");
  p->add_option("--survey", plan.survey,
                "with --shards: boot appliances to count what each extract, list and verify job "
                "selects (no file is read), write the counts to FILE for run --shard --weights "
                "FILE, and divide by them")
      ->type_name("FILE");
  p->callback([=] { *exit_code = RunPlanCommand(plan); });
  auto* r = app->add_subcommand(
      "run",
      "run a manifest's jobs. Exit: 0 ok, 1 warnings, 2 a job failed, 3 verify found "
      "differences, 64 usage, 65 invalid manifest, 69 QEMU unavailable, 130 interrupted");
  add_common(r, &run);
  r->add_flag("--dry-run", run.dry_run, "print the plan, change nothing");
  r->add_option("--report", run.report, "JSON Lines run report (default diskferry-run-DATE-TIME.jsonl)");
  r->add_option("--kernel", run.kernel, "kernel for the appliances");
  r->add_option("-j,--jobs", run.appliances,
                "appliances to run at once (default: run.max_parallel, else from cores and "
                "free memory, about 512 MiB each)")
      ->check(CLI::Range(1, RunSpec::kMaxParallel));
  r->add_option("--resume", run.resume,
                "continue the interrupted run whose report is REPORT, without redoing "
                "finished files")
      ->type_name("REPORT");
  r->add_option("--min-part", run.min_part_mib,
                "smallest share of a job worth its own appliance, in MiB of weight (bytes + 64 KiB "
                "per entry); default: 4x what one appliance reads while another launches, as measured "
                "on this host (appliance check shows it), 1024 before any run measured it; without it a job "
                "has at most one part per core beyond the first")
      ->type_name("MIB")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30));
  r->add_flag("--json", run.json,
              "JSON Lines events on stdout (logs on stderr); when a job writes its archive to "
              "stdout, events on stderr with the logs as events");
  r->add_flag("--evidence", run.evidence,
              "every extract, list and verify job hashes its images (sha256, md5) before and "
              "after, and fails if they changed (as evidence: true)");
  r->add_option("--shard", run.shard,
                "run only shard I of N (0-based), as `plan --shards N` divides them; auto: from "
                "a Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job "
                "(JOB_COMPLETION_INDEX, with --shards N). {shard} in --report and --resume "
                "becomes I")
      ->type_name("I/N|auto");
  r->add_option("--shards", run.shards, "with --shard auto: how many shards there are")
      ->type_name("N")
      ->check(CLI::Range(1, kMaxShards));
  r->add_option("--weights", run.weights,
                "with --shard: divide by what each job moved in this earlier run's report, as "
                "plan --shards N --weights REPORT shows (every shard must be given the same)")
      ->type_name("REPORT");
  r->callback([=] { *exit_code = RunRun(run); });
}

}  // namespace diskferry
