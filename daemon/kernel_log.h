// The kernel's own messages since a point in time, from /dev/kmsg: how the daemon learns
// what a mount did that mount(2) does not report, such as replaying a journal.
//
// /dev/kmsg gives one record per read(2), "PRI,SEQ,USEC,FLAGS;TEXT\n" followed by
// dictionary lines, whatever the console log level (`quiet` on the kernel command line
// hides nothing here). A reader opened and moved to the end (SEEK_END) reads only records
// written after that.
//
// Thread-compatible: one cursor per caller.
#ifndef DISKFERRY_DAEMON_KERNEL_LOG_H_
#define DISKFERRY_DAEMON_KERNEL_LOG_H_

#include <string>
#include <string_view>
#include <vector>

#include "daemon/scoped_fd.h"

namespace diskferry::daemon {

inline constexpr char kKernelLogPath[] = "/dev/kmsg";

class KernelLogCursor {
 public:
  // Opens `path` non-blocking and moves to its end. A cursor that cannot open the log
  // (test mode, no devtmpfs) reads nothing.
  explicit KernelLogCursor(const std::string& path = kKernelLogPath);

  // The texts of the records written since the cursor was made or last read, oldest
  // first, at most `max_records` (the rest stay for the next call). Records the kernel
  // overwrote before we read them (EPIPE) are skipped.
  std::vector<std::string> Read(size_t max_records = 512);

 private:
  ScopedFd fd_;
};

// The text of one /dev/kmsg record: what follows the first ';', up to the newline.
std::string_view RecordText(std::string_view record);

// Whether `messages` (kernel log texts after a mount of the guest device `guest_device`,
// e.g. "vda1" or "dm-0") say that the mount replayed a journal: ext3/ext4 "recovery
// complete", xfs "Starting recovery", btrfs "start tree-log replay".
bool SaysJournalReplayed(const std::vector<std::string>& messages, std::string_view guest_device);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_KERNEL_LOG_H_
