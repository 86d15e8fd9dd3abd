// The exit status each kind of failure gives, and each way a run's jobs can end
// (cli/exit_codes.h).
#include "cli/exit_codes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "appliance/control_client.h"

namespace diskferry {
namespace {

TEST(ExitCodesTest, AMisbehavingApplianceExits70EvenWithTheImageNamed) {
  const Status misbehaved(Code::kProtocolError,
                          std::string(kMisbehavedPrefix) + "ReadDir reply: a link target of 4097 "
                                                           "bytes, more than 4096");
  EXPECT_EQ(ExitCodeFor(misbehaved), 70);
  EXPECT_EQ(ExitCodeFor(InImage(misbehaved, "disk.img")), 70);
}

TEST(ExitCodesTest, ASilentApplianceIsUnavailableNotMisbehaving) {
  EXPECT_EQ(ExitCodeFor(Status(Code::kTimeout, "the appliance did not read a request")), 69);
}

// The numbers README.md, docs/diskferry.1 and --help promise.
TEST(ExitCodesTest, TheTableHasTheDocumentedNumbers) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitError, 1);
  EXPECT_EQ(kExitWarnings, 1);
  EXPECT_EQ(kExitJobFailed, 2);
  EXPECT_EQ(kExitDifferences, 3);
  EXPECT_EQ(kExitUsage, 64);
  EXPECT_EQ(kExitInvalidManifest, 65);
  EXPECT_EQ(kExitShardsIncomplete, 65);
  EXPECT_EQ(kExitUnavailable, 69);
  EXPECT_EQ(kExitInternal, 70);
  EXPECT_EQ(kExitInterrupted, 130);
}

TEST(ExitCodesTest, ARunWhoseJobsEndedOkOrSkippedExits0) {
  using enum JobStatus;
  EXPECT_EQ(ExitCodeOfRun({}, false), 0);
  EXPECT_EQ(ExitCodeOfRun({kOk}, false), 0);
  EXPECT_EQ(ExitCodeOfRun({kSkipped}, false), 0);
  EXPECT_EQ(ExitCodeOfRun({kOk, kSkipped, kOk}, false), 0);
}

TEST(ExitCodesTest, TheWorstJobDecidesFailedOverDifferencesOverWarnings) {
  using enum JobStatus;
  EXPECT_EQ(ExitCodeOfRun({kOk, kWarnings}, false), 1);
  EXPECT_EQ(ExitCodeOfRun({kDifferences}, false), 3);
  EXPECT_EQ(ExitCodeOfRun({kWarnings, kDifferences}, false), 3);
  EXPECT_EQ(ExitCodeOfRun({kDifferences, kWarnings}, false), 3);
  EXPECT_EQ(ExitCodeOfRun({kFailed}, false), 2);
  EXPECT_EQ(ExitCodeOfRun({kWarnings, kFailed}, false), 2);
  EXPECT_EQ(ExitCodeOfRun({kFailed, kDifferences}, false), 2);
  EXPECT_EQ(ExitCodeOfRun({kDifferences, kFailed, kWarnings, kSkipped}, false), 2);
}

TEST(ExitCodesTest, AnInterruptedRunExits130WhateverItsJobs) {
  using enum JobStatus;
  EXPECT_EQ(ExitCodeOfRun({}, true), 130);
  EXPECT_EQ(ExitCodeOfRun({kOk, kFailed, kDifferences, kWarnings}, true), 130);
  // A job's own kInterrupted says the run was: the same code without the flag.
  EXPECT_EQ(ExitCodeOfRun({kInterrupted}, false), 130);
  EXPECT_EQ(ExitCodeOfRun({kFailed, kInterrupted, kOk}, false), 130);
}

// Every set of statuses, in every order of its first appearance: the code depends only on
// which statuses occur, and ok and skipped jobs never change it.
TEST(ExitCodesTest, TheCodeDependsOnWhichStatusesOccurNotOnTheirOrderOrOkJobs) {
  const std::vector<JobStatus> all(std::begin(kJobStatuses), std::end(kJobStatuses));
  for (unsigned mask = 0; mask < (1u << all.size()); ++mask) {
    std::vector<JobStatus> jobs;
    for (size_t i = 0; i < all.size(); ++i) {
      if (mask & (1u << i)) jobs.push_back(all[i]);
    }
    for (bool interrupted : {false, true}) {
      const int code = ExitCodeOfRun(jobs, interrupted);
      std::vector<JobStatus> order = jobs;
      std::sort(order.begin(), order.end());
      do {
        EXPECT_EQ(ExitCodeOfRun(order, interrupted), code) << "mask " << mask;
      } while (std::next_permutation(order.begin(), order.end()));
      std::vector<JobStatus> more = jobs;
      more.insert(more.end(), {JobStatus::kOk, JobStatus::kSkipped});
      EXPECT_EQ(ExitCodeOfRun(more, interrupted), code) << "mask " << mask;
    }
  }
}

}  // namespace
}  // namespace diskferry
