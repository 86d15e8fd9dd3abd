// Applying a record's metadata to what the host has just created: ownership, mode,
// extended attributes and times, in that order (chown clears setuid bits and file
// capabilities, and every call but the last changes ctime only, so times go last).
// Failures are recorded in the WriteReport, never returned: a file whose times could not be
// set is still extracted.
// Thread-compatible.
#ifndef DISKFERRY_SINKS_HOST_METADATA_H_
#define DISKFERRY_SINKS_HOST_METADATA_H_

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/lane_records.h"
#include "sinks/file_report.h"
#include "sinks/host_safety.h"

namespace diskferry {

struct MetadataPolicy {
  // chown to the recorded uid/gid. When false, the recorded owner is listed in
  // report->owners_not_applied (if it differs from ours), and setuid/setgid bits and
  // security.capability are dropped from regular files with a problem: they would grant
  // the guest's privileges to our user instead of the recorded one.
  bool owner = false;
  // Setuid/setgid bits of regular files are cleared unless safety.setuid (counted in
  // report->withheld). The xattrs given are applied as they are: the caller has already
  // kept only those in safety.xattrs (FilterXattrs).
  HostSafety safety;
  // preserve: [mode] / [times]. Without mode, files get 0644 and directories 0755 (as
  // created, no setuid/setgid); without times, they keep the time they were written.
  bool mode = true;
  bool times = true;
};

// What was recorded for one entry.
struct EntryMetadata {
  std::string_view path;  // for the report
  const RecordMeta* meta = nullptr;
  const XattrList* xattrs = nullptr;
};

// `fd` is an open regular file or directory (not O_PATH).
void ApplyToFd(int fd, bool regular, const EntryMetadata& entry, const MetadataPolicy& policy,
               WriteReport* report);

// For symlinks and special files: `name` in directory `dir_fd` (which may be O_PATH),
// never following `name`. Symlinks get no mode (Linux ignores it).
void ApplyByName(int dir_fd, const std::string& name, bool symlink, const EntryMetadata& entry,
                 const MetadataPolicy& policy, WriteReport* report);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_METADATA_H_
