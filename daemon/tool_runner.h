// Running the appliance's storage tools (lvm, cryptsetup, mdadm, dmsetup; see
// appliance/storage_tools.h for how they get there) as child processes.
//
// RunTool is the only way the daemon starts a program. The child gets a fixed
// environment, stdin from a pipe (secrets such as LUKS keys travel there, never in argv or
// a file), stdout and stderr captured up to a cap, its own process group, and no other
// descriptor of the daemon. It is reaped before RunTool returns, and at the timeout it is
// killed with its whole process group.
//
// Thread-safe: no shared state. While it runs, SIGPIPE is blocked in the calling thread
// (a tool that stops reading its stdin must not kill the daemon) and a SIGPIPE raised by
// that is consumed before returning.
#ifndef DISKFERRY_DAEMON_TOOL_RUNNER_H_
#define DISKFERRY_DAEMON_TOOL_RUNNER_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"
#include "daemon/scoped_fd.h"

namespace diskferry::daemon {

// The environment of every tool: nothing of the daemon's own.
//   PATH=/usr/sbin:/usr/bin:/sbin:/bin  lvm runs thin_check and modprobe by name
//   LVM_SUPPRESS_FD_WARNINGS=1          lvm warns about inherited descriptors otherwise
//   DM_DISABLE_UDEV=1                   libdevmapper (lvm, cryptsetup, dmsetup) creates
//                                       /dev/mapper nodes itself and never waits for a
//                                       udev that the appliance does not run
const std::vector<std::string>& ToolEnvironment();

struct ToolOutcome {
  // The exit status; 128 + N when signal N ended the tool (137 after the timeout's
  // SIGKILL); -1 when it could not be reaped (stuck in the kernel past the grace).
  int exit_code = -1;
  bool timed_out = false;  // the timeout passed and the process group was killed
  std::string out;         // stdout, at most output_cap bytes; the rest is read and dropped
  std::string err;         // stderr, likewise
};

// The last non-blank line of a tool's stderr (else stdout; else "exit code N"), at most
// 200 bytes, bytes outside printable ASCII replaced by '?': what a message quotes.
std::string LastLineOf(const ToolOutcome& outcome);

// Runs argv[0] (an absolute path; no PATH search) with argv, feeding `stdin_bytes` to its
// stdin and then closing it. Returns when the tool has exited and both its stdout and
// stderr are closed, or at the timeout: then the process group gets SIGKILL and the tool
// is reaped (waiting at most 5 s more for one stuck in the kernel).
// A tool that exits non-zero or times out is a ToolOutcome, not an error. Errors:
// EINVAL for an empty argv or a relative argv[0]; the errno of execve naming argv[0]
// ("/usr/sbin/lvm: No such file or directory"); that of pipe2, fork or pidfd_open.
// What happens to processes the tool leaves in its process group when it exits: killed
// (the default), or kept for a tool that forks a server meant to outlive it (ntfs-3g,
// whose server stays behind the mount). Kept ones must close stdout and stderr, or
// RunTool waits for them until the timeout, which kills the whole group.
enum class ToolLeftovers { kKill, kKeep };

OpResult<ToolOutcome> RunTool(const std::vector<std::string>& argv, std::string_view stdin_bytes,
                              std::chrono::milliseconds timeout, size_t output_cap = 1 << 20,
                              ToolLeftovers leftovers = ToolLeftovers::kKill);

// A tool started by SpawnToolReader: its process id (also its process group's) and the
// read end of its stdout.
struct SpawnedTool {
  pid_t pid = -1;
  ScopedFd out;
};

// Starts argv[0] (an absolute path) as RunTool does (fixed environment, own process group,
// no other descriptor of the daemon), with stdin and stderr on /dev/null and stdout a pipe
// whose read end is returned, for a caller that streams what the tool writes. The caller
// reaps the process (waitpid), killing it first if it may still run. Errors: as RunTool's.
OpResult<SpawnedTool> SpawnToolReader(const std::vector<std::string>& argv);

// The storage tools the appliance may carry: cache_check, cryptsetup, dmsetup, fls, icat,
// lvm, mdadm, ntfs-3g, thin_check (kept in step with appliance/storage_tools.cc).
const std::vector<std::string>& StorageToolNames();

// "/usr/sbin/NAME" when the appliance carries tool NAME. The first call unpacks the
// storage disk (storage_disk.h). Errors: ENOENT with what to do, "lvm is not in this
// appliance: install lvm2 on the host (scripts/setup.sh) and run diskferry again"; the
// unpacking's error when that failed; EINVAL for a name that is not a storage tool.
OpResult<std::string> StorageToolPath(std::string_view name);

// As above, looking under `root` instead of "/" (tests); the path returned includes root.
OpResult<std::string> StorageToolPathUnder(std::string_view root, std::string_view name);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_TOOL_RUNNER_H_
