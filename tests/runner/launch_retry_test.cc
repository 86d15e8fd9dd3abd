// Which failed launches a run retries: RunManifest over a pool whose session factory fails
// with a chosen Status (no VM). A configuration error (a wrong format, a filesystem that
// is not there, the daemon refusing) fails its job at the first launch with one line; an
// appliance that died or hung is launched again, up to run.retries times, and every
// failure lands in the run report whole while the terminal shows its first line.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/run_events_display.h"
#include "jobs/validator.h"
#include "runner/job_runner.h"
#include "tests/cli/run_events_test_util.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::CapturedFile;
using testing::ReadFile;
using testing::ScratchDir;
using testing::SplitLines;
using testing::WriteFile;

class LaunchRetryTest : public ::testing::Test {
 protected:
  // One extract job over an empty raw file, with `retries` retries; every launch fails
  // with `failure`. Returns the quiet display's log lines.
  std::vector<std::string> RunFailing(const Status& failure, int retries) {
    WriteFile(dir_ / "disk.img", "");
    const std::string manifest = dir_ / "run.yaml";
    const std::string text = "version: 1\nrun: {retries: " + std::to_string(retries) +
                             "}\njobs:\n  - name: j\n    kind: extract\n    source: disk.img\n"
                             "    format: raw\n    output: {dir: out}\n";
    WriteFile(manifest, text);
    Diagnostics diagnostics;
    Result<ManifestSpec> spec = LoadManifest(manifest, text, ValidateOptions{}, &diagnostics);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    if (!spec.ok()) return {};
    CapturedFile out, log;
    auto events = MakeQuietEvents(out.get(), log.get());
    RunOptions options;
    options.report_path = dir_ / "report.jsonl";
    options.appliances = 1;
    options.events = events.get();
    options.seams.open =
        [this, failure](const ImageSessionConfig&) -> Result<std::unique_ptr<PooledSession>> {
      ++launches_;
      return failure;
    };
    Result<RunOutcome> outcome = RunManifest(*spec, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (outcome.ok()) {
      EXPECT_FALSE(outcome->interrupted);
      EXPECT_EQ(outcome->jobs.size(), 1u);
      for (const JobOutcome& job : outcome->jobs) EXPECT_EQ(job.status, JobStatus::kFailed);
    }
    std::fflush(log.get());
    return SplitLines(log.Text());
  }

  // The report's lines with "record":"appliance".
  std::vector<std::string> ApplianceRecords() {
    std::vector<std::string> found;
    for (const std::string& line : SplitLines(ReadFile(dir_ / "report.jsonl"))) {
      if (line.find("\"record\":\"appliance\"") != std::string::npos) found.push_back(line);
    }
    return found;
  }

  ScratchDir dir_;
  std::atomic<int> launches_{0};
};

TEST_F(LaunchRetryTest, AConfigurationErrorFailsAtTheFirstLaunchWithOneLine) {
  const std::vector<Status> config_errors = {
      Status(Code::kInvalidArgument, "disk.img: not a qcow2 image"),
      Status(Code::kNotFound, "disk.img: no filesystem matches /dev/sdb1"),
      Status(Code::kGuestError, "EINVAL: mount /dev/sda: Invalid argument"),
      Status(Code::kProtocolError, "protocol error: the appliance misbehaved: x"),
  };
  for (const Status& failure : config_errors) {
    SCOPED_TRACE(failure.message());
    launches_ = 0;
    const std::vector<std::string> lines = RunFailing(failure, 2);
    EXPECT_EQ(launches_, 1);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(lines[0].starts_with("error: [failed] j (extract): 0 files, 0 B in ")) << lines[0];
    EXPECT_TRUE(lines[0].ends_with(" s: " + failure.message())) << lines[0];
    EXPECT_EQ(ApplianceRecords().size(), 1u);
  }
}

TEST_F(LaunchRetryTest, AnApplianceThatDiedIsLaunchedAgainAndTheDetailsGoToTheReportOnly) {
  const Status died(Code::kUnavailable,
                    "appliance launch failed: QEMU exited with status 1 (after 0.1 s)\n"
                    "  QEMU output:\n    qemu-system-x86_64: boom\n"
                    "  command: qemu-system-x86_64 -m 512");
  const std::vector<std::string> lines = RunFailing(died, 2);
  EXPECT_EQ(launches_, 3);
  ASSERT_EQ(lines.size(), 3u);
  const std::string summary = "appliance launch failed: QEMU exited with status 1 (after 0.1 s)";
  EXPECT_EQ(lines[0], "warning: j: " + summary + "; retrying (1 of 2)");
  EXPECT_EQ(lines[1], "warning: j: " + summary + "; retrying (2 of 2)");
  EXPECT_TRUE(lines[2].starts_with("error: [failed] j (extract): ")) << lines[2];
  EXPECT_TRUE(lines[2].ends_with(summary)) << lines[2];
  const std::vector<std::string> records = ApplianceRecords();
  ASSERT_EQ(records.size(), 3u);
  for (const std::string& r : records) {
    EXPECT_NE(r.find("\"what\":\"launch_failed\""), std::string::npos) << r;
    EXPECT_NE(r.find("qemu-system-x86_64 -m 512"), std::string::npos) << r;
  }
  // The job record keeps the whole message too.
  EXPECT_NE(ReadFile(dir_ / "report.jsonl").find("\"record\":\"job\""), std::string::npos);
}

TEST_F(LaunchRetryTest, HangsAndBrokenChannelsAreRetried) {
  for (const Status& failure : {Status(Code::kTimeout, "hello: no reply in time"),
                                Status(Code::kIoError, "control channel: Connection reset")}) {
    SCOPED_TRACE(failure.message());
    launches_ = 0;
    (void)RunFailing(failure, 1);
    EXPECT_EQ(launches_, 2);
  }
}

}  // namespace
}  // namespace diskferry
