// RunJournal: what a run keeps beside its report so that an interrupted run can be resumed
// (`diskferry run --resume REPORT`) and a part whose appliance died can be retried, both
// without redoing finished files or reporting a file twice.
//
//   REPORT.journal/
//     run.json          {"manifest_sha256": HEX}: a resume must use the same manifest
//     JOB.parts.json    the walk ranges JOB was split into, so a resume cuts the same way
//     JOB.N.jsonl       part N's spool: its file records, in walk order (OrderingSink)
//
// A spool's last record is the part's resume point: every entry up to it is written and
// reported, so a retry or resume walks (last, until] only. When a job ends its spools are
// appended to the report and removed; when the run completes the directory is removed.
//
// Thread safety: RunJournal's methods may be called from any thread for different jobs;
// PartSpool is used by one thread at a time.
#ifndef DISKFERRY_RUNNER_JOB_JOURNAL_H_
#define DISKFERRY_RUNNER_JOB_JOURNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "protocol/walk_order.h"
#include "sinks/file_record.h"
#include "sinks/run_report.h"

namespace diskferry {

class RunJournal {
 public:
  // A new run's journal. kFailedPrecondition when REPORT.journal already exists (an
  // interrupted run: resume it or remove the directory); kIoError naming it otherwise.
  static Result<RunJournal> Create(const std::string& report_path,
                                   const std::string& manifest_sha256);
  // The journal an interrupted run left. kNotFound if there is none; kInvalidArgument if it
  // was written for another manifest (or the manifest changed since).
  static Result<RunJournal> Resume(const std::string& report_path,
                                   const std::string& manifest_sha256);

  const std::string& dir() const { return dir_; }
  std::string SpoolPath(const std::string& job, size_t part) const;
  // The spool of the deleted files an extract job recovered (`recover: deleted`).
  std::string DeletedSpoolPath(const std::string& job) const;

  Status SavePlan(const std::string& job, const std::vector<WalkRange>& parts) const;
  // nullopt when the job was never split before (or never started).
  Result<std::optional<std::vector<WalkRange>>> LoadPlan(const std::string& job) const;
  // Removes the job's plan and spools (after they were appended to the report).
  void RemoveJob(const std::string& job, size_t parts) const;
  // Removes the journal (the run completed). Errors are reported, nothing else depends on it.
  Status Remove() const;

 private:
  explicit RunJournal(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// A part's spool: file records appended as OrderingSink releases them.
class PartSpool {
 public:
  // Opens `path` keeping what it holds (a retried or resumed part) and reads it back: the
  // last record's path is the resume point.
  static Result<PartSpool> Open(const std::string& path, const std::string& job);

  // Buffered; written out every kFlushEvery records and by Flush().
  Status Append(const FileRecord& record);
  Status Flush();
  // Drops everything (a tar part restarts from scratch: its archive cannot be resumed).
  Status Reset();

  // The path of the last record spooled ("" when empty), and how many there are.
  const std::string& last_path() const { return last_path_; }
  uint64_t records() const { return records_; }
  const std::string& path() const { return path_; }

 private:
  static constexpr uint64_t kFlushEvery = 256;

  PartSpool(std::string path, std::string job, RunReport out)
      : path_(std::move(path)), job_(std::move(job)), out_(std::move(out)) {}

  std::string path_;
  std::string job_;
  RunReport out_;
  std::string last_path_;
  uint64_t records_ = 0;
};

}  // namespace diskferry

#endif  // DISKFERRY_RUNNER_JOB_JOURNAL_H_
