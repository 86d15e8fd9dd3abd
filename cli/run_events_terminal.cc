// Terminal mode: a live block redrawn in place with ANSI escapes, permanent lines above it.
#include <mutex>

#include "cli/run_events_display.h"
#include "cli/run_events_impl.h"
#include "sinks/host_system.h"

namespace diskferry {
namespace {

constexpr size_t kFallbackWidth = 80;

size_t TerminalWidth(FILE* terminal) { return TerminalColumns(terminal).value_or(kFallbackWidth); }

class TerminalEvents final : public RunEvents {
 public:
  TerminalEvents(FILE* terminal, FILE* log, const TerminalEventsOptions& options)
      : terminal_(terminal),
        log_(log),
        width_(options.width),
        verbose_(options.verbose),
        ticker_(options.refresh, [this] { Tick(); }) {}

  ~TerminalEvents() override { ticker_.Stop(); }

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
    const PlainLine line =
        JobFinishedLine(job, f.kind, status, message, f.counts, f.file_errors, f.seconds, verbose_);
    // The job also leaves the live block, so draw it again rather than reprint it.
    PrintAbove(terminal_, line.text, /*redraw=*/true);
  }
  void JobMounted(const std::string& job, const std::vector<JobFilesystem>& filesystems) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto line = ReplayedJournalLine(job, filesystems)) {
      PrintAbove(log_, PlainLogLine(line->level, line->text), /*redraw=*/false);
    }
  }
  void FileError(const std::string& job, const std::string& path,
                 const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto line = FileErrorLine(job, path, message, board_.CountFileError(job))) {
      PrintAbove(log_, PlainLogLine(line->level, line->text), /*redraw=*/false);
    }
  }
  void Appliance(const ApplianceNotice& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto line = ApplianceLine(event, verbose_)) {
      PrintAbove(log_, PlainLogLine(line->level, line->text), /*redraw=*/false);
    }
  }
  void Evidence(const EvidenceNotice& notice) override {
    std::lock_guard<std::mutex> lock(mu_);
    const PlainLine line = EvidenceLine(notice);
    PrintAbove(log_, PlainLogLine(line.level, line.text), /*redraw=*/false);
  }
  void Log(LogLevel level, const std::string& text) override {
    std::lock_guard<std::mutex> lock(mu_);
    PrintAbove(log_, PlainLogLine(level, text), /*redraw=*/false);
  }
  void Output(const std::string& line) override {
    std::lock_guard<std::mutex> lock(mu_);
    PrintAbove(terminal_, PrintableColumns(line), /*redraw=*/false);
  }
  void RunFinished(const RunSummaryEvent& summary) override {
    ticker_.Stop();
    std::lock_guard<std::mutex> lock(mu_);
    live_ = false;
    shown_.clear();
    PrintAbove(terminal_, SummaryLine(summary, board_.Statuses()), /*redraw=*/false);
  }

 private:
  void Tick() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!live_) return;
    const SteadyTime now = std::chrono::steady_clock::now();
    board_.Sample(now);
    Redraw(now);
  }

  // Requires mu_.
  void Redraw(SteadyTime now) {
    const size_t width = width_ > 0 ? static_cast<size_t>(width_) : TerminalWidth(terminal_);
    // One column spare: writing the last column leaves some terminals waiting to wrap.
    shown_ = RenderLiveBlock(board_.View(), now, width > 1 ? width - 1 : 1);
    Erase();
    Draw();
  }

  // Requires mu_. Moves to the block's first line and clears to the end of the screen.
  void Erase() {
    if (drawn_ > 0) std::fprintf(terminal_, "\r\x1b[%zuA\x1b[J", drawn_);
    drawn_ = 0;
  }

  // Requires mu_ and the block erased.
  void Draw() {
    for (const std::string& line : shown_) std::fprintf(terminal_, "%s\n", line.c_str());
    drawn_ = shown_.size();
    std::fflush(terminal_);
  }

  // Requires mu_. `text` goes above the live block, which is drawn again below it: as it
  // was, or freshly rendered when `redraw`.
  void PrintAbove(FILE* out, const std::string& text, bool redraw) {
    Erase();
    std::fflush(terminal_);
    std::fprintf(out, "%s\n", text.c_str());
    std::fflush(out);
    if (!live_) return;
    if (redraw) {
      Redraw(std::chrono::steady_clock::now());
    } else {
      Draw();
    }
  }

  FILE* const terminal_;
  FILE* const log_;
  const int width_;
  const bool verbose_;
  std::mutex mu_;
  MeterBoard board_;                // guarded by mu_
  bool live_ = true;                // guarded by mu_; false after RunFinished
  std::vector<std::string> shown_;  // guarded by mu_; the block as last rendered
  size_t drawn_ = 0;                // guarded by mu_; its lines now on the terminal
  Ticker ticker_;                   // last: stopped before the rest goes
};

}  // namespace

std::unique_ptr<RunEvents> MakeTerminalEvents(FILE* terminal, FILE* log,
                                              const TerminalEventsOptions& options) {
  // Before the first draw. A console that cannot (Windows before 10) shows the live block
  // garbled, but the permanent lines stay readable.
  (void)EnableTerminalEscapes(terminal);
  return std::make_unique<TerminalEvents>(terminal, log, options);
}

}  // namespace diskferry
