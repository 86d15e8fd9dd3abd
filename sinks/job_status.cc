#include "sinks/job_status.h"

namespace diskferry {

std::string_view JobStatusName(JobStatus status) {
  switch (status) {
    case JobStatus::kOk:
      return "ok";
    case JobStatus::kWarnings:
      return "warnings";
    case JobStatus::kFailed:
      return "failed";
    case JobStatus::kDifferences:
      return "differences";
    case JobStatus::kSkipped:
      return "skipped";
    case JobStatus::kInterrupted:
      return "interrupted";
  }
  return "unknown";  // not reached: every enumerator is named above (-Wswitch)
}

std::optional<JobStatus> ParseJobStatus(std::string_view word) {
  for (JobStatus status : kJobStatuses) {
    if (JobStatusName(status) == word) return status;
  }
  return std::nullopt;
}

}  // namespace diskferry
