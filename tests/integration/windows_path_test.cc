// The Windows host's data path, exercised on Linux with a real appliance: an exported
// appliance booted with --appliance, and the control channel over loopback TCP with the
// socket lane (DISKFERRY_CONTROL=tcp), which is all a Windows host has. QEMU for Windows
// does not run under wine, so this is where that path meets a real guest.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "protocol/printable_text.h"
#include "tests/integration/fs_images.h"
#include "tests/integration/tree_compare.h"

namespace diskferry::testing {
namespace {

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line != "/lost+found") out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class WindowsPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("winpath");
    ASSERT_FALSE(dir_.empty());
    MakeSourceTree(dir_ + "/tree", TreeOptions{});
    AddRoundTripContent(dir_ + "/tree", /*big_file=*/true, false, /*hardlinks=*/true);
    image_ = dir_ + "/ext4.img";
    Status st = MakeImage("ext4", dir_ + "/tree", image_);
    ASSERT_TRUE(st.ok()) << "\n" << st.ToString();
  }
  void TearDown() override { RemoveTree(dir_); }

  std::string dir_, image_;
};

TEST_F(WindowsPathTest, AnExportedApplianceBootsWithoutBuilding) {
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("appliance export '" + dir_ + "/appliance'"), &out), 0) << out;
  // A cache directory nobody built in: booting must not need one.
  ASSERT_EQ(RunShell("XDG_CACHE_HOME='" + dir_ + "/empty-cache' " +
                         Diskferry("ls -R --appliance '" + dir_ + "/appliance' '" + image_ +
                                   ":/'"),
                     &out),
            0)
      << out;
  // The tree holds a name with a newline in it, which ls prints escaped.
  std::vector<std::string> want;
  for (const std::string& path : ListTree(dir_ + "/tree")) want.push_back(PrintableText(path));
  EXPECT_EQ(SortedLines(out), SortedLines(Join(want)));
  std::string built;
  RunShell("ls '" + dir_ + "/empty-cache/diskferry' 2>/dev/null | grep '^appliance-'", &built);
  EXPECT_EQ(built, "") << "booting an exported appliance built one anyway";
}

TEST_F(WindowsPathTest, ATruncatedExportIsRefusedNamingTheFile) {
  std::string out;
  ASSERT_EQ(RunShell(Diskferry("appliance export '" + dir_ + "/appliance'"), &out), 0) << out;
  ASSERT_EQ(RunShell("truncate -s 1000 '" + dir_ + "/appliance/initrd.cpio'", &out), 0);
  EXPECT_NE(RunShell(Diskferry("ls --appliance '" + dir_ + "/appliance' '" + image_ + ":/'"),
                     &out),
            0);
  EXPECT_NE(out.find("initrd.cpio"), std::string::npos) << out;
}

TEST_F(WindowsPathTest, CopyOutOverLoopbackTcpAndTheSocketLaneGivesTheTreeBack) {
  ASSERT_EQ(::mkdir((dir_ + "/out").c_str(), 0755), 0);
  std::string out;
  ASSERT_EQ(RunShell("DISKFERRY_CONTROL=tcp " + Diskferry("copy-out --lane socket '" + image_ +
                                                          ":/' '" + dir_ + "/out'"),
                     &out),
            0)
      << out;
  CompareOptions o;
  o.sparse = true;
  o.hardlinks = true;
  o.mtime_precision_ns = 1000000000;
  EXPECT_EQ(Join(CompareTrees(dir_ + "/tree", dir_ + "/out", o)), "");
}

}  // namespace
}  // namespace diskferry::testing
