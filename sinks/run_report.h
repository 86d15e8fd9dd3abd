// The record of a run: a JSON Lines file (one JSON object per line, UTF-8, '\n' after
// each) that says what every job did to every file, plus readers for it and a
// sha256sum-compatible listing.
//
// Lines, each with "record" first:
//   {"record":"file","job":J,"path":P,"type":T,"size":N,"mode":"100644","uid":N,"gid":N,
//    "mtime_ns":N,["ino":N,]["nlink":N,]["atime_ns":N,]["ctime_ns":N,]["crtime_ns":N,]
//    ["target":P,]["hashes":{"sha256":HEX,...},]"status":"ok"|MESSAGE}
//   (ino, nlink and the times other than mtime are written only when not 0, and read as 0
//   when absent: crtime_ns is 0 where the filesystem keeps no creation time)
//   {"record":"job","job":J,"kind":K,"status":S,["message":M,]"files":N,"bytes":N,
//    "skipped":N,"errors":N,["withheld":{"devices":N,"setuid":N,"xattrs":N},]
//    ["filesystems":[{"device":D,"type":T,"mount_point":M,"replayed":B},...],]
//    ["case":{"id":S,"examiner":S,"evidence_id":S,"notes":S},]"started":TIME,"ended":TIME}
// "withheld" (only when something was): device nodes not created, regular files whose
// setuid/setgid bits were cleared, and extended attributes not copied, by the safe
// defaults of sinks/host_safety.h. "filesystems" (only when the job mounted any): what
// its appliance mounted, the root first, as the guest named them (JobFilesystem);
// "replayed" says that a journal was replayed into a throw-away overlay, the image itself
// unchanged.
//   {"record":"evidence","job":J,"path":P|"path_b64":B64,"size":N,
//    "before":{"sha256":HEX,"md5":HEX},["after":{"sha256":HEX,"md5":HEX},]
//    ["size_after":N,]"match":B,["error":M]}
// One per file an `evidence: true` job's appliance read (each disk and backing file), before
// the job's "job" record: its hashes before the job and after it (evidence.h). "size_after"
// only when the size changed; "error" (and no "after", or an empty "before") when a pass
// could not read the file.
//   {"record":"appliance","what":"launch_failed"|"hung"|"killed","slot":N,["pid":N,]
//    "image":I,"message":M,"time":TIME}
// One per appliance failure, retried or not, with the whole message (a failed launch's QEMU
// output, console tail and command line, which terminals show only with --verbose).
//   {"record":"run","status":"complete"|"interrupted","tool_version":V,"manifest_sha256":HEX,"host":H,"started":TIME,
//    "ended":TIME,"jobs":[{"job":J,"status":S},...][,"peak_rss_anon_kib":N][,"case":{...}]}
// "case" (run and job records, only when the manifest has `case:`): its non-empty fields.
// A shard's run (`diskferry run --shard I/N`, jobs/shards.h) adds "shard":{"index":I,
// "count":N} to its run records, and its report starts with
//   {"record":"shard","index":I,"count":N,"manifest":M,"manifest_sha256":HEX,
//    "vars_sha256":HEX,"division":[[J,...],...],["report":TEMPLATE,]["vars":[NAME,...]]}
// (again at each resume): the manifest as given, the digest of its vars' values (sorted
// NAME=VALUE lines, without the built-ins date and time unless --var set them), every shard's jobs
// by index, the --report it was given with
// "{shard}" in it, and the names of the --var overrides (not their values). A merged
// report (report_merge.h) has "shards":N in its run record instead.
// "mode" is the full st_mode in octal (git's notation: "100644", "040755", "120777").
// Paths and link targets are raw bytes: valid UTF-8 ones are strings, others are base64
// under "path_b64"/"target_b64" (file_record_json.h says why). TIME is UTC ISO 8601 with
// milliseconds ("2024-05-01T12:34:56.789Z"). "mtime_ns" is exact in C++ and Python; readers
// that parse numbers as doubles (JavaScript, jq < 1.7) round it. Readers must skip record
// kinds they do not know: new ones may be added.
//
// Thread safety: RunReport's methods may be called from any thread (jobs running in
// parallel); each line is written whole. Sha256SumsWriter is thread-compatible.
#ifndef DISKFERRY_SINKS_RUN_REPORT_H_
#define DISKFERRY_SINKS_RUN_REPORT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/status.h"
#include "sinks/evidence.h"
#include "sinks/file_record.h"
#include "sinks/host_safety.h"
#include "sinks/job_status.h"

