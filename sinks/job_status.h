// JobStatus: how a job of a run ended. The runner sets it, the run report and the run
// displays write it, and the CLI maps a run's statuses to its exit code
// (cli/exit_codes.h). Everywhere but those writers and readers it is this enum; its words
// ("ok", "warnings", ...) appear only through JobStatusName and ParseJobStatus.
//
// Thread-compatible: values and pure functions.
#ifndef DISKFERRY_SINKS_JOB_STATUS_H_
#define DISKFERRY_SINKS_JOB_STATUS_H_

#include <optional>
#include <string_view>

namespace diskferry {

enum class JobStatus {
  kOk,           // "ok": done as asked
  kWarnings,     // "warnings": done, but some entries could not be read or written as sent
  kFailed,       // "failed": not done; the job's message says why
  kDifferences,  // "differences": a verify job found files that differ from its baseline
  // "skipped": not run: its output exists and `on_exists: skip` keeps it, or an earlier
  // job failed under `fail_fast`
  kSkipped,
  // "interrupted": the run was stopped (Ctrl-C, SIGTERM) before the job ended; its journal
  // keeps what it finished for `run --resume`. No job record is written for it.
  kInterrupted,
};

// Every status, in the order displays list them (the JSON summary's "jobs" counts).
inline constexpr JobStatus kJobStatuses[] = {JobStatus::kOk,      JobStatus::kWarnings,
                                             JobStatus::kFailed,  JobStatus::kDifferences,
                                             JobStatus::kSkipped, JobStatus::kInterrupted};

// The word reports and events use: "ok", "warnings", "failed", "differences", "skipped",
// "interrupted".
std::string_view JobStatusName(JobStatus status);

// The status JobStatusName names `word`; nullopt for any other word (case-sensitive). A
// report from another diskferry may hold a word this one does not know: its readers
// refuse it with an error naming the file and the word (run_report.h, ReadJobStatuses;
// runner/report_merge.h), since guessing how such a job ended could hide a failure from
// an exit code or redo or skip work on --resume.
std::optional<JobStatus> ParseJobStatus(std::string_view word);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_JOB_STATUS_H_
