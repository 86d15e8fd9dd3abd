#include "daemon/kernel_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace diskferry::daemon {
namespace {

// A record is at most 1 KiB of text (LOG_LINE_MAX) plus its prefix and dictionary; a
// larger buffer never truncates one (a short buffer gets EINVAL).
constexpr size_t kRecordBuffer = 8192;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace

KernelLogCursor::KernelLogCursor(const std::string& path)
    : fd_(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (fd_.get() >= 0) (void)::lseek(fd_.get(), 0, SEEK_END);
}

std::vector<std::string> KernelLogCursor::Read(size_t max_records) {
  std::vector<std::string> texts;
  if (fd_.get() < 0) return texts;
  char buf[kRecordBuffer];
  while (texts.size() < max_records) {
    const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EPIPE)) continue;  // EPIPE: records lost
    if (n <= 0) break;                                          // EAGAIN: nothing more
    texts.emplace_back(RecordText(std::string_view(buf, static_cast<size_t>(n))));
  }
  return texts;
}

std::string_view RecordText(std::string_view record) {
  const size_t semicolon = record.find(';');
  if (semicolon == std::string_view::npos) return {};
  record.remove_prefix(semicolon + 1);
  return record.substr(0, record.find('\n'));
}

bool SaysJournalReplayed(const std::vector<std::string>& messages, std::string_view guest_device) {
  const std::string ext4 = "EXT4-fs (" + std::string(guest_device) + "): recovery complete";
  const std::string ext3 = "EXT3-fs (" + std::string(guest_device) + "): recovery complete";
  const std::string xfs = "XFS (" + std::string(guest_device) + "): Starting recovery";
  const std::string btrfs = "(device " + std::string(guest_device) + "): start tree-log replay";
  for (const std::string& m : messages) {
    if (Contains(m, ext4) || Contains(m, ext3) || Contains(m, xfs) || Contains(m, btrfs)) {
      return true;
    }
  }
  return false;
}

}  // namespace diskferry::daemon
