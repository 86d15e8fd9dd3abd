// Merging the reports of a sharded run (`diskferry report merge`, docs/scale-out.md) into the
// one report a single-host run of the whole manifest would have written: the same file, job,
// evidence, appliance and case records (up to order), and one run record with "shards":N.
//
// Before anything is written, every report must be a shard's (it starts with a "shard"
// record: run_report.h), all from the same manifest (sha256), vars and division, every
// index 0..N-1 present once and finished (its last run record says "complete"). Each
// problem is one line; a missing or unfinished shard's line gives the command that runs or
// resumes it.
//
// Thread-compatible; reads each report twice and holds one line at a time.
#ifndef DISKFERRY_RUNNER_REPORT_MERGE_H_
#define DISKFERRY_RUNNER_REPORT_MERGE_H_

#include <string>
#include <vector>

#include "protocol/status.h"
#include "sinks/run_report.h"

namespace diskferry {

// What a merge came to: refused with its problems, or written with every shard's jobs
// (whose statuses give the exit code a single run would have: cli/exit_codes.h).
struct MergeOutcome {
  // Why the shards do not make a whole run, one line each, in the order above; nothing
  // was written. Empty when the merge was written.
  std::vector<std::string> problems;
  int shards = 0;
  std::vector<JobStatusRecord> jobs;  // every shard's, by shard index
};

// Errors (nothing written): kInvalidArgument when `out` is one of `reports`, for no
// reports, or a report whose run record is malformed or holds a job status this diskferry
// does not know (sinks/job_status.h); kIoError/kNotFound for files. `out` is written
// beside itself and renamed into place.
Result<MergeOutcome> MergeShardReports(const std::vector<std::string>& reports,
                                       const std::string& out);

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_REPORT_MERGE_H_