namespace diskferry {

using TimePoint = std::chrono::system_clock::time_point;

// "2024-05-01T12:34:56.789Z".
std::string FormatUtcTime(TimePoint t);
// The inverse of FormatUtcTime; nullopt for any other text.
std::optional<TimePoint> ParseUtcTime(std::string_view text);

// A filesystem a job's appliance mounted (appliance/guest_types.h MountedFilesystem),
// in the guest's words: written raw to reports and JSON events, escaped before a terminal.
struct JobFilesystem {
  std::string device;       // "/dev/sda1", "/dev/mapper/vg-root"
  std::string type;         // "ext4"
  std::string mount_point;  // in the tree the job sees: "/", "/boot"
  bool replayed = false;    // a journal was replayed into a throw-away overlay
  bool operator==(const JobFilesystem&) const = default;
};

struct JobSummary {
  std::string job;
  std::string kind;                   // what the job does: "extract", "inject", "verify", ...
  JobStatus status = JobStatus::kOk;  // "status": JobStatusName
  std::string message;                // why, when not ok; omitted when empty
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t skipped = 0;
  uint64_t errors = 0;
  Withheld withheld;  // what the safe defaults kept off the host (host_safety.h)
  TimePoint started;
  TimePoint ended;
  std::vector<JobFilesystem> filesystems;  // omitted when empty
  CaseInfo case_info;                      // omitted when empty
};

struct ApplianceFailure {
  std::string what;  // "launch_failed", "hung", "killed"
  int slot = 0;
  int64_t pid = 0;  // 0: none (a launch that failed before QEMU ran)
  std::string image;
  std::string message;
  TimePoint time;
};

// A job's status as a report records it: in the run record's "jobs", and in each job
// record (ReadJobStatuses).
struct JobStatusRecord {
  std::string job;
  JobStatus status = JobStatus::kOk;
  // What the job moved, as its job record says (ReadJobStatuses); not in the run record.
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// A shard's identity, as its "shard" record states it (above).
struct ShardRecord {
  int index = 0;
  int count = 0;
  std::string manifest;
  std::string manifest_sha256;
  std::string vars_sha256;
  std::vector<std::vector<std::string>> division;
  std::string report_template;  // "" when the report had the default name
  std::vector<std::string> var_names;
  bool operator==(const ShardRecord&) const = default;
};

struct RunSummary {
  std::string status;  // "complete", or "interrupted" (resumable: see job_journal.h)
  std::string tool_version;
  std::string manifest_sha256;
  std::string host;
  TimePoint started;
  TimePoint ended;
  std::vector<JobStatusRecord> jobs;  // in the order they ran
  uint64_t peak_rss_anon_kib = 0;  // the host's anonymous memory at its peak; 0: unknown
  CaseInfo case_info;              // omitted when empty
  // A shard's run: "shard":{"index":I,"count":N}; a merged report: "shards":N. Both 0
  // (omitted) for a run of the whole manifest.
  int shard_index = 0;
  int shard_count = 0;
  int shards_merged = 0;
  std::vector<std::string> hosts;  // a merged report: every shard's host, when they differ
};

enum class ReportMode {
  kTruncate,  // a new run: create or truncate
  kAppend,    // a resumed run, or a journal spool: keep what is there; a last line without
              // its '\n' (the writer died mid-line) is cut off first
};

class RunReport {
 public:
  // kIoError/kNotFound naming `path` on failure.
  static Result<RunReport> Open(const std::string& path, ReportMode mode = ReportMode::kTruncate);
  RunReport(RunReport&&) noexcept;
  RunReport& operator=(RunReport&&) noexcept;
  // Flushes what is buffered and closes the file if Close() was not called (errors lost).
  ~RunReport();

