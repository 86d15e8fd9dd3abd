#include "daemon/deleted_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "tests/protocol/scratch_dir.h"

namespace diskferry::daemon {
namespace {

using ::testing::ElementsAre;

// As fls -r -d -p -m / prints them (TSK 4.11, Debian 12) for images made with mke2fs -d and
// mkfs.vfat, files deleted by debugfs, mdel and the kernel.
constexpr char kExt3[] =
    "0|/big.bin (deleted)|13|r/rrw-r--r--|0|0|200000|1796664588|1796664588|1796664588|0\n"
    "0|/sub/s.txt (deleted)|16|r/rrw-r--r--|1000|100|7|1796664588|1796664589|1796664590|0\n"
    "0|/$OrphanFiles/OrphanFile-13 (deleted)|13|-/rrw-r--r--|0|0|0|1796664588|1796664621|"
    "1796664621|0\n";
constexpr char kFat[] =
    "0|/_ig.bin (deleted)|4|r/rrwxrwxrwx|0|0|200000|1796601600|1796664588|0|1796664588\n";

TEST(ParseFlsBodyTest, ReadsEveryFieldOfExtEntries) {
  FlsListing listing = ParseFlsBody(kExt3);
  EXPECT_EQ(listing.dropped, 0u);
  ASSERT_EQ(listing.entries.size(), 3u);
  const DeletedEntry& s = listing.entries[1];
  EXPECT_EQ(s.path, "sub/s.txt");
  EXPECT_EQ(s.address, "16");
  EXPECT_EQ(s.ino, 16u);
  EXPECT_EQ(s.meta_type, 'r');
  EXPECT_EQ(s.permissions, 0644u);
  EXPECT_EQ(s.uid, 1000u);
  EXPECT_EQ(s.gid, 100u);
  EXPECT_EQ(s.size, 7u);
  EXPECT_EQ(s.atime, 1796664588);
  EXPECT_EQ(s.mtime, 1796664589);
  EXPECT_EQ(s.ctime, 1796664590);
  EXPECT_EQ(s.crtime, 0);
  EXPECT_FALSE(s.reallocated);
  EXPECT_EQ(listing.entries[2].path, "$OrphanFiles/OrphanFile-13");
  EXPECT_EQ(listing.entries[2].meta_type, 'r');
  EXPECT_EQ(listing.entries[2].size, 0u);
}

TEST(ParseFlsBodyTest, ReadsFatEntries) {
  FlsListing listing = ParseFlsBody(kFat);
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_EQ(listing.entries[0].path, "_ig.bin");
  EXPECT_EQ(listing.entries[0].permissions, 0777u);
  EXPECT_EQ(listing.entries[0].size, 200000u);
}

TEST(ParseFlsBodyTest, KeepsBarsInNamesAndMarksReallocatedInodes) {
  FlsListing listing = ParseFlsBody(
      "0|/a|b (deleted-realloc)|12|r/rrwsr-sr-T|0|0|5|1|2|3|4\n"
      "0|/ntfs:ads (deleted)|40-128-4|r/rr-xr-xr-x|0|0|9|1|2|3|4\n");
  ASSERT_EQ(listing.entries.size(), 2u);
  EXPECT_EQ(listing.entries[0].path, "a|b");
  EXPECT_TRUE(listing.entries[0].reallocated);
  EXPECT_EQ(listing.entries[0].permissions, 0754u | S_ISUID | S_ISGID | S_ISVTX);
  EXPECT_EQ(listing.entries[1].address, "40-128-4");
  EXPECT_EQ(listing.entries[1].ino, 40u);
}

TEST(ParseFlsBodyTest, CutsTheTargetOfSymlinks) {
  FlsListing listing = ParseFlsBody("0|/l -> /etc/x (deleted)|14|l/lrwxrwxrwx|0|0|6|1|2|3|4\n");
  // TSK prints the target before the suffix.
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_EQ(listing.entries[0].path, "l");
  EXPECT_EQ(listing.entries[0].meta_type, 'l');
}

TEST(ParseFlsBodyTest, DropsWhatIsNotAWellFormedDeletedEntry) {
  FlsListing listing = ParseFlsBody(
      "0|/alive|12|r/rrw-r--r--|0|0|5|1|2|3|4\n"         // not deleted
      "0|/x (deleted)|12|r/rrw-r--r--|0|0|-5|1|2|3|4\n"  // negative size
      "0|/x (deleted)|1x|r/rrw-r--r--|0|0|5|1|2|3|4\n"   // bad address
      "0|/x (deleted)|12|r/rrw-r--r-|0|0|5|1|2|3|4\n"    // short mode
      "0|/x (deleted)|12|r/rrw-r--r--|0|0|5|1|2|3\n"     // a field missing
      "0|/../etc/passwd (deleted)|12|r/rrw-r--r--|0|0|5|1|2|3|4\n"
      "0|/a//b (deleted)|12|r/rrw-r--r--|0|0|5|1|2|3|4\n"
      "0|/a/./b (deleted)|12|r/rrw-r--r--|0|0|5|1|2|3|4\n"
      "garbage\n"
      "0|/y ($FILE_NAME) (deleted)|12|r/rrw-r--r--|0|0|5|1|2|3|4\n");  // skipped, not dropped
  EXPECT_TRUE(listing.entries.empty());
  EXPECT_EQ(listing.dropped, 9u);
}

TEST(ParseFlsBodyTest, BoundsLineLength) {
  std::string name(kMaxFlsLine, 'n');
  FlsListing listing = ParseFlsBody("0|/" + name + " (deleted)|12|r/rrw-r--r--|0|0|5|1|2|3|4\n");
  EXPECT_TRUE(listing.entries.empty());
  EXPECT_EQ(listing.dropped, 1u);
}

TEST(DisambiguatePathsTest, SecondNameAndParentsGetTheInode) {
  FlsListing listing = ParseFlsBody(
      "0|/a (deleted)|12|r/rrw-r--r--|0|0|5|1|2|3|4\n"
      "0|/a (deleted)|13|r/rrw-r--r--|0|0|5|1|2|3|4\n"
      "0|/d (deleted)|14|r/rrw-r--r--|0|0|5|1|2|3|4\n"
      "0|/d/f (deleted)|15|r/rrw-r--r--|0|0|5|1|2|3|4\n");
  DisambiguatePaths(&listing.entries);
  std::vector<std::string> paths;
  for (const DeletedEntry& e : listing.entries) paths.push_back(e.path);
  EXPECT_THAT(paths, ElementsAre("a", "a~13", "d/f", "d~14"));
}

TEST(MountedDeviceTest, FindsTheLastMountAtThePoint) {
  ScratchDir dir;
  const std::string path = dir.path() + "/mountinfo";
  std::ofstream(path) << "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
                         "30 1 254:16 / /sysroot ro,relatime shared:1 - ext4 /dev/vdb ro\n"
                         "31 30 254:17 / /sysroot ro,relatime - vfat /dev/vdc1 ro\n"
                         "32 30 0:40 / /sysroot/run rw - tmpfs tmpfs rw\n";
  OpResult<std::string> device = MountedDevice(path, "/sysroot");
  ASSERT_TRUE(device.ok()) << device.error().message;
  EXPECT_EQ(*device, "/dev/vdc1");
  EXPECT_EQ(MountedDevice(path, "/mnt").error().err, ENOENT);
  EXPECT_EQ(MountedDevice(path, "/sysroot/run").error().err, ENODEV);
}

}  // namespace
}  // namespace diskferry::daemon
