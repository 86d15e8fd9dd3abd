#include "cli/exit_codes.h"

#include <algorithm>
#include <cstdio>

#include "protocol/printable_text.h"

namespace diskferry {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk: return kExitOk;
    case Code::kInvalidArgument: return kExitUsage;
    case Code::kUnavailable:
    case Code::kTimeout: return kExitUnavailable;
    case Code::kProtocolError:
    case Code::kInternal: return kExitInternal;
    case Code::kCancelled: return kExitInterrupted;
    default: return kExitError;
  }
}

int ExitCodeOfRun(const std::vector<JobStatus>& jobs, bool interrupted) {
  auto any = [&jobs](JobStatus status) {
    return std::find(jobs.begin(), jobs.end(), status) != jobs.end();
  };
  if (interrupted || any(JobStatus::kInterrupted)) return kExitInterrupted;
  if (any(JobStatus::kFailed)) return kExitJobFailed;
  if (any(JobStatus::kDifferences)) return kExitDifferences;
  if (any(JobStatus::kWarnings)) return kExitWarnings;
  return kExitOk;
}

namespace {
bool verbose = false;
std::string command_line;
}  // namespace

void SetVerbose(bool on) { verbose = on; }
bool Verbose() { return verbose; }

void SetCommandLine(int argc, char** argv) {
  command_line.clear();
  for (int i = 0; i < argc; ++i) {
    if (i > 0) command_line += ' ';
    command_line += argv[i];
  }
}
const std::string& CommandLine() { return command_line; }

void PrintError(const Status& status) {
  // Messages carry guest text (names, the guest's error texts, console lines): one
  // escaping pass here, whatever the layers below did. Newlines are the message's own.
  const std::string text = status.ToString();
  std::fprintf(stderr, "diskferry: %s\n",
               PrintableText(verbose ? std::string_view(text) : MessageSummary(text),
                             {.keep_newlines = true})
                   .c_str());
}

int ReportFailure(const Status& status) {
  PrintError(status);
  return ExitCodeFor(status);
}

Status InImage(const Status& status, const std::string& image) {
  if (status.ok()) return status;
  std::string_view m = status.message();
  // Guest errors read "ENOENT: /path: strerror"; users expect "disk.img:/path: strerror".
  if (status.code() == Code::kGuestError) {
    const size_t sep = m.find(": /");
    if (sep != std::string_view::npos && m.substr(0, sep).find(' ') == std::string_view::npos) {
      m.remove_prefix(sep + 2);
    }
  }
  if (!m.empty() && m.front() == '/') return Status(status.code(), image + ":" + std::string(m));
  return status.WithContext(image);
}

}  // namespace diskferry
