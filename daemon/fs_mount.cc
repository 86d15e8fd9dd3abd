#include "daemon/fs_mount.h"

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "daemon/sys_files.h"
#include "daemon/tool_runner.h"

namespace diskferry::daemon {
namespace {

OpResult<bool> MountNtfs3g(const std::string& path, const std::string& target,
                           const std::string& description) {
  OpResult<std::string> tool = StorageToolPath("ntfs-3g");
  if (!tool.ok()) return tool.error();
  // ntfs-3g mounts, then forks its server (which closes its stdio) and exits 0: the mount
  // is in place on return, and the server must survive it.
  OpResult<ToolOutcome> ran = RunTool({tool.value(), "-o", description, path, target}, "",
                                      kNtfs3gTimeout, 1 << 20, ToolLeftovers::kKeep);
  if (!ran.ok()) return ran.error();
  if (ran->timed_out) return OpError{ETIMEDOUT, "ntfs-3g took longer than a minute"};
  if (ran->exit_code != 0) return OpError{EIO, "ntfs-3g: " + LastLineOf(ran.value())};
  return true;
}

}  // namespace

bool MountsThroughFuse(std::string_view fstype) { return fstype == "ntfs"; }

OpResult<bool> MountDevice(const std::string& path, const std::string& target,
                           std::string_view fstype, unsigned long flags, const std::string& data,
                           const std::string& description) {
  if (MountsThroughFuse(fstype)) return MountNtfs3g(path, target, description);
  const std::string type(fstype);
  if (::mount(path.c_str(), target.c_str(), type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    return OpError{errno, ""};
  }
  return true;
}

OpError MountError(const OpError& error, const std::string& what) {
  if (error.message.empty()) return ErrnoError(error.err, what);
  return OpError{error.err, what + ": " + error.message};
}

void ReapFuseServers() {
  const pid_t self = ::getpid();
  for (const std::string& entry : ListDirectory("/proc")) {
    pid_t pid = 0;
    if (std::from_chars(entry.data(), entry.data() + entry.size(), pid).ec != std::errc() ||
        pid <= 0) {
      continue;
    }
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses; the last ')' ends it.
    const std::optional<std::string> stat = ReadFirstLine("/proc/" + entry + "/stat");
    if (!stat) continue;
    const size_t open = stat->find('(');
    const size_t close = stat->rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    if (std::string_view(*stat).substr(open + 1, close - open - 1) != "ntfs-3g") continue;
    const std::string_view rest = std::string_view(*stat).substr(close + 1);
    if (rest.size() < 3 || rest[1] != 'Z') continue;
    pid_t ppid = 0;
    const std::string_view ppid_text = rest.substr(3);
    std::from_chars(ppid_text.data(), ppid_text.data() + ppid_text.size(), ppid);
    if (ppid != self) continue;
    int status = 0;
    ::waitpid(pid, &status, WNOHANG);
  }
}

}  // namespace diskferry::daemon