  // Lines are buffered; job and run summaries flush them, so after a crash the file holds
  // every finished job's lines (the last line may be cut: ReadFileRecords ignores that).
  // A failed write (kIoError) is returned by this and every later call.
  // kFailedPrecondition after Close().
  Status AddFile(const std::string& job, const FileRecord& record);
  Status AddJobSummary(const JobSummary& summary);
  Status AddApplianceFailure(const ApplianceFailure& failure);
  // Flushed at once, like a job summary.
  Status AddEvidence(const std::string& job, const ImageEvidence& evidence);
  // {"record":"case",...}: a list job's inventory starts with one when the manifest has
  // `case:`.
  Status AddCase(const CaseInfo& case_info);
  Status AddRunSummary(const RunSummary& summary);
  // Flushed at once: the first line of a shard's report, so that even a shard that died
  // says which it was.
  Status AddShard(const ShardRecord& shard);
  // A line another report had, as it was (a merge): flushed with the next flushing line.
  Status AddLine(const std::string& json_line);
  // Appends the complete lines of another JSON Lines file (a job's journal spool) as they
  // are, in one piece: no other thread's line lands among them.
  Status AppendLinesOf(const std::string& path);
  // Writes out what is buffered (no fsync).
  Status Flush();
  // Flushes and syncs the file and closes it.
  Status Close();

 private:
  struct Impl;
  explicit RunReport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Calls `fn` with each "file" record of `job` (every job when empty) in `path`, in file
// order, without holding
// them all. kNotFound/kIoError for the file; kInvalidArgument "PATH:LINE: ..." for a line
// that is not a JSON object or a file record with a missing or mistyped field. A last line
// without its '\n' that does not parse is ignored (the run that wrote it died mid-line).
Status ForEachFileRecord(const std::string& path, const std::string& job,
                         const std::function<void(FileRecord)>& fn);
// The same, collected: a previous run's manifest for incremental and verify jobs. The
// same path may appear twice (HashingSink: a stream file, then its late error); the later
// record is the one to believe.
Result<std::vector<FileRecord>> ReadFileRecords(const std::string& path, const std::string& job);

// The "job" records of a report, in file order (a resumed run skips the jobs listed), with
// their files and bytes (0 where absent).
// Errors as ForEachFileRecord; kInvalidArgument "PATH:LINE: job J: unknown status "WORD""
// for a status ParseJobStatus does not know (job_status.h says why it is not guessed).
Result<std::vector<JobStatusRecord>> ReadJobStatuses(const std::string& path);

// Calls `fn` with the text of each non-empty line of the report at `path`, in order,
// without its '\n' (a last line without one, cut short by a crash, is passed too: the
// caller tells). Stops at the first error `fn` returns. kNotFound/kIoError for the file.
Status ForEachReportLine(const std::string& path,
                         const std::function<Status(std::string_view line, bool terminated)>& fn);

// Writes `sha256sum -c`-compatible lines ("<hex>  <path>\n") for the records that have a
// "sha256" hash, in the order given. Like GNU sha256sum, a path holding '\\', '\n' or '\r'
// is written with those escaped ("\\\\", "\\n", "\\r") and the line starts with '\\'.
class Sha256SumsWriter {
 public:
  // Creates or truncates `path`.
  static Result<Sha256SumsWriter> Open(const std::string& path);
  Sha256SumsWriter(Sha256SumsWriter&&) noexcept;
  Sha256SumsWriter& operator=(Sha256SumsWriter&&) noexcept;
  ~Sha256SumsWriter();

  // Records without a "sha256" hash are skipped.
  Status Add(const FileRecord& record);
  Status Close();

 private:
  struct Impl;
  explicit Sha256SumsWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

Status WriteSha256Sums(const std::string& path, const std::vector<FileRecord>& records);

// The line Sha256SumsWriter writes for `record`, or "" when it has no sha256.
std::string Sha256SumsLine(const FileRecord& record);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_RUN_REPORT_H_
