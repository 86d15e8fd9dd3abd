#include "cli/session_notes.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

TEST(SessionNotesTest, ReplayedJournalIsOneLinePerFilesystem) {
  std::vector<MountedFilesystem> mounted = {{"/dev/sda1", "ext4", "/", true, ""}};
  EXPECT_EQ(SessionNotes("disk.img", {}, mounted, nullptr),
            (std::vector<std::string>{"disk.img: /dev/sda1 (ext4): journal replayed into a "
                                      "throw-away overlay; disk.img is unchanged"}));
  mounted[0].replayed = false;
  EXPECT_TRUE(SessionNotes("disk.img", {}, mounted, nullptr).empty());
}

TEST(SessionNotesTest, OsTreeNamesTheOsItsMountsAndSkippedFstabLines) {
  OsTreeInfo os;
  os.os_name = "Debian GNU/Linux 12 (bookworm)";
  os.mounted = {{"/dev/vg0/root", "ext4", "/", false, ""},
                {"/dev/sda2", "ext2", "/boot", false, ""},
                {"/dev/vg0/home", "xfs", "/home", true, ""}};
  os.skipped = {{"UUID=1234", "/data", 7, "missing", "no such device"}};
  const auto lines = SessionNotes("disk.img", {"disk.img: VG vg1 is incomplete"}, os.mounted, &os);
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "disk.img: VG vg1 is incomplete",
                       "disk.img: Debian GNU/Linux 12 (bookworm): / /dev/vg0/root, /boot "
                       "/dev/sda2, /home /dev/vg0/home",
                       "disk.img: fstab line 7: UUID=1234 on /data skipped: no such device",
                       "disk.img: /dev/vg0/home (xfs): journal replayed into a throw-away "
                       "overlay; disk.img is unchanged"}));
}

TEST(SessionNotesTest, GuestTextIsEscaped) {
  OsTreeInfo os;
  os.os_name = "Evil\n\x1b[2J";
  os.mounted = {{"/dev/sda1", "ext4", "/", false, ""}};
  for (const std::string& line : SessionNotes("disk.img", {}, os.mounted, &os)) {
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find('\x1b'), std::string::npos);
  }
}

}  // namespace
}  // namespace diskferry
