// Text for `diskferry ls`: names only, or `-l` lines like `ls -l --numeric-uid-gid` with
// full-precision UTC times. Pure; thread-compatible.
#ifndef DISKFERRY_CLI_LS_FORMAT_H_
#define DISKFERRY_CLI_LS_FORMAT_H_

#include <cstdint>
#include <string>

#include "appliance/guest_types.h"

namespace diskferry {

// "drwxr-xr-x", "-rw-------", "lrwxrwxrwx", with s/S/t/T for setuid, setgid and sticky.
std::string ModeString(uint32_t mode);

// "2026-11-23 15:04:05" (UTC) for a time in ns since the epoch.
std::string FormatTime(int64_t ns);

// One line, without the newline. `display_name` is the name or the full path (-R).
// Long form: "MODE NLINK UID GID SIZE MTIME NAME[ -> TARGET]". The name and the link
// target come from the image: both are escaped (PrintableText), so a name cannot drive
// the terminal or forge a line.
std::string FormatEntry(const DirEntryInfo& entry, const std::string& display_name,
                        bool long_format);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_LS_FORMAT_H_
