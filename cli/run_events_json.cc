// JSON mode: JSON Lines events on `out` (format in run_events.h), plain logs on `log` (or,
// without one, as events).
#include <mutex>

#include "cli/exit_codes.h"
#include "cli/run_events_display.h"
#include "cli/run_events_impl.h"
#include "cli/run_events_text.h"
#include "sinks/file_record_json.h"
#include "sinks/run_report.h"

namespace diskferry {
namespace {

// A new event object: "event" and "time" first.
Json Event(const char* name) {
  Json j = Json::object();
  j["event"] = name;
  j["time"] = FormatUtcTime(std::chrono::system_clock::now());
  return j;
}

// Raw bytes as the run report writes them: a string when UTF-8, else base64 under KEY_b64.
void PutRawBytes(Json* j, const std::string& key, const std::string& bytes) {
  if (IsValidUtf8(bytes)) {
    (*j)[key] = bytes;
  } else {
    (*j)[key + "_b64"] = Base64Encode(bytes);
  }
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

Json ProgressEvent(const MeterBoard::Running& r, const JobCounts& c) {
  Json j = Event("progress");
  j["job"] = r.meter->job();
  j["files"] = c.files;
  j["bytes"] = c.bytes;
  if (c.files_total > 0) j["files_total"] = c.files_total;
  if (c.bytes_total > 0) j["bytes_total"] = c.bytes_total;
  if (c.parts_total > 0) {
    j["parts_running"] = c.parts_running;
    j["parts_total"] = c.parts_total;
  }
  j["bytes_per_second"] = r.bytes.PerSecond();
  if (auto eta = EtaSeconds(c, r.bytes.PerSecond(), r.files.PerSecond())) j["eta_seconds"] = *eta;
  return j;
}

Json SummaryEvent(const RunSummaryEvent& s, const StatusCounts& statuses) {
  Json j = Event("summary");
  j["exit_code"] = ExitCodeOfRun(s.jobs, s.interrupted);  // what the command returns
  j["interrupted"] = s.interrupted;
  Json jobs = Json::object();
  for (const auto& [status, n] : statuses) {
    jobs[std::string(JobStatusName(status))] = n;
    // The summary's documented format counts "cancelled" jobs, though no job ends so
    // (JobStatus has no such status): always 0, for the format's readers.
    if (status == JobStatus::kSkipped) jobs["cancelled"] = 0;
  }
  j["jobs"] = std::move(jobs);
  j["files"] = s.files;
  j["bytes"] = s.bytes;
  j["seconds"] = s.seconds;
  if (!s.report_path.empty()) PutRawBytes(&j, "report", s.report_path);
  return j;
}

class JsonEvents final : public RunEvents {
 public:
  JsonEvents(FILE* out, FILE* log, const JsonEventsOptions& options)
      : out_(out), log_(log), ticker_(options.progress_interval, [this] { Tick(); }) {}

  ~JsonEvents() override { ticker_.Stop(); }

  void RunStarted(size_t jobs, int appliances) override {
    std::lock_guard<std::mutex> lock(mu_);
    board_.RunStarted(jobs, std::chrono::steady_clock::now());
    Json j = Event("run_started");
    j["jobs"] = jobs;
    j["appliances"] = appliances;
    Write(j);
  }
  JobMeter* JobStarted(const std::string& job, const std::string& kind) override {
    std::lock_guard<std::mutex> lock(mu_);
    JobMeter* meter = board_.Start(job, kind, std::chrono::steady_clock::now());
    Json j = Event("job_started");
    j["job"] = job;
    j["kind"] = kind;
    Write(j);
    return meter;
  }
  void JobFinished(const std::string& job, JobStatus status, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto f = board_.Finish(job, status, std::chrono::steady_clock::now());
    Json j = Event("job_finished");
    j["job"] = job;
    if (!f.kind.empty()) j["kind"] = f.kind;
    j["status"] = JobStatusName(status);
    if (!message.empty()) j["message"] = message;
    j["files"] = f.counts.files;
    j["bytes"] = f.counts.bytes;
    j["file_errors"] = f.file_errors;
    j["seconds"] = f.seconds;
    Write(j);
  }
  void JobMounted(const std::string& job, const std::vector<JobFilesystem>& filesystems) override {
    std::lock_guard<std::mutex> lock(mu_);
    Json j = Event("job_mounted");
    j["job"] = job;
    j["filesystems"] = JobFilesystemsToJson(filesystems);
    Write(j);
    if (auto line = ReplayedJournalLine(job, filesystems)) LogLine(line->level, line->text);
  }
  void Evidence(const EvidenceNotice& notice) override {
    std::lock_guard<std::mutex> lock(mu_);
    Json j = Event("evidence");
    j["job"] = notice.job;
    j["stage"] = notice.stage;
    PutRawBytes(&j, "path", notice.digests.path);
    j["size"] = notice.digests.size;
    j["hashes"] = Json(notice.digests.hashes);
    if (notice.match) j["match"] = *notice.match;
    Write(j);
  }
  void FileError(const std::string& job, const std::string& path,
                 const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    board_.CountFileError(job);
    Json j = Event("file_error");
    j["job"] = job;
    PutRawBytes(&j, "path", path);
    j["message"] = message;
    Write(j);
  }
  void Appliance(const ApplianceNotice& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    Json j = Event("appliance");
    j["what"] = event.what;
    j["slot"] = event.slot;
    if (event.pid > 0) j["pid"] = event.pid;
    if (!event.image.empty()) PutRawBytes(&j, "image", event.image);
    if (!event.message.empty()) j["message"] = event.message;
    if (event.launch_seconds > 0) j["launch_seconds"] = event.launch_seconds;
    if (!event.launch.empty()) j["launch"] = event.launch;
    if (!event.launch_note.empty()) j["launch_note"] = event.launch_note;
    Write(j);
  }
  void Log(LogLevel level, const std::string& text) override {
    std::lock_guard<std::mutex> lock(mu_);
    LogLine(level, text);
  }
  void Output(const std::string& line) override {
    std::lock_guard<std::mutex> lock(mu_);
    Json j = Event("output");
    PutRawBytes(&j, "line", line);
    Write(j);
  }
  void RunFinished(const RunSummaryEvent& summary) override {
    ticker_.Stop();
    std::lock_guard<std::mutex> lock(mu_);
    Write(SummaryEvent(summary, board_.Statuses()));
  }

 private:
  void Tick() {
    std::lock_guard<std::mutex> lock(mu_);
    board_.Sample(std::chrono::steady_clock::now());
    for (MeterBoard::Running& r : board_.running()) {
      const JobCounts c = r.meter->Read();
      if (c == r.last_sent) continue;
      r.last_sent = c;
      Write(ProgressEvent(r, c));
    }
  }

  // A plain line on log_ (info stops there), and warnings and errors as "log" events too;
  // with no log_, every level as an event. Requires mu_.
  void LogLine(LogLevel level, const std::string& text) {
    if (log_ != nullptr) {
      std::fprintf(log_, "%s\n", PlainLogLine(level, text).c_str());
      std::fflush(log_);
      if (level == LogLevel::kInfo) return;
    }
    Json j = Event("log");
    j["level"] = LevelName(level);
    j["message"] = text;
    Write(j);
  }

  // Requires mu_.
  void Write(const Json& j) {
    std::fprintf(out_, "%s\n", DumpLine(j).c_str());
    std::fflush(out_);
  }

  FILE* const out_;
  FILE* const log_;
  std::mutex mu_;
  MeterBoard board_;  // guarded by mu_
  Ticker ticker_;     // last: stopped before the rest goes
};

}  // namespace

std::unique_ptr<RunEvents> MakeJsonEvents(FILE* out, FILE* log, const JsonEventsOptions& options) {
  return std::make_unique<JsonEvents>(out, log, options);
}

}  // namespace diskferry
