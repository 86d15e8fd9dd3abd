// Parts shared by the RunEvents implementations (run_events*.cc); not an interface.
#ifndef DISKFERRY_CLI_RUN_EVENTS_IMPL_H_
#define DISKFERRY_CLI_RUN_EVENTS_IMPL_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/rate_window.h"
#include "cli/run_events_text.h"
#include "runner/run_events.h"

namespace diskferry {

// The jobs of a run: owns every JobMeter handed out, knows which jobs are running and keeps
// their rate windows. Thread-compatible: its owner calls it under the owner's lock.
class MeterBoard {
 public:
  struct Running {
    JobMeter* meter;
    RateWindow bytes;
    RateWindow files;
    JobCounts last_sent;  // for the JSON ticker: counters last written
  };
  struct Finished {
    std::string kind;  // "" when the job never started
    JobCounts counts;
    uint64_t file_errors = 0;
    double seconds = 0;
  };

  void RunStarted(size_t jobs, SteadyTime now);
  JobMeter* Start(const std::string& job, const std::string& kind, SteadyTime now);
  // The job leaves the running list (its latest start, if it started twice); its status
  // is counted.
  Finished Finish(const std::string& job, JobStatus status, SteadyTime now);
  // Jobs by status, every status in kJobStatuses order (also when 0).
  StatusCounts Statuses() const;
  // The job's file errors so far, this one included.
  uint64_t CountFileError(const std::string& job);
  // Feeds every running job's rate windows and the run's.
  void Sample(SteadyTime now);
  RunView View() const;
  std::vector<Running>& running() { return running_; }

 private:
  std::vector<std::unique_ptr<JobMeter>> meters_;  // every job started, never shrinks
  std::vector<Running> running_;                   // in the order they started
  std::map<std::string, uint64_t> file_errors_;
  std::map<JobStatus, int> statuses_;
  bool run_started_ = false;
  SteadyTime run_start_;
  size_t jobs_total_ = 0;
  size_t jobs_finished_ = 0;
  uint64_t finished_files_ = 0;
  uint64_t finished_bytes_ = 0;
  RateWindow run_bytes_;
};

// Calls `tick` every `interval` on its own thread until Stop(). Construct and Stop from
// one thread; `tick` may take locks, so never call Stop() holding one `tick` takes.
class Ticker {
 public:
  Ticker(std::chrono::milliseconds interval, std::function<void()> tick);
  ~Ticker();  // Stop()
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;
  // Waits for a running tick to return; idempotent.
  void Stop();

 private:
  void Loop();

  const std::chrono::milliseconds interval_;
  const std::function<void()> tick_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace diskferry

#endif  // DISKFERRY_CLI_RUN_EVENTS_IMPL_H_
