// fstab and os-release parsing, the choice of a root filesystem and the mount options a
// hostile fstab may pass through (daemon/os_inspect.h).
#include "daemon/os_inspect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace diskferry::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseFstabTest, ReadsEntriesSkippingCommentsAndBlankLines) {
  const ParsedFstab parsed = ParseFstab(
      "# /etc/fstab: static file system information.\n"
      "\n"
      "UUID=4f1c\t/\text4\terrors=remount-ro\t0\t1\n"
      "   # indented comment\n"
      "UUID=AB12-CD34  /boot/efi  vfat  umask=0077  0  1\r\n"
      "/dev/mapper/vg-home /home xfs\n"
      "/swapfile none swap sw 0 0");
  ASSERT_THAT(parsed.warnings, ElementsAre());
  ASSERT_EQ(parsed.entries.size(), 4u);
  EXPECT_EQ(parsed.entries[0], (FstabEntry{"UUID=4f1c", "/", "ext4", {"errors=remount-ro"}, 3}));
  EXPECT_EQ(parsed.entries[1],
            (FstabEntry{"UUID=AB12-CD34", "/boot/efi", "vfat", {"umask=0077"}, 5}));
  EXPECT_EQ(parsed.entries[2],
            (FstabEntry{"/dev/mapper/vg-home", "/home", "xfs", {"defaults"}, 6}));
  EXPECT_EQ(parsed.entries[3], (FstabEntry{"/swapfile", "none", "swap", {"sw"}, 7}));
}

TEST(ParseFstabTest, DecodesOctalEscapesInEveryField) {
  const ParsedFstab parsed = ParseFstab(
      "LABEL=My\\040Data /mnt/my\\040data\\011x ext4 ro\\054noatime\n"
      "/dev/sdb1 /mnt/a\\9b\\400 ext4\n");
  ASSERT_EQ(parsed.entries.size(), 2u);
  EXPECT_EQ(parsed.entries[0].spec, "LABEL=My Data");
  EXPECT_EQ(parsed.entries[0].mount_point, "/mnt/my data\tx");
  // An escaped comma is a comma: it splits, and each option is judged on its own.
  EXPECT_THAT(parsed.entries[0].options, ElementsAre("ro", "noatime"));
  // Not three octal digits up to \377: kept as written.
  EXPECT_EQ(parsed.entries[1].mount_point, "/mnt/a\\9b\\400");
}

TEST(ParseFstabTest, CommasInsideDoubleQuotesDoNotSplitOptions) {
  const ParsedFstab parsed =
      ParseFstab("/dev/sda1 / ext4 context=\"system_u:object_r:t:s0,c1\",,noatime\n");
  ASSERT_EQ(parsed.entries.size(), 1u);
  EXPECT_THAT(parsed.entries[0].options,
              ElementsAre("context=\"system_u:object_r:t:s0,c1\"", "noatime"));
}

TEST(ParseFstabTest, BadLinesAreWarningsAndTheRestIsKept) {
  std::string text = "/dev/sda1 /\n";                          // 1: two fields
  text += "/dev/sda2 /a ext4\\000 defaults\n";                 // 2: escaped NUL
  text += std::string("/dev/sda3 /b ext4 de") + '\0' + "f\n";  // 3: raw NUL
  text += "/dev/sda4 /" + std::string(5000, 'x') + " ext4\n";  // 4: field too long
  text += "/dev/sda5 /c ext4 defaults 0 2 extra more\n";       // 5: kept, extra ignored
  const ParsedFstab parsed = ParseFstab(text);
  ASSERT_EQ(parsed.entries.size(), 1u);
  EXPECT_EQ(parsed.entries[0].mount_point, "/c");
  ASSERT_EQ(parsed.warnings.size(), 5u);
  EXPECT_EQ(DescribeWarning(parsed.warnings[0]),
            "line 1: fewer than 3 fields (spec, mount point, type)");
  EXPECT_EQ(DescribeWarning(parsed.warnings[1]), "line 2: the type holds a NUL byte (\\000)");
  EXPECT_EQ(DescribeWarning(parsed.warnings[2]), "line 3: holds a NUL byte");
  EXPECT_EQ(DescribeWarning(parsed.warnings[3]),
            "line 4: the mount point is longer than 4096 bytes");
  EXPECT_EQ(DescribeWarning(parsed.warnings[4]), "line 5: more than 6 fields; the rest ignored");
}

TEST(ParseFstabTest, TenThousandEntriesAreCutAtTheLimitWithOneWarning) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "/dev/sda1 /m" + std::to_string(i) + " ext4\n";
  const ParsedFstab parsed = ParseFstab(text);
  ASSERT_EQ(parsed.entries.size(), kMaxFstabEntries);
  EXPECT_EQ(parsed.entries.back().mount_point, "/m" + std::to_string(kMaxFstabEntries - 1));
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_EQ(DescribeWarning(parsed.warnings[0]),
            "fstab: more than 1024 entries; lines 1025 to 10000 ignored");
}

