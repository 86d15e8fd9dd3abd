#include "cli/run_events_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "protocol/status.h"
#include "sinks/file_record_json.h"

namespace diskferry {
namespace {

constexpr size_t kMaxNameColumns = 24;

bool IsContinuation(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }

size_t Columns(std::string_view utf8) {
  return static_cast<size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return !IsContinuation(c); }));
}

std::string PadRight(std::string text, size_t columns) {
  const size_t have = Columns(text);
  if (have < columns) text.append(columns - have, ' ');
  return text;
}

// "1 file", "3 files", "1/3 files".
std::string Count(uint64_t done, uint64_t total, const char* singular) {
  std::string s = std::to_string(done);
  if (total > 0) s += "/" + std::to_string(total);
  return s + " " + singular + (done == 1 && total == 0 ? "" : "s");
}

std::string Bytes(uint64_t done, uint64_t total) {
  std::string s = FormatBytes(done);
  if (total > 0) s += "/" + FormatBytes(total);
  return s;
}

std::string Rate(double per_second) {
  return FormatBytes(static_cast<uint64_t>(std::llround(std::max(per_second, 0.0)))) + "/s";
}

std::string JoinFields(const std::vector<std::string>& fields) {
  std::string line;
  for (const std::string& f : fields) line += "  " + f;
  return line;
}

std::string JobLine(const JobView& job, SteadyTime now, size_t name_width, size_t kind_width) {
  const JobCounts& c = job.counts;
  std::vector<std::string> fields = {PadRight(PrintableText(job.job), name_width),
                                     PadRight(PrintableText(job.kind), kind_width),
                                     Count(c.files, c.files_total, "file"),
                                     Bytes(c.bytes, c.bytes_total), Rate(job.bytes_per_second)};
  if (auto eta = EtaSeconds(c, job.bytes_per_second, job.files_per_second)) {
    fields.push_back("ETA " + FormatClock(*eta));
  } else {
    fields.push_back("elapsed " +
                     FormatClock(std::chrono::duration<double>(now - job.started).count()));
  }
  if (c.parts_total > 0) {
    fields.push_back("parts " + std::to_string(c.parts_running) + "/" +
                     std::to_string(c.parts_total));
  }
  return JoinFields(fields);
}

std::string OverallLine(const RunView& view, SteadyTime now, size_t name_width) {
  const std::string jobs = std::to_string(view.jobs_finished) + "/" +
                           std::to_string(view.jobs_total) + " jobs done, " +
                           std::to_string(view.running.size()) + " running";
  const double elapsed = std::chrono::duration<double>(now - view.started).count();
  return JoinFields({PadRight("all", name_width), jobs, Count(view.files, 0, "file"),
                     FormatBytes(view.bytes), Rate(view.bytes_per_second),
                     "elapsed " + FormatClock(elapsed)});
}

std::string Words(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

}  // namespace

std::string FormatClock(double seconds) {
  const long long total = std::llround(std::max(seconds, 0.0));
  char buf[48];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", total / 60, total % 60);
  }
  return buf;
}

