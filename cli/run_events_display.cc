// The parts the RunEvents implementations share (run_events_impl.h), and quiet mode.
#include "cli/run_events_display.h"

#include <algorithm>
#include <mutex>

#include "cli/run_events_impl.h"

namespace diskferry {

void MeterBoard::RunStarted(size_t jobs, SteadyTime now) {
  run_started_ = true;
  run_start_ = now;
  jobs_total_ = jobs;
  Sample(now);  // the run's rate starts from here, not from the first tick
}

JobMeter* MeterBoard::Start(const std::string& job, const std::string& kind, SteadyTime now) {
  meters_.push_back(std::make_unique<JobMeter>(job, kind, now));
  JobMeter* meter = meters_.back().get();
  running_.push_back(Running{meter, RateWindow(), RateWindow(), JobCounts()});
  running_.back().bytes.Add(now, 0);
  running_.back().files.Add(now, 0);
  return meter;
}

MeterBoard::Finished MeterBoard::Finish(const std::string& job, JobStatus status, SteadyTime now) {
  ++statuses_[status];
  Finished finished;
  auto it = std::find_if(running_.rbegin(), running_.rend(),
                         [&](const Running& r) { return r.meter->job() == job; });
  if (it != running_.rend()) {
    finished.kind = it->meter->kind();
    finished.counts = it->meter->Read();
    finished.seconds = std::chrono::duration<double>(now - it->meter->started()).count();
    finished_files_ += finished.counts.files;
    finished_bytes_ += finished.counts.bytes;
    running_.erase(std::next(it).base());
  }
  if (auto errors = file_errors_.find(job); errors != file_errors_.end()) {
    finished.file_errors = errors->second;
  }
  ++jobs_finished_;
  return finished;
}

StatusCounts MeterBoard::Statuses() const {
  StatusCounts counts;
  for (JobStatus status : kJobStatuses) {
    auto it = statuses_.find(status);
    counts.emplace_back(status, it == statuses_.end() ? 0 : it->second);
  }
  return counts;
}

uint64_t MeterBoard::CountFileError(const std::string& job) { return ++file_errors_[job]; }

void MeterBoard::Sample(SteadyTime now) {
  uint64_t bytes = finished_bytes_;
  for (Running& r : running_) {
    const JobCounts c = r.meter->Read();
    r.bytes.Add(now, c.bytes);
    r.files.Add(now, c.files);
    bytes += c.bytes;
  }
  run_bytes_.Add(now, bytes);
}

RunView MeterBoard::View() const {
  RunView view;
  view.run_started = run_started_;
  view.started = run_start_;
  view.jobs_total = jobs_total_;
  view.jobs_finished = jobs_finished_;
  view.files = finished_files_;
  view.bytes = finished_bytes_;
  view.bytes_per_second = run_bytes_.PerSecond();
  for (const Running& r : running_) {
    JobView job{r.meter->job(),     r.meter->kind(),     r.meter->Read(),
                r.meter->started(), r.bytes.PerSecond(), r.files.PerSecond()};
    view.files += job.counts.files;
    view.bytes += job.counts.bytes;
    view.running.push_back(std::move(job));
  }
  return view;
}

Ticker::Ticker(std::chrono::milliseconds interval, std::function<void()> tick)
    : interval_(interval), tick_(std::move(tick)), thread_([this] { Loop(); }) {}

Ticker::~Ticker() { Stop(); }

void Ticker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Ticker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    tick_();
    lock.lock();
  }
}

namespace {

// Output() lines on `out`; warnings and errors on `log`.
class QuietEvents final : public RunEvents {
 public:
  QuietEvents(FILE* out, FILE* log, bool verbose) : out_(out), log_(log), verbose_(verbose) {}

  void RunStarted(size_t jobs, int) override {
    std::lock_guard<std::mutex> lock(mu_);
    board_.RunStarted(jobs, std::chrono::steady_clock::now());
  }
  JobMeter* JobStarted(const std::string& job, const std::string& kind) override {
    std::lock_guard<std::mutex> lock(mu_);
    return board_.Start(job, kind, std::chrono::steady_clock::now());
  }
  void JobFinished(const std::string& job, JobStatus status, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto f = board_.Finish(job, status, std::chrono::steady_clock::now());
    Print(JobFinishedLine(job, f.kind, status, message, f.counts, f.file_errors, f.seconds,
                          verbose_));
  }
  void JobMounted(const std::string& job, const std::vector<JobFilesystem>& filesystems) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto line = ReplayedJournalLine(job, filesystems)) Print(*line);
  }
  void FileError(const std::string& job, const std::string& path,
                 const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto line = FileErrorLine(job, path, message, board_.CountFileError(job))) Print(*line);
  }
  void Appliance(const ApplianceNotice& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto line = ApplianceLine(event, verbose_)) Print(*line);
  }
  void Evidence(const EvidenceNotice& notice) override {
    std::lock_guard<std::mutex> lock(mu_);
    Print(EvidenceLine(notice));
  }
  void Log(LogLevel level, const std::string& text) override {
    std::lock_guard<std::mutex> lock(mu_);
    Print({level, text});
  }
  void Output(const std::string& line) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string shown = PrintableColumns(line);
    std::fwrite(shown.data(), 1, shown.size(), out_);
    std::fputc('\n', out_);
  }
  // Output() lines are flushed here (or by `out`'s buffer filling), not one by one:
  // listings can run to millions of lines.
  void RunFinished(const RunSummaryEvent&) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::fflush(out_);
  }

 private:
  void Print(const PlainLine& line) {
    if (line.level == LogLevel::kInfo) return;
    std::fprintf(log_, "%s\n", PlainLogLine(line.level, line.text).c_str());
    std::fflush(log_);
  }

  FILE* const out_;
  FILE* const log_;
  const bool verbose_;
  std::mutex mu_;
  MeterBoard board_;  // guarded by mu_
};

}  // namespace

std::unique_ptr<RunEvents> MakeQuietEvents(FILE* out, FILE* log, bool verbose) {
  return std::make_unique<QuietEvents>(out, log, verbose);
}

}  // namespace diskferry