TEST(ParseFstabTest, WarningsAreBoundedForAHugeGarbageFile) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "garbage\n";
  text += std::string(1 << 20, 'y');  // one line of 1 MiB
  const ParsedFstab parsed = ParseFstab(text);
  EXPECT_TRUE(parsed.entries.empty());
  ASSERT_EQ(parsed.warnings.size(), kMaxFstabWarnings + 1);
  EXPECT_EQ(parsed.warnings.back().message, "99937 more warnings left out");
}

TEST(ParseOsReleaseTest, FollowsTheQuotingRulesOfOsRelease) {
  const std::map<std::string, std::string> values = ParseOsRelease(
      "# comment\n"
      "NAME=\"Rocky Linux\"\n"
      "VERSION_ID='9.3'\n"
      "ID=rocky\n"
      "ESCAPED=\"a \\\"quoted\\\" \\$word\\\\ \\n kept\"\n"
      "SINGLE='no \\\"escapes\\\" here'\n"
      "  TRAILING=value   \n"
      "AFTER=\"closed\" ignored\n"
      "UNTERMINATED=\"open\n"
      "9BAD=x\n"
      "BAD-KEY=x\n"
      "no equals sign\n"
      "ID=rocky2\n");
  EXPECT_EQ(values.at("NAME"), "Rocky Linux");
  EXPECT_EQ(values.at("VERSION_ID"), "9.3");
  EXPECT_EQ(values.at("ID"), "rocky2");
  EXPECT_EQ(values.at("ESCAPED"), "a \"quoted\" $word\\ \\n kept");
  EXPECT_EQ(values.at("SINGLE"), "no \\\"escapes\\\" here");
  EXPECT_EQ(values.at("TRAILING"), "value");
  EXPECT_EQ(values.at("AFTER"), "closed");
  EXPECT_FALSE(values.contains("UNTERMINATED"));
  EXPECT_EQ(values.size(), 7u);
}

TEST(ParseOsReleaseTest, KeysAndValuesAreBounded) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "K" + std::to_string(i) + "=v\n";
  text += "K0=" + std::string(10000, 'v') + "\n";
  const std::map<std::string, std::string> values = ParseOsRelease(text);
  EXPECT_EQ(values.size(), 256u);
  EXPECT_EQ(values.at("K0").size(), 4096u);
}

TEST(OsDisplayNameTest, PrefersPrettyNameThenNameAndVersion) {
  EXPECT_EQ(
      OsDisplayName({{"PRETTY_NAME", "Rocky Linux 9.3 (Blue Onyx)"}, {"NAME", "Rocky Linux"}}),
      "Rocky Linux 9.3 (Blue Onyx)");
  EXPECT_EQ(OsDisplayName({{"PRETTY_NAME", ""},
                           {"NAME", "Rocky Linux"},
                           {"VERSION_ID", "9.3"},
                           {"VERSION", "9.3 (Blue Onyx)"}}),
            "Rocky Linux 9.3");
  EXPECT_EQ(OsDisplayName({{"NAME", "Debian GNU/Linux"}, {"VERSION", "12 (bookworm)"}}),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(OsDisplayName({{"NAME", "Arch Linux"}}), "Arch Linux");
  EXPECT_EQ(OsDisplayName({}), "Linux");
  EXPECT_EQ(OsDisplayName({{"PRETTY_NAME", std::string(1000, 'x')}}).size(), 256u);
}

RootProbe Probe(std::string device, bool fstab, bool os_release, std::string name = "") {
  RootProbe probe;
  probe.device = std::move(device);
  probe.fstype = "ext4";
  probe.has_fstab = fstab;
  probe.has_os_release = os_release;
  probe.os_name = std::move(name);
  return probe;
}

TEST(ChooseRootTest, TheOneCandidateIsChosen) {
  const OpResult<RootProbe> root = ChooseRoot({Probe("/dev/sda1", false, false),
                                               Probe("/dev/sda2", true, true, "Fedora Linux 39"),
                                               Probe("/dev/sda3", true, false)});
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_EQ(root->device, "/dev/sda2");
  EXPECT_EQ(root->os_name, "Fedora Linux 39");
}

TEST(ChooseRootTest, NoCandidateListsEveryFilesystemAndWhatItLacked) {
  RootProbe failed = Probe("/dev/sdb1", false, false);
  failed.fstype = "btrfs";
  failed.subvolume = "@";
  failed.problem = "mount: No such file or directory";
  const OpResult<RootProbe> root =
      ChooseRoot({Probe("/dev/sda1", false, true), Probe("/dev/sda2", true, false), failed});
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.error().err, ENOENT);
  EXPECT_EQ(root.error().message,
            "no root filesystem found: none holds etc/fstab and an os-release (etc/ or "
            "usr/lib/); looked at /dev/sda1 (ext4): no etc/fstab, /dev/sda2 (ext4): no "
            "os-release, /dev/sdb1 (btrfs, subvolume @): mount: No such file or directory");
  EXPECT_THAT(ChooseRoot({}).error().message, HasSubstr("no filesystem to look at"));
}

