// The runner's paths through whole runs, in seconds and without a VM: RunManifest over a
// pool whose appliances are the daemon serving a scratch directory in-process
// (daemon_sessions.h), each behind a ChannelTap that records the walk ranges the host asks
// for and, where a test says so, cuts the channel (the appliance dies) or holds it (the
// guest hangs) at a chosen reply. Covered: a session killed mid-job (retried on a fresh one
// after the last finished file; retries exhausted), split jobs (every file exactly once),
// fail_fast, cancellation, resume after an interrupted run, and the exit codes.
//
// Every job reads its own image (NAME.img, served from roots/NAME), so launches count per
// job. Statuses are read as the report and the JSON events write them. Nothing waits on
// the clock: a cut or a hold happens at a frame, and a cancelled run is unblocked by the
// pool killing the held session.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cli/run_events_display.h"
#include "jobs/validator.h"
#include "runner/job_runner.h"
#include "tests/cli/run_events_test_util.h"
#include "tests/runner/daemon_sessions.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::CapturedFile;
using testing::OpenDaemonSession;
using testing::ParseJsonLines;
using testing::ReadFile;
using testing::ScratchDir;
using testing::TapAction;
using testing::TapScript;
using testing::WriteFile;

// Below the stream threshold (256 KiB), so files travel whole in batch buffers: about
// five to a 1 MiB socket-lane buffer, so one reply finishes some files and not all.
constexpr size_t kFileSize = 200 << 10;
constexpr int kFiles = 24;

std::string FilePath(int i) {
  return "data/f" + std::string(i < 10 ? "0" : "") + std::to_string(i);
}

// The bytes of file `i` of job `job`'s source as written at `version`.
std::string Content(const std::string& job, int i, int version) {
  std::string s = job + " " + FilePath(i) + " v" + std::to_string(version) + "\n";
  s.resize(kFileSize, static_cast<char>('a' + (i + version) % 26));
  return s;
}

// Cuts the channel after the first reply that carries batch records (whole files).
TapScript CutAfterFirstFiles() {
  TapScript script;
  script.on_reply = [](const proto::Response& reply) {
    return testing::BatchRecordsOf(reply) > 0 ? TapAction::kForwardThenCut : TapAction::kForward;
  };
  return script;
}

class RunManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // a daemon may still write to a tap that was cut
  }

  // roots/NAME/data/f00.. at `version`, and NAME.img for the manifest to name.
  void MakeSource(const std::string& job, int version = 1) {
    std::filesystem::create_directories(dir_ / ("roots/" + job + "/data"));
    for (int i = 0; i < kFiles; ++i) {
      WriteFile(dir_ / ("roots/" + job + "/" + FilePath(i)), Content(job, i, version));
    }
    WriteFile(dir_ / (job + ".img"), "");
  }

  static std::string ExtractJob(const std::string& job, const std::string& output_extra = "") {
    return "  - name: " + job + "\n    kind: extract\n    source: " + job +
           ".img\n    format: raw\n    output: {dir: out/" + job + output_extra + "}\n";
  }

  // Runs `run_block` ("run: {...}\n" or "") and `jobs` with the pool size `appliances_`,
  // reporting to report_; returns RunManifest's exit code (-1 if the run failed as a whole).
  int Run(const std::string& run_block, const std::string& jobs, bool resume = false) {
    const std::string manifest = dir_ / "run.yaml";
    const std::string text = "version: 1\n" + run_block + "jobs:\n" + jobs;
    WriteFile(manifest, text);
    Diagnostics diagnostics;
    Result<ManifestSpec> spec = LoadManifest(manifest, text, ValidateOptions{}, &diagnostics);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    if (!spec.ok()) return -1;
    CapturedFile events_file;
    auto events = MakeJsonEvents(events_file.get(), nullptr);  // logs as events too
    RunOptions options;
    options.report_path = Report();
    options.appliances = appliances_;
    options.min_part_weight = min_part_weight_;
    options.resume = resume;
    options.events = events.get();
    options.cancel = &cancel_;
    options.seams.open = [this](const ImageSessionConfig& config) { return Open(config); };
    Result<RunOutcome> outcome = RunManifest(*spec, options);
    events.reset();
    std::fflush(events_file.get());
    events_ = ParseJsonLines(events_file.Text());
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() ? outcome->exit_code : -1;
  }

  Result<std::unique_ptr<PooledSession>> Open(const ImageSessionConfig& config) {
    const std::string job = std::filesystem::path(config.image).stem().string();
    int launch = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      launch = ++launches_[job];
      if (auto it = failing_.find(job); it != failing_.end()) return it->second;
    }
    if (before_launch_) before_launch_(job, launch);
    TapScript script = script_for_ ? script_for_(job, launch) : TapScript{};
    script.on_request = [this, job, then = script.on_request](const proto::Request& request) {
      if (const proto::ExtractStartRequest* start = request.op_as_ExtractStart()) {
        std::lock_guard<std::mutex> lock(mu_);
        afters_[job].push_back(start->after() != nullptr ? start->after()->str() : "");
      }
      if (then) then(request);
    };
    return OpenDaemonSession(dir_ / ("roots/" + job), launch, std::move(script));
  }

  std::string Report() const { return dir_ / report_; }

  int Launches(const std::string& job) {
    std::lock_guard<std::mutex> lock(mu_);
    return launches_[job];
  }

  // The `after` of each extraction the job's appliances were asked for, in order.
  std::vector<std::string> Afters(const std::string& job) {
    std::lock_guard<std::mutex> lock(mu_);
    return afters_[job];
  }

  std::vector<Json> ReportRecords() { return ParseJsonLines(ReadFile(Report())); }

  // Job -> status, from the report's last run record (every job, interrupted ones too).
  std::map<std::string, std::string> RunStatuses() {
    std::map<std::string, std::string> statuses;
    for (const Json& r : ReportRecords()) {
      if (r.value("record", "") != "run") continue;
      statuses.clear();
      for (const Json& j : r["jobs"]) {
        statuses[j.value("job", "")] = j.value("status", "");
      }
    }
    return statuses;
  }

  std::string RunRecordStatus() {
    std::string status;
    for (const Json& r : ReportRecords()) {
      if (r.value("record", "") == "run") status = r.value("status", "");
    }
    return status;
  }

  // The job's last "job" record in the report (an empty object if none).
  Json JobRecord(const std::string& job) {
    Json found = Json::object();
    for (const Json& r : ReportRecords()) {
      if (r.value("record", "") == "job" && r.value("job", "") == job) found = r;
    }
    return found;
  }

  // The status of the job's job_finished event.
  std::string FinishedEventStatus(const std::string& job) {
    for (const Json& e : events_) {
      if (e.value("event", "") == "job_finished" && e.value("job", "") == job) {
        return e.value("status", "");
      }
    }
    return "";
  }

  bool LoggedLine(const std::string& words) {
    for (const Json& e : events_) {
      if (e.value("event", "") == "log" &&
          e.value("message", "").find(words) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  // How many times the report lists each regular file of `job`.
  std::map<std::string, int> ReportedFiles(const std::string& job) {
    std::map<std::string, int> files;
    for (const Json& r : ReportRecords()) {
      if (r.value("record", "") == "file" && r.value("job", "") == job &&
          r.value("type", "") == "file") {
        ++files[r.value("path", "")];
      }
    }
    return files;
  }

  static std::map<std::string, int> EachFileOnce() {
    std::map<std::string, int> files;
    for (int i = 0; i < kFiles; ++i) files[FilePath(i)] = 1;
    return files;
  }

  // The regular files part 0 of `job` spooled in the journal, in walk order.
  std::vector<std::string> Spooled(const std::string& job) {
    std::vector<std::string> paths;
    const std::string spool = Report() + ".journal/" + job + ".0.jsonl";
    for (const Json& r : ParseJsonLines(ReadFile(spool))) {
      if (r.value("type", "") == "file") paths.push_back(r.value("path", ""));
    }
    return paths;
  }

  // The regular files under out/JOB/data.
  std::set<std::string> OutputFiles(const std::string& job) {
    std::set<std::string> files;
    const std::string data = dir_ / ("out/" + job + "/data");
    if (!std::filesystem::exists(data)) return files;
    for (const auto& e : std::filesystem::directory_iterator(data)) {
      files.insert("data/" + e.path().filename().string());
    }
    return files;
  }

  // Every output file of `job` holds its source's bytes at version 1 if `first` names it,
  // else at `later`.
  void ExpectOutputVersions(const std::string& job, const std::vector<std::string>& first,
                            int later) {
    for (int i = 0; i < kFiles; ++i) {
      const bool old = std::find(first.begin(), first.end(), FilePath(i)) != first.end();
      SCOPED_TRACE(job + "/" + FilePath(i));
      EXPECT_TRUE(ReadFile(dir_ / ("out/" + job + "/" + FilePath(i))) ==
                  Content(job, i, old ? 1 : later));
    }
  }

  // Runs jobs a, b and c on one appliance. b's appliance sends its first files, then holds
  // every reply; once the host asks for more (it has written those files) the run is
  // cancelled, so b stops in the middle. Leaves cancel_ set and the script in place.
  int RunCancelledInJobB() {
    for (const char* job : {"a", "b", "c"}) MakeSource(job);
    appliances_ = 1;
    script_for_ = [this](const std::string& job, int) {
      TapScript script;
      if (job != "b") return script;
      auto sent_files = std::make_shared<std::atomic<bool>>(false);
      script.on_reply = [sent_files](const proto::Response& reply) {
        if (*sent_files) return TapAction::kHold;
        if (testing::BatchRecordsOf(reply) > 0) *sent_files = true;
        return TapAction::kForward;
      };
      // The host asks for the next buffers only once it has applied the last reply.
      script.on_request = [this, sent_files](const proto::Request& request) {
        if (*sent_files && request.op_as_ExtractNext() != nullptr) cancel_ = true;
      };
      return script;
    };
    return Run("run: {split: false}\n", ExtractJob("a") + ExtractJob("b") + ExtractJob("c"));
  }

  ScratchDir dir_;
  std::string report_ = "report.jsonl";
  int appliances_ = 2;
  uint64_t min_part_weight_ = 0;
  std::atomic<bool> cancel_{false};
  // Called in the launching thread before a session for `job` is opened.
  std::function<void(const std::string& job, int launch)> before_launch_;
  // The tap script of each launch (launches count from 1 per job); the fixture adds its
  // own on_request in front of the script's.
  std::function<TapScript(const std::string& job, int launch)> script_for_;
  std::vector<Json> events_;  // the last run's JSON events

  std::mutex mu_;
  std::map<std::string, int> launches_;                     // guarded by mu_
  std::map<std::string, Status> failing_;                   // guarded by mu_: launch errors
  std::map<std::string, std::vector<std::string>> afters_;  // guarded by mu_
};

// The second launch rewrites the source first: a file the first appliance had finished
// keeps its first bytes only if it was not extracted again.
TEST_F(RunManifestTest, AJobWhoseSessionDiesIsRetriedOnAFreshOneAfterItsLastFinishedFile) {
  MakeSource("a");
  script_for_ = [](const std::string&, int launch) {
    return launch == 1 ? CutAfterFirstFiles() : TapScript{};
  };
  std::vector<std::string> finished;
  before_launch_ = [&](const std::string& job, int launch) {
    if (launch != 2) return;
    finished = Spooled(job);
    MakeSource(job, 2);
  };
  EXPECT_EQ(Run("run: {split: false}\n", ExtractJob("a")), 0);
  EXPECT_EQ(Launches("a"), 2);
  ASSERT_FALSE(finished.empty());
  ASSERT_LT(finished.size(), static_cast<size_t>(kFiles));
  EXPECT_EQ(Afters("a"), (std::vector<std::string>{"", finished.back()}));
  EXPECT_TRUE(LoggedLine("a: continuing after /" + finished.back()));
  ExpectOutputVersions("a", finished, 2);
  EXPECT_EQ(ReportedFiles("a"), EachFileOnce());
  EXPECT_EQ(RunStatuses(), (std::map<std::string, std::string>{{"a", "ok"}}));
  EXPECT_FALSE(std::filesystem::exists(Report() + ".journal"));
}

TEST_F(RunManifestTest, AJobWhoseSessionsKeepDyingFailsOnceItsRetriesAreSpent) {
  MakeSource("a");
  script_for_ = [](const std::string&, int) { return CutAfterFirstFiles(); };
  EXPECT_EQ(Run("run: {split: false, retries: 1}\n", ExtractJob("a")), 2);
  EXPECT_EQ(Launches("a"), 2);
  EXPECT_TRUE(LoggedLine("retrying (1 of 1) on a new one"));
  EXPECT_EQ(JobRecord("a").value("status", ""), "failed");
  EXPECT_EQ(FinishedEventStatus("a"), "failed");
  // What the two attempts finished is kept and reported once; nothing else is there.
  const std::map<std::string, int> reported = ReportedFiles("a");
  EXPECT_GT(reported.size(), 1u);
  EXPECT_LT(reported.size(), static_cast<size_t>(kFiles));
  std::set<std::string> reported_paths;
  for (const auto& [path, count] : reported) {
    EXPECT_EQ(count, 1) << path;
    reported_paths.insert(path);
  }
  EXPECT_EQ(OutputFiles("a"), reported_paths);
  for (int i = 0; i < kFiles; ++i) {
    if (reported_paths.count(FilePath(i)) == 0) continue;
    EXPECT_TRUE(ReadFile(dir_ / ("out/a/" + FilePath(i))) == Content("a", i, 1)) << FilePath(i);
  }
}

TEST_F(RunManifestTest, ASplitJobWritesAndReportsEveryFileExactlyOnce) {
  MakeSource("a");
  appliances_ = 3;
  min_part_weight_ = 1;  // every appliance gets a part
  EXPECT_EQ(Run("", ExtractJob("a")), 0);
  EXPECT_TRUE(LoggedLine("a: split into 3 parts"));
  std::vector<std::string> afters = Afters("a");
  ASSERT_EQ(afters.size(), 3u);
  std::sort(afters.begin(), afters.end());
  EXPECT_EQ(afters[0], "");
  EXPECT_NE(afters[1], "");
  EXPECT_NE(afters[1], afters[2]);
  ExpectOutputVersions("a", {}, 1);
  EXPECT_EQ(ReportedFiles("a"), EachFileOnce());
  EXPECT_EQ(JobRecord("a").value("files", 0), kFiles);
}

TEST_F(RunManifestTest, APartWhoseSessionDiesIsRetriedAndEveryFileStillComesOnce) {
  MakeSource("a");
  appliances_ = 3;
  min_part_weight_ = 1;
  // The first session to send files of any part dies once it has sent them.
  auto cut = std::make_shared<std::atomic<bool>>(false);
  script_for_ = [cut](const std::string&, int) {
    TapScript script;
    script.on_reply = [cut](const proto::Response& reply) {
      if (testing::BatchRecordsOf(reply) == 0) return TapAction::kForward;
      return cut->exchange(true) ? TapAction::kForward : TapAction::kForwardThenCut;
    };
    return script;
  };
  EXPECT_EQ(Run("", ExtractJob("a")), 0);
  EXPECT_TRUE(cut->load());
  EXPECT_TRUE(LoggedLine("a: split into 3 parts"));
  EXPECT_TRUE(LoggedLine("on a new one"));
  EXPECT_EQ(Afters("a").size(), 4u);  // three parts and one retry
  ExpectOutputVersions("a", {}, 1);
  EXPECT_EQ(ReportedFiles("a"), EachFileOnce());
}

TEST_F(RunManifestTest, WithFailFastTheFirstFailureSkipsEveryJobNotStarted) {
  for (const char* job : {"a", "b", "c"}) MakeSource(job);
  appliances_ = 1;
  failing_["a"] = Status(Code::kNotFound, "a.img: no filesystem matches /dev/sdb1");
  const std::string jobs = ExtractJob("a") + ExtractJob("b") + ExtractJob("c");
  EXPECT_EQ(Run("run: {fail_fast: true}\n", jobs), 2);
  EXPECT_EQ(RunStatuses(), (std::map<std::string, std::string>{
                               {"a", "failed"}, {"b", "skipped"}, {"c", "skipped"}}));
  for (const char* job : {"b", "c"}) {
    SCOPED_TRACE(job);
    EXPECT_EQ(JobRecord(job).value("message", ""),
              "not started: an earlier job failed (fail_fast)");
    EXPECT_EQ(FinishedEventStatus(job), "skipped");
    EXPECT_EQ(Launches(job), 0);
    EXPECT_FALSE(std::filesystem::exists(dir_ / ("out/" + std::string(job))));
  }
}

TEST_F(RunManifestTest, WithoutFailFastAFailureLeavesTheOtherJobsRunning) {
  for (const char* job : {"a", "b", "c"}) MakeSource(job);
  appliances_ = 1;
  failing_["a"] = Status(Code::kNotFound, "a.img: no filesystem matches /dev/sdb1");
  EXPECT_EQ(Run("", ExtractJob("a") + ExtractJob("b") + ExtractJob("c")), 2);
  EXPECT_EQ(RunStatuses(),
            (std::map<std::string, std::string>{{"a", "failed"}, {"b", "ok"}, {"c", "ok"}}));
  EXPECT_EQ(ReportedFiles("c"), EachFileOnce());
}

TEST_F(RunManifestTest, CancellingInterruptsRunningAndWaitingJobsAndKeepsFinishedWork) {
  EXPECT_EQ(RunCancelledInJobB(), 130);
  EXPECT_EQ(RunRecordStatus(), "interrupted");
  EXPECT_EQ(RunStatuses(), (std::map<std::string, std::string>{
                               {"a", "ok"}, {"b", "interrupted"}, {"c", "interrupted"}}));
  EXPECT_EQ(FinishedEventStatus("b"), "interrupted");
  EXPECT_EQ(FinishedEventStatus("c"), "interrupted");
  EXPECT_EQ(Launches("c"), 0);
  // a finished: its files are out and reported.
  ExpectOutputVersions("a", {}, 1);
  EXPECT_EQ(ReportedFiles("a"), EachFileOnce());
  // b's finished files are out whole and kept in the journal for --resume; none is
  // reported yet, and nothing half written is left.
  const std::vector<std::string> spooled = Spooled("b");
  ASSERT_FALSE(spooled.empty());
  EXPECT_LT(spooled.size(), static_cast<size_t>(kFiles));
  EXPECT_EQ(OutputFiles("b"), std::set<std::string>(spooled.begin(), spooled.end()));
  for (const std::string& path : spooled) {
    const int i = std::stoi(path.substr(path.size() - 2));
    EXPECT_TRUE(ReadFile(dir_ / ("out/b/" + path)) == Content("b", i, 1)) << path;
  }
  EXPECT_TRUE(ReportedFiles("b").empty());
  EXPECT_TRUE(std::filesystem::exists(Report() + ".journal/run.json"));
}

// Every source is rewritten between the runs: what the resumed run extracted again would
// hold the new bytes.
TEST_F(RunManifestTest, AResumedRunRedoesNeitherFinishedJobsNorFinishedFiles) {
  ASSERT_EQ(RunCancelledInJobB(), 130);
  const std::vector<std::string> spooled = Spooled("b");
  ASSERT_FALSE(spooled.empty());
  ASSERT_LT(spooled.size(), static_cast<size_t>(kFiles));
  for (const char* job : {"a", "b", "c"}) MakeSource(job, 2);
  cancel_ = false;
  script_for_ = nullptr;
  EXPECT_EQ(Run("run: {split: false}\n", ExtractJob("a") + ExtractJob("b") + ExtractJob("c"),
                /*resume=*/true),
            0);
  EXPECT_EQ(Launches("a"), 1);
  EXPECT_EQ(Launches("b"), 2);
  EXPECT_EQ(Launches("c"), 1);
  EXPECT_EQ(Afters("b"), (std::vector<std::string>{"", spooled.back()}));
  ExpectOutputVersions("a", {}, 1);
  ExpectOutputVersions("b", spooled, 2);
  ExpectOutputVersions("c", {}, 2);
  for (const char* job : {"a", "b", "c"}) EXPECT_EQ(ReportedFiles(job), EachFileOnce()) << job;
  EXPECT_EQ(RunRecordStatus(), "complete");
  EXPECT_EQ(RunStatuses(),
            (std::map<std::string, std::string>{{"a", "ok"}, {"b", "ok"}, {"c", "ok"}}));
  EXPECT_FALSE(std::filesystem::exists(Report() + ".journal"));
}

// One run per exit code, each with a report of its own: 0 all ok; 1 warnings; 2 a job
// failed; 3 verify found differences; the worst wins (2 over 3 over 1); 130 interrupted.
TEST_F(RunManifestTest, TheExitCodeIsTheWorstJobsOr130WhenInterrupted) {
  for (const char* job : {"ok", "warn", "bad", "diff"}) MakeSource(job);
  failing_["bad"] = Status(Code::kNotFound, "bad.img: no filesystem matches /dev/sdb1");
  // `against` lists one file that is not there: "missing", and every file is "new".
  WriteFile(dir_ / "against.jsonl",
            "{\"record\":\"file\",\"job\":\"old\",\"path\":\"data/gone\",\"type\":\"file\","
            "\"size\":1,\"status\":\"ok\"}\n");
  const auto extract = [](const std::string& job, const std::string& run) {
    std::string text = ExtractJob(job);
    return text.replace(text.find("out/" + job), 4 + job.size(), "out/" + run + "/" + job);
  };
  const auto warning = [&](const std::string& run) {
    // A file already in the output, kept (on_exists: skip): a warning of the writer's.
    WriteFile(dir_ / ("out/" + run + "/warn/" + FilePath(0)), "kept");
    std::string text = extract("warn", run);
    return text.replace(text.find("}\n"), 2, ", on_exists: skip}\n");
  };
  const std::string verify =
      "  - name: diff\n    kind: verify\n    source: diff.img\n    format: raw\n"
      "    against: against.jsonl\n";
  struct Case {
    std::string name;
    std::string jobs;
    bool cancelled;
    int exit_code;
    std::map<std::string, std::string> statuses;
  };
  std::filesystem::create_directories(dir_ / "out/warnings/warn/data");
  std::filesystem::create_directories(dir_ / "out/worst1/warn/data");
  const std::vector<Case> cases = {
      {"ok", extract("ok", "ok"), false, 0, {{"ok", "ok"}}},
      {"warnings", warning("warnings"), false, 1, {{"warn", "warnings"}}},
      {"failed",
       extract("ok", "failed") + extract("bad", "failed"),
       false,
       2,
       {{"ok", "ok"}, {"bad", "failed"}}},
      {"differences", verify, false, 3, {{"diff", "differences"}}},
      {"worst1",
       verify + warning("worst1"),
       false,
       3,
       {{"diff", "differences"}, {"warn", "warnings"}}},
      {"worst2",
       verify + extract("bad", "worst2"),
       false,
       2,
       {{"diff", "differences"}, {"bad", "failed"}}},
      {"interrupted",
       extract("ok", "interrupted") + extract("bad", "interrupted"),
       true,
       130,
       {{"ok", "interrupted"}, {"bad", "interrupted"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    report_ = c.name + ".jsonl";
    cancel_ = c.cancelled;
    EXPECT_EQ(Run("", c.jobs), c.exit_code);
    EXPECT_EQ(RunStatuses(), c.statuses);
  }
}

}  // namespace
}  // namespace diskferry
