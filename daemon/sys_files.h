// Small helpers for the pseudo-files the daemon reads: /proc, /sys and the initramfs list
// files. Every path here is one the daemon chose, never one from the mounted image (those
// go through the sysroot resolution in read_dir.h).
//
// Stateless; thread-safe.
#ifndef DISKFERRY_DAEMON_SYS_FILES_H_
#define DISKFERRY_DAEMON_SYS_FILES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"

namespace diskferry::daemon {

// The whole file (up to 1 MiB; list files and sysfs attributes are far smaller).
// Errors name the path: "/proc/cmdline: No such file or directory".
OpResult<std::string> ReadSmallFile(const std::string& path);

// The file's first line without surrounding whitespace; nullopt if it cannot be read.
std::optional<std::string> ReadFirstLine(const std::string& path);

// A sysfs number ("1024\n", "0x1af4\n"), decimal or 0x-prefixed hex; nullopt otherwise.
std::optional<uint64_t> ParseSysfsNumber(std::string_view text);

// Names in directory `path` except "." and "..", sorted; empty if it cannot be read.
std::vector<std::string> ListDirectory(const std::string& path);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_SYS_FILES_H_
