// JobStatus as text (sinks/job_status.h): every status's word reads back as that status,
// the words are the report's, and words the report never held read as nothing.
#include "sinks/job_status.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace diskferry {
namespace {

TEST(JobStatusTest, EveryStatusReadsBackFromItsName) {
  for (JobStatus status : kJobStatuses) {
    const std::optional<JobStatus> back = ParseJobStatus(JobStatusName(status));
    ASSERT_TRUE(back.has_value()) << JobStatusName(status);
    EXPECT_EQ(*back, status) << JobStatusName(status);
  }
}

TEST(JobStatusTest, NamesAreTheWordsOfTheRunReportAndTheJsonEvents) {
  EXPECT_EQ(JobStatusName(JobStatus::kOk), "ok");
  EXPECT_EQ(JobStatusName(JobStatus::kWarnings), "warnings");
  EXPECT_EQ(JobStatusName(JobStatus::kFailed), "failed");
  EXPECT_EQ(JobStatusName(JobStatus::kDifferences), "differences");
  EXPECT_EQ(JobStatusName(JobStatus::kSkipped), "skipped");
  EXPECT_EQ(JobStatusName(JobStatus::kInterrupted), "interrupted");
}

TEST(JobStatusTest, EveryStatusIsListedOnceWithANameOfItsOwn) {
  std::set<JobStatus> statuses;
  std::set<std::string> names;
  for (JobStatus status : kJobStatuses) {
    statuses.insert(status);
    names.insert(std::string(JobStatusName(status)));
  }
  EXPECT_EQ(statuses.size(), std::size(kJobStatuses));
  EXPECT_EQ(names.size(), std::size(kJobStatuses));
  EXPECT_EQ(statuses.size(), static_cast<size_t>(JobStatus::kInterrupted) + 1);
}

TEST(JobStatusTest, OtherWordsAreNoStatus) {
  for (const char* word :
       {"", "OK", "Failed", "ok ", "cancelled", "complete", "unknown", "someday"}) {
    EXPECT_FALSE(ParseJobStatus(word).has_value()) << '"' << word << '"';
  }
}

}  // namespace
}  // namespace diskferry