TEST(ChooseRootTest, SeveralCandidatesAreAnErrorListingThemInDeviceOrder) {
  const std::vector<RootProbe> probes = {Probe("/dev/sdb1", true, true, "Rocky Linux 9.3"),
                                         Probe("/dev/sda2", true, true, "Fedora Linux 39")};
  const OpResult<RootProbe> root = ChooseRoot(probes);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.error().err, EINVAL);
  EXPECT_EQ(root.error().message,
            "several root filesystems: /dev/sda2 (ext4) Fedora Linux 39, /dev/sdb1 (ext4) "
            "Rocky Linux 9.3; name the one to use");
  EXPECT_EQ(ChooseRoot({probes[1], probes[0]}).error().message, root.error().message);
}

TEST(ChooseRootTest, ADeviceCountsOnceWithItsFirstCandidateSubvolume) {
  RootProbe top = Probe("/dev/sda2", true, true, "openSUSE");
  top.fstype = "btrfs";
  RootProbe at = top;
  at.subvolume = "@";
  const OpResult<RootProbe> root = ChooseRoot({top, at});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->subvolume, "");
}

TEST(OptionValueTest, OnlyPlainSubvolumeNamesAreSafe) {
  for (const char* good :
       {"@", "@home", "root", "/@/var", "@/.snapshots/1/snapshot", "home_1.2-x+y:z~"}) {
    EXPECT_TRUE(IsSafeOptionValue(good)) << good;
  }
  for (const std::string& bad :
       {std::string(""), std::string("@,dev=/dev/sdb"), std::string("a=b"), std::string("a b"),
        std::string("a\tb"), std::string("\"@\""), std::string("'@'"), std::string("a\\b"),
        std::string("a\nb"), std::string("a\0b", 3), std::string("caf\xc3\xa9"),
        std::string(1025, 'a')}) {
    EXPECT_FALSE(IsSafeOptionValue(bad)) << bad;
  }
}

TEST(BtrfsSubvolumeDataTest, KeepsOnlySubvolAndSubvolid) {
  EXPECT_EQ(BtrfsSubvolumeData({"defaults", "subvol=@home", "compress=zstd:1"}).value(),
            "subvol=@home");
  EXPECT_EQ(BtrfsSubvolumeData({"subvolid=256", "subvol=@a", "subvol=@b"}).value(),
            "subvol=@b,subvolid=256");
  EXPECT_EQ(BtrfsSubvolumeData({"noatime", "user_subvol_rm_allowed"}).value(), "");
  // What an fstab line "subvol=@,dev=/dev/sdb" becomes: two options, the second dropped.
  EXPECT_EQ(
      BtrfsSubvolumeData(ParseFstab("U / btrfs subvol=@\\054device=/dev/sdb\n").entries[0].options)
          .value(),
      "subvol=@");
}

TEST(BtrfsSubvolumeDataTest, RefusesValuesThatCouldInjectOptions) {
  const std::vector<std::string> quoted =
      ParseFstab("U / btrfs subvol=\"@,device=/dev/sdb\"\n").entries[0].options;
  const OpResult<std::string> data = BtrfsSubvolumeData(quoted);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().err, EINVAL);
  EXPECT_EQ(data.error().message, "unsafe option value refused: subvol=\"@,device=/dev/sdb\"");
  EXPECT_FALSE(BtrfsSubvolumeData({"subvol="}).ok());
  EXPECT_FALSE(BtrfsSubvolumeData({"subvol=a b"}).ok());
  EXPECT_FALSE(BtrfsSubvolumeData({"subvolid=5,ssd"}).ok());
  EXPECT_FALSE(BtrfsSubvolumeData({"subvolid=-1"}).ok());
  EXPECT_FALSE(BtrfsSubvolumeData({"subvolid=123456789012345678901"}).ok());
}

TEST(BtrfsSubvolumeDataTest, SubvolumeDataNamesASafeSubvolume) {
  EXPECT_EQ(SubvolumeData("").value(), "");
  EXPECT_EQ(SubvolumeData("@").value(), "subvol=@");
  EXPECT_EQ(SubvolumeData("@,ssd").error().message, "unsafe subvolume name refused: @,ssd");
}

}  // namespace
}  // namespace diskferry::daemon
