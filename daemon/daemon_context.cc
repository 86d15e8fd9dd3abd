#include "daemon/daemon_context.h"

#include <sys/utsname.h>

#include <algorithm>
#include <ctime>

#include "daemon/sys_files.h"

namespace diskferry::daemon {

std::vector<std::string> MergeFilesystems(std::string_view proc_filesystems,
                                          const FsModuleTable& fs_modules) {
  std::vector<std::string> types;
  while (!proc_filesystems.empty()) {
    const auto end = proc_filesystems.find('\n');
    std::string_view line = proc_filesystems.substr(0, end);
    proc_filesystems =
        end == std::string_view::npos ? std::string_view() : proc_filesystems.substr(end + 1);
    // Each line is "nodev\tNAME" or "\tNAME"; nodev types (proc, tmpfs, ...) need no device
    // and are never what a disk image holds.
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos || line.substr(0, tab) == "nodev") continue;
    line = line.substr(tab + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty()) types.emplace_back(line);
  }
  for (const auto& [fstype, paths] : fs_modules) types.push_back(fstype);
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

std::string KernelRelease() {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  return u.release;
}

uint64_t UptimeMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

DaemonContext MakeTestContext(std::string sysroot) {
  DaemonContext ctx;
  ctx.sysroot = std::move(sysroot);
  ctx.started_ms = UptimeMs();
  ctx.kernel_release = KernelRelease();
  OpResult<std::string> proc = ReadSmallFile("/proc/filesystems");
  ctx.filesystems = MergeFilesystems(proc.ok() ? proc.value() : std::string(), {});
  return ctx;
}

}  // namespace diskferry::daemon
