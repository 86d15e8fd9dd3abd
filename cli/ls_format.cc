#include "cli/ls_format.h"

#include <chrono>
#include <cstdio>

#include "host/file_mode.h"
#include "protocol/printable_text.h"

namespace diskferry {

std::string ModeString(uint32_t mode) {
  std::string s = "?rwxrwxrwx";
  switch (ModeType(mode)) {
    case kModeRegular: s[0] = '-'; break;
    case kModeDirectory: s[0] = 'd'; break;
    case kModeSymlink: s[0] = 'l'; break;
    case kModeCharDevice: s[0] = 'c'; break;
    case kModeBlockDevice: s[0] = 'b'; break;
    case kModeFifo: s[0] = 'p'; break;
    case kModeSocket: s[0] = 's'; break;
    default: break;
  }
  for (int i = 0; i < 9; ++i) {
    if ((mode & (0400u >> i)) == 0) s[static_cast<size_t>(i) + 1] = '-';
  }
  auto special = [&](uint32_t bit, size_t pos, char set_exec, char set_noexec) {
    if (mode & bit) s[pos] = (s[pos] == '-') ? set_noexec : set_exec;
  };
  special(kModeSetuid, 3, 's', 'S');
  special(kModeSetgid, 6, 's', 'S');
  special(kModeSticky, 9, 't', 'T');
  return s;
}

std::string FormatTime(int64_t ns) {
  // Calendar arithmetic rather than gmtime: Windows' gmtime refuses times before 1970.
  using namespace std::chrono;
  const sys_seconds secs = floor<seconds>(sys_time<nanoseconds>(nanoseconds(ns)));
  const sys_days day = floor<days>(secs);
  const year_month_day ymd(day);
  const hh_mm_ss<seconds> hms(secs - day);
  if (!ymd.ok()) return "(invalid time)";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string FormatEntry(const DirEntryInfo& entry, const std::string& display_name,
                        bool long_format) {
  if (!long_format) return PrintableText(display_name);
  const FileStat& st = entry.stat;
  char head[128];
  std::snprintf(head, sizeof head, "%s %3u %5u %5u %12llu %s ", ModeString(st.mode).c_str(),
                st.nlink, st.uid, st.gid, static_cast<unsigned long long>(st.size),
                FormatTime(st.mtime_ns).c_str());
  std::string line = head + PrintableText(display_name);
  if (IsSymlinkMode(st.mode)) line += " -> " + PrintableText(entry.link_target);
  return line;
}

}  // namespace diskferry
