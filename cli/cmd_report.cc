// `diskferry report merge`: the reports of a sharded run's shards into one run report
// (runner/report_merge.h, docs/scale-out.md).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "protocol/printable_text.h"
#include "runner/report_merge.h"

namespace diskferry {
namespace {

struct MergeOptions {
  std::vector<std::string> reports;
  std::string out;
};

int RunMerge(const MergeOptions& o) {
  Result<MergeOutcome> merged = MergeShardReports(o.reports, o.out);
  if (!merged.ok()) return ReportFailure(merged.status());
  if (!merged->problems.empty()) {
    // Every problem on a line of its own: each names a shard and what to run.
    for (const std::string& problem : merged->problems) {
      std::fprintf(stderr, "diskferry: report merge: %s\n", PrintableText(problem).c_str());
    }
    std::fprintf(stderr, "diskferry: report merge: nothing written to %s\n",
                 PrintableText(o.out).c_str());
    return kExitShardsIncomplete;
  }
  std::vector<JobStatus> statuses;
  for (const JobStatusRecord& j : merged->jobs) statuses.push_back(j.status);
  const size_t failed = std::count(statuses.begin(), statuses.end(), JobStatus::kFailed);
  std::printf("%s: %d shards, %zu jobs merged%s\n", PrintableText(o.out).c_str(), merged->shards,
              merged->jobs.size(),
              failed == 0 ? "" : (", " + std::to_string(failed) + " failed").c_str());
  return ExitCodeOfRun(statuses, /*interrupted=*/false);
}

}  // namespace

void RegisterReportCommands(CLI::App* app, int* exit_code) {
  auto* report = app->add_subcommand("report", "work with run reports");
  report->require_subcommand(1);
  static MergeOptions merge;
  auto* m = report->add_subcommand(
      "merge",
      "merge the reports of every shard of a sharded run (run --shard I/N) into one run "
      "report. Exit: as run for the jobs' statuses, 65 when a shard is missing, unfinished or "
      "from another manifest, vars or division (each named, with the command that runs it)");
  m->add_option("reports", merge.reports, "every shard's report")->required();
  m->add_option("-o,--output", merge.out, "the merged run report to write")->required();
  m->callback([=] { *exit_code = RunMerge(merge); });
}

}  // namespace diskferry
