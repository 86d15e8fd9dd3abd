// The error a failed appliance launch returns: everything a user needs to see why the VM
// did not come up, without rerunning it (accelerator, time spent, QEMU's fate and output,
// the console's last lines, the command line).
//
// Pure functions over files and values; thread-safe.
#ifndef DISKFERRY_APPLIANCE_LAUNCH_REPORT_H_
#define DISKFERRY_APPLIANCE_LAUNCH_REPORT_H_

#include <chrono>
#include <cstddef>
#include <string>

#include "appliance/accelerator.h"
#include "protocol/status.h"

namespace diskferry {

inline constexpr size_t kConsoleTailLines = 20;
inline constexpr size_t kQemuOutputTailLines = 10;

struct LaunchReport {
  Status why;  // the step that failed
  AccelChoice accel;
  std::chrono::milliseconds elapsed{0};
  std::string qemu_fate;         // "exited with status 1", "was still running; killed"
  std::string qemu_output_path;  // QEMU's stdout+stderr
  std::string console_log_path;  // the guest's ttyS0
  std::string command;           // QemuCommand::ShellCommand()
};

// The last `lines` lines of the file at `path` (reading at most its last 64 KiB), with
// "\r" dropped and each line escaped by PrintableText (cut at 512 bytes): a guest console
// is untrusted and must not drive the user's terminal. Empty if unreadable.
std::string TailLines(const std::string& path, size_t lines);

// Status with why's code and a multi-line message whose first line is the summary a
// terminal shows (MessageSummary) and the rest its details (--verbose, the run report):
//   appliance launch failed: <why> (QEMU <fate>, after 3.2 s: <QEMU's last output line>;
//   details with --verbose)
// (the fate left out when <why> says it, the output line when QEMU printed nothing)
//     accelerator: tcg (TCG: KVM: /dev/kvm not present)
//     elapsed: 3.2 s
//     QEMU: exited with status 1
//     QEMU output: ...
//     console (last 20 lines of <path>):    or "console: empty"
//       ...
//     command: qemu-system-x86_64 ...
Status FormatLaunchFailure(const LaunchReport& report);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_LAUNCH_REPORT_H_