std::string FormatSeconds(double seconds) {
  if (seconds >= 59.95) return FormatClock(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", std::max(seconds, 0.0));
  return buf;
}

std::optional<double> EtaSeconds(const JobCounts& c, double bytes_per_second,
                                 double files_per_second) {
  auto left = [](uint64_t done, uint64_t total, double rate) -> std::optional<double> {
    if (done >= total || rate <= 0) return std::nullopt;
    return static_cast<double>(total - done) / rate;
  };
  if (c.bytes_total > 0) return left(c.bytes, c.bytes_total, bytes_per_second);
  if (c.files_total > 0) return left(c.files, c.files_total, files_per_second);
  return std::nullopt;
}

std::string PrintableColumns(std::string_view line) {
  std::string out;
  for (size_t start = 0;;) {
    const size_t tab = line.find('\t', start);
    out += PrintableText(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return out;
    out += '\t';
    start = tab + 1;
  }
}

std::string TruncateToWidth(std::string_view line, size_t width) {
  size_t columns = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (IsContinuation(line[i])) continue;
    if (columns++ == width) return std::string(line.substr(0, i));
  }
  return std::string(line);
}

std::vector<std::string> RenderLiveBlock(const RunView& view, SteadyTime now, size_t width) {
  std::vector<std::string> lines;
  if (!view.run_started && view.running.empty()) return lines;
  size_t name_width = 3;  // "all"
  size_t kind_width = 0;
  for (const JobView& job : view.running) {
    name_width = std::max(name_width, Columns(PrintableText(job.job)));
    kind_width = std::max(kind_width, Columns(PrintableText(job.kind)));
  }
  name_width = std::min(name_width, kMaxNameColumns);
  for (const JobView& job : view.running) {
    lines.push_back(TruncateToWidth(JobLine(job, now, name_width, kind_width), width));
  }
  if (view.run_started) {
    lines.push_back(TruncateToWidth(OverallLine(view, now, name_width), width));
  }
  return lines;
}

std::string PlainLogLine(LogLevel level, std::string_view text) {
  const std::string printable = PrintableText(text, {.keep_newlines = true});
  switch (level) {
    case LogLevel::kInfo:
      return printable;
    case LogLevel::kWarning:
      return "warning: " + printable;
    case LogLevel::kError:
      return "error: " + printable;
  }
  return printable;
}

PlainLine JobFinishedLine(const std::string& job, const std::string& kind, JobStatus status,
                          const std::string& message, const JobCounts& counts, uint64_t file_errors,
                          double seconds, bool details) {
  std::string text = "[" + std::string(JobStatusName(status)) + "] " + PrintableText(job);
  if (!kind.empty()) text += " (" + PrintableText(kind) + ")";
  if (status != JobStatus::kSkipped) {
    text += ": " + Count(counts.files, 0, "file") + ", " + FormatBytes(counts.bytes) + " in " +
            FormatSeconds(seconds);
  }
  if (file_errors > 0) text += ", " + Count(file_errors, 0, "file error");
  if (!message.empty()) {
    text += ": " + PrintableText(details ? std::string_view(message) : MessageSummary(message),
                                 {.keep_newlines = true});
  }
  LogLevel level = LogLevel::kWarning;
  if (status == JobStatus::kFailed) level = LogLevel::kError;
  if (status == JobStatus::kOk || status == JobStatus::kSkipped) level = LogLevel::kInfo;
  return {level, std::move(text)};
}

std::optional<PlainLine> FileErrorLine(const std::string& job, const std::string& path,
                                       const std::string& message, uint64_t count) {
  if (count > RunEvents::kMaxFileErrorLines + 1) return std::nullopt;
  if (count == RunEvents::kMaxFileErrorLines + 1) {
    return PlainLine{LogLevel::kWarning,
                     PrintableText(job) + ": more file errors; all are in the report"};
  }
  return PlainLine{LogLevel::kWarning,
                   PrintableText(job) + ": " + PrintableText(path) + ": " + PrintableText(message)};
}

std::optional<PlainLine> ReplayedJournalLine(const std::string& job,
                                             const std::vector<JobFilesystem>& filesystems) {
  std::string text;
  for (const JobFilesystem& fs : filesystems) {
    if (!fs.replayed) continue;
    if (!text.empty()) text += '\n';
    text += PrintableText(job) + ": " + PrintableText(fs.device, {.max_bytes = 200}) + " (" +
            PrintableText(fs.type, {.max_bytes = 64}) +
            "): journal replayed into a throw-away overlay; the source is unchanged";
  }
  if (text.empty()) return std::nullopt;
  return PlainLine{LogLevel::kInfo, std::move(text)};
}

std::optional<PlainLine> ApplianceLine(const ApplianceNotice& event, bool details) {
  std::string text = "appliance " + std::to_string(event.slot);
  if (event.pid > 0) text += " (pid " + std::to_string(event.pid) + ")";
  if (event.what == "launched") {
    return PlainLine{LogLevel::kInfo, text + ": launched in " +
                                          FormatSeconds(event.launch_seconds) +
                                          (event.launch.empty() ? "" : " (" + event.launch + ")")};
  }
  if (event.what != "hung" && event.what != "killed" &&
      !(event.what == "launch_failed" && details)) {
    return std::nullopt;
  }
  text += ": " + Words(event.what);
  if (!event.message.empty()) {
    text += ": " +
            PrintableText(details ? std::string_view(event.message) : MessageSummary(event.message),
                          {.keep_newlines = true});
  }
  return PlainLine{LogLevel::kWarning, std::move(text)};
}

PlainLine EvidenceLine(const EvidenceNotice& notice) {
  std::string text = PrintableText(notice.job) +
                     ": evidence: " + PrintableText(notice.digests.path) + " (" +
                     std::to_string(notice.digests.size) + " bytes):";
  for (const char* name : {"sha256", "md5"}) {
    auto it = notice.digests.hashes.find(name);
    if (it != notice.digests.hashes.end()) {
      text += std::string(text.back() == ':' ? " " : ", ") + name + " " + it->second;
    }
  }
  text += " " + PrintableText(notice.stage) + " the job";
  if (notice.match) text += *notice.match ? ": unchanged" : ": CHANGED";
  return PlainLine{LogLevel::kInfo, std::move(text)};
}

std::string SummaryLine(const RunSummaryEvent& s, const StatusCounts& jobs) {
  int total = 0;
  std::string parts;
  for (const auto& [status, n] : jobs) {
    if (n == 0) continue;
    total += n;
    parts +=
        (parts.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(JobStatusName(status));
  }
  std::string text = s.interrupted ? "interrupted: " : "";
  text += std::to_string(total) + (total == 1 ? " job" : " jobs");
  if (!parts.empty()) text += ": " + parts;
  text += "; " + Count(s.files, 0, "file") + ", " + FormatBytes(s.bytes) + " in " +
          FormatSeconds(s.seconds);
  if (!s.report_path.empty()) text += "; report: " + PrintableText(s.report_path);
  return text;
}

}  // namespace diskferry
