#include "cli/ls_format.h"

#include <gtest/gtest.h>

#include "host/file_mode.h"

namespace diskferry {
namespace {

TEST(LsFormatTest, ModeStringCoversTypesAndSpecialBits) {
  EXPECT_EQ(ModeString(kModeDirectory | 0755), "drwxr-xr-x");
  EXPECT_EQ(ModeString(kModeRegular | 0600), "-rw-------");
  EXPECT_EQ(ModeString(kModeSymlink | 0777), "lrwxrwxrwx");
  EXPECT_EQ(ModeString(kModeRegular | kModeSetuid | 0755), "-rwsr-xr-x");
  EXPECT_EQ(ModeString(kModeRegular | kModeSetgid | 0644), "-rw-r-Sr--");
  EXPECT_EQ(ModeString(kModeDirectory | kModeSticky | 0777), "drwxrwxrwt");
  EXPECT_EQ(ModeString(kModeCharDevice | 0620), "crw--w----");
}

TEST(LsFormatTest, FormatsUtcTimes) {
  EXPECT_EQ(FormatTime(0), "1970-01-01 00:00:00");
  EXPECT_EQ(FormatTime(1795446245'123456789LL), "2026-11-23 15:04:05");
  EXPECT_EQ(FormatTime(-1), "1969-12-31 23:59:59");
  EXPECT_EQ(FormatTime(-86400LL * 365 * 1000000000), "1969-01-01 00:00:00");
}

TEST(LsFormatTest, LongLineShowsSymlinkTarget) {
  DirEntryInfo e;
  e.name = "alias";
  e.stat.mode = kModeSymlink | 0777;
  e.stat.nlink = 1;
  e.stat.size = 8;
  e.link_target = "hostname";
  const std::string line = FormatEntry(e, "alias", true);
  EXPECT_EQ(line.rfind("lrwxrwxrwx", 0), 0u);
  EXPECT_NE(line.find(" alias -> hostname"), std::string::npos);
  EXPECT_EQ(FormatEntry(e, "/etc/alias", false), "/etc/alias");
}

TEST(LsFormatTest, NamesAndLinkTargetsFromTheImageCannotDriveTheTerminal) {
  DirEntryInfo e;
  e.name = "a\nb\x1b]52;c;AAAA\x07";
  e.stat.mode = kModeSymlink | 0777;
  e.stat.nlink = 1;
  e.link_target = "\x1b[2J\xe2\x80\xae";
  const std::string short_line = FormatEntry(e, e.name, false);
  EXPECT_EQ(short_line, "a\\x0ab\\x1b]52;c;AAAA\\x07");
  const std::string long_line = FormatEntry(e, "/dir/" + e.name, true);
  EXPECT_EQ(long_line.find_first_of("\n\x1b\x07"), std::string::npos) << long_line;
  EXPECT_NE(long_line.find("/dir/a\\x0ab\\x1b]52;c;AAAA\\x07 -> \\x1b[2J\\u{202E}"),
            std::string::npos)
      << long_line;
}

}  // namespace
}  // namespace diskferry
