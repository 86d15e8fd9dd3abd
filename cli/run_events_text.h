// The text of run events, as pure functions of their inputs: sizes, durations, the live
// block the terminal redraws, and the plain lines of terminal and quiet modes. Private to
// run_events*.cc (and their tests); run_events.h is the interface.
// Thread-compatible: pure functions.
#ifndef DISKFERRY_CLI_RUN_EVENTS_TEXT_H_
#define DISKFERRY_CLI_RUN_EVENTS_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/byte_count.h"
#include "protocol/printable_text.h"
#include "runner/run_events.h"

namespace diskferry {

// A running job as the display sees it at one moment.
struct JobView {
  std::string job;
  std::string kind;
  JobCounts counts;
  SteadyTime started;
  double bytes_per_second = 0;
  double files_per_second = 0;
};

// The whole run at one moment.
struct RunView {
  bool run_started = false;  // RunStarted was called: the overall line is shown
  SteadyTime started;
  size_t jobs_total = 0;
  size_t jobs_finished = 0;
  uint64_t files = 0;  // finished and running jobs together
  uint64_t bytes = 0;
  double bytes_per_second = 0;
  std::vector<JobView> running;  // in the order they started
};

// "0:07", "12:34", "1:02:03": for ETAs and elapsed time. Negative counts as 0.
std::string FormatClock(double seconds);
// "3.2 s" below a minute, FormatClock above.
std::string FormatSeconds(double seconds);

// Time left for a job at the given rates: by bytes when the byte total is known, else by
// files when that total is known; nullopt when neither is, or the rate is 0.
std::optional<double> EtaSeconds(const JobCounts& counts, double bytes_per_second,
                                 double files_per_second);

// A tab-separated output line (a listing, verify's differences) with each column escaped
// by PrintableText and the tabs between them kept.
std::string PrintableColumns(std::string_view line);
// The first `width` code points of valid UTF-8 `line` (wide characters count as one).
std::string TruncateToWidth(std::string_view line, size_t width);

// One line per running job, then the overall line (none before the run started), each at
// most `width` code points:
//   "  copy-etc  extract  120/400 files  5.0 MiB/20.0 MiB  1.0 MiB/s  ETA 0:15  parts 2/4"
//   "  all  1/3 jobs done, 1 running  130 files  6.0 MiB  1.0 MiB/s  0:12"
std::vector<std::string> RenderLiveBlock(const RunView& view, SteadyTime now, size_t width);

// A line of terminal or quiet output, and how much it matters.
struct PlainLine {
  LogLevel level;
  std::string text;  // printable, without the level's prefix
};
// "text", "warning: text", "error: text"; printable, ends without '\n'.
std::string PlainLogLine(LogLevel level, std::string_view text);

// "[ok] copy-etc (extract): 1234 files, 56.7 MiB in 3.2 s", plus ", N file errors" and
// ": message" when there are (its first line only unless `details`: MessageSummary); the
// level is kError for failed, kInfo for ok and skipped, kWarning otherwise.
PlainLine JobFinishedLine(const std::string& job, const std::string& kind, JobStatus status,
                          const std::string& message, const JobCounts& counts, uint64_t file_errors,
                          double seconds, bool details = false);
// The `count`th (from 1) file error of `job`: "job: path: message" up to
// RunEvents::kMaxFileErrorLines, then one "job: more file errors; all are in the report"
// line, then nullopt.
std::optional<PlainLine> FileErrorLine(const std::string& job, const std::string& path,
                                       const std::string& message, uint64_t count);
// "backup: /dev/sda1 (ext4): journal replayed into a throw-away overlay; the source is
// unchanged", one line per filesystem whose journal was replayed (guest text escaped), at
// info level; nullopt when none was.
std::optional<PlainLine> ReplayedJournalLine(const std::string& job,
                                             const std::vector<JobFilesystem>& filesystems);
// Failures as warnings: hung and killed always, launch_failed only with `details` (the
// job that wanted the appliance says why it failed, or that it retries); messages are cut
// to their first line unless `details`. "launched" as info, others nullopt.
std::optional<PlainLine> ApplianceLine(const ApplianceNotice& event, bool details = false);
// "job: evidence: PATH (N bytes): sha256 X, md5 Y before the job" and "... after the job:
// unchanged" or "...: CHANGED", at info level.
PlainLine EvidenceLine(const EvidenceNotice& notice);
// Jobs by how they ended: (kOk, 3), (kFailed, 1), ...
using StatusCounts = std::vector<std::pair<JobStatus, int>>;
// "5 jobs: 3 ok, 1 warnings, 1 failed; 1234 files, 56.7 MiB in 12.3 s; report: PATH",
// statuses with a count of 0 left out; "interrupted: " first when it was.
std::string SummaryLine(const RunSummaryEvent& summary, const StatusCounts& jobs);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_RUN_EVENTS_TEXT_H_
