// Inject steps (runner/inject_steps.h) against a real appliance on an ext4 image made by
// mke2fs -d, written through a qcow2 overlay made by qemu-img. The result is read back with
// independent tools: qemu-img convert to raw, then debugfs.
#include "runner/inject_steps.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "appliance/guest_fs.h"
#include "appliance/image_session.h"
#include "protocol/glob.h"
#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

void WriteHostFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

StepSpec Step(int number, StepAction action) {
  StepSpec step;
  step.number = number;
  step.action = std::move(action);
  return step;
}

class InjectStepsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("inject-steps");
    ASSERT_FALSE(dir_.empty());
    std::string out;
    const std::string tree = dir_ + "/tree";
    ASSERT_EQ(RunShell("mkdir -p '" + tree + "/etc' '" + tree + "/var/log' '" + tree +
                           "/old/deep/er' '" + dir_ + "/host/conf/sub'",
                       &out),
              0)
        << out;
    WriteHostFile(tree + "/etc/motd", "hello\n");
    WriteHostFile(tree + "/etc/app.conf", "key=value\n");
    WriteHostFile(tree + "/var/log/a.log", "a\n");
    WriteHostFile(tree + "/var/log/b.log", "b\n");
    WriteHostFile(tree + "/var/log/keep.txt", "keep\n");
    WriteHostFile(tree + "/old/deep/er/file", "old\n");
    WriteHostFile(dir_ + "/host/conf/a.ini", "[a]\n");
    WriteHostFile(dir_ + "/host/conf/sub/b.ini", "[b]\n");
    WriteHostFile(dir_ + "/host/issue", "Debian\n");
    ASSERT_EQ(RunShell("mke2fs -q -F -t ext4 -d '" + tree + "' '" + dir_ + "/base.img' 64M", &out),
              0)
        << out;
    ASSERT_EQ(RunShell("qemu-img create -q -f qcow2 -F raw -b '" + dir_ + "/base.img' '" + dir_ +
                           "/out.qcow2'",
                       &out),
              0)
        << out;
    ImageSessionConfig config;
    config.image = dir_ + "/out.qcow2";
    config.format = "qcow2";
    config.backing = {{dir_ + "/base.img", "raw"}};  // the overlay's header names it
    config.writable = true;
    auto session = ImageSession::Open(config);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    session_ = std::move(*session);
  }
  void TearDown() override {
    if (session_) (void)session_->Close();
    RemoveTree(dir_);
  }

  // Closes the session (sync, unmount, power off) and converts the overlay for debugfs.
  void CloseAndFlatten() {
    Status closed = session_->Close();
    session_.reset();
    ASSERT_TRUE(closed.ok()) << closed.ToString();
    std::string out;
    ASSERT_EQ(
        RunShell("qemu-img convert -O raw '" + dir_ + "/out.qcow2' '" + dir_ + "/out.raw'", &out),
        0)
        << out;
  }

  std::string DebugFs(const std::string& request) {
    std::string out;
    RunShell("debugfs -R '" + request + "' '" + dir_ + "/out.raw' 2>&1", &out);
    // debugfs prints its version banner first.
    const size_t banner = out.find('\n');
    return out.rfind("debugfs ", 0) == 0 && banner != std::string::npos ? out.substr(banner + 1)
                                                                        : out;
  }

  std::string dir_;
  std::unique_ptr<ImageSession> session_;
};

// stat output matches `pattern`, e.g. "Mode:\\s+0640".
::testing::AssertionResult StatHas(const std::string& stat, const std::string& pattern) {
  if (std::regex_search(stat, std::regex(pattern))) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no /" << pattern << "/ in:\n" << stat;
}

InjectSpec EveryKindOfStep(const std::string& host) {
  InjectSpec spec;
  auto glob = Glob::Compile("/var/log/*.log");
  EXPECT_TRUE(glob.ok());
  spec.steps = {
      Step(1, WriteStep{"/etc/motd", "welcome\n", 0600}),
      Step(2, MkdirStep{"/opt/app/bin", 0750, true}),
      Step(3, UploadStep{{"conf", host + "/conf"}, "/opt/app/conf", 0640, Owner{1000, 1001}}),
      Step(4, UploadStep{{"issue", host + "/issue"}, "/etc/issue", std::nullopt, std::nullopt}),
      Step(5, ChmodStep{"/etc/app.conf", 0640}),
      Step(6, ChownStep{"/etc/app.conf", Owner{33, 34}}),
      Step(7, SymlinkStep{"conf", "/opt/app/current"}),
      Step(8, DeleteStep{"/var/log/*.log", false, *glob}),
      Step(9, DeleteStep{"/old", true, std::nullopt}),
      Step(10, MoveStep{"/etc/issue", "/etc/issue.net"}),
  };
  return spec;
}

TEST_F(InjectStepsTest, EveryKindOfStepLandsInTheImage) {
  std::vector<std::string> seen;
  Status st = RunInjectSteps(session_->appliance(), EveryKindOfStep(dir_ + "/host"),
                             [&](const StepSpec& step, const std::string& what) {
                               seen.push_back(std::to_string(step.number) + " " + what);
                             });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(seen.size(), 11u);
  EXPECT_EQ(seen[2], "3 upload conf -> /opt/app/conf");
  EXPECT_EQ(seen[8], "8 deleted 2 entries matching /var/log/*.log");
  ASSERT_NO_FATAL_FAILURE(CloseAndFlatten());

  EXPECT_EQ(DebugFs("cat /etc/motd"), "welcome\n");
  EXPECT_TRUE(StatHas(DebugFs("stat /etc/motd"), "Mode:\\s+0600"));
  EXPECT_TRUE(StatHas(DebugFs("stat /opt/app/bin"), "Type: directory\\s+Mode:\\s+0750"));
  EXPECT_EQ(DebugFs("cat /opt/app/conf/a.ini"), "[a]\n");
  EXPECT_EQ(DebugFs("cat /opt/app/conf/sub/b.ini"), "[b]\n");
  const std::string ini = DebugFs("stat /opt/app/conf/sub/b.ini");
  EXPECT_TRUE(StatHas(ini, "Mode:\\s+0640"));
  EXPECT_TRUE(StatHas(ini, "User:\\s+1000\\s+Group:\\s+1001"));
  EXPECT_TRUE(StatHas(DebugFs("stat /opt/app/conf/sub"), "User:\\s+1000\\s+Group:\\s+1001"));
  const std::string conf = DebugFs("stat /etc/app.conf");
  EXPECT_TRUE(StatHas(conf, "Mode:\\s+0640"));
  EXPECT_TRUE(StatHas(conf, "User:\\s+33\\s+Group:\\s+34"));
  EXPECT_TRUE(StatHas(DebugFs("stat /opt/app/current"), "Fast link dest: \"conf\""));
  const std::string logs = DebugFs("ls /var/log");
  EXPECT_NE(logs.find("keep.txt"), std::string::npos) << logs;
  EXPECT_EQ(logs.find(".log"), std::string::npos) << logs;
  EXPECT_TRUE(StatHas(DebugFs("stat /old"), "File not found"));
  EXPECT_TRUE(StatHas(DebugFs("stat /etc/issue"), "File not found"));
  EXPECT_EQ(DebugFs("cat /etc/issue.net"), "Debian\n");
}

TEST_F(InjectStepsTest, FirstFailureNamesTheStepAndStopsTheRest) {
  InjectSpec spec;
  spec.steps = {Step(1, WriteStep{"/etc/first", "1\n", 0644}),
                Step(2, ChmodStep{"/etc/missing.conf", 0600}),
                Step(3, WriteStep{"/etc/third", "3\n", 0644})};
  std::vector<int> seen;
  Status st = RunInjectSteps(
      session_->appliance(), spec,
      [&](const StepSpec& step, const std::string&) { seen.push_back(step.number); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kGuestError);
  EXPECT_EQ(st.message().rfind("step 2 (chmod /etc/missing.conf): ENOENT: /etc/missing.conf", 0),
            0u)
      << st.message();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  GuestFs fs(session_->appliance().control());
  EXPECT_TRUE(fs.Lstat("/etc/first").ok());
  auto third = fs.Lstat("/etc/third");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(GuestErrno(third.status()), "ENOENT");

  InjectSpec dir_delete;
  dir_delete.steps = {Step(4, DeleteStep{"/var", false, std::nullopt})};
  st = RunInjectSteps(session_->appliance(), dir_delete, nullptr);
  EXPECT_EQ(st.message(), "step 4 (delete /var): /var: is a directory; set recursive: true");
  EXPECT_TRUE(fs.Lstat("/var/log/a.log").ok());
}

TEST_F(InjectStepsTest, GuestFsWritesLargeFilesInChunksAndRemovesTreesWithoutFollowingLinks) {
  GuestFs fs(session_->appliance().control());
  std::string big(kGuestWriteChunk + 12345, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  ASSERT_TRUE(fs.WriteFile("/big", big, 0600).ok());
  auto stat = fs.Lstat("/big");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_EQ(stat->size, big.size());
  EXPECT_EQ(stat->mode & 07777, 0600u);
  // Shorter content truncates.
  ASSERT_TRUE(fs.WriteFile("/big", "x", 0644).ok());
  EXPECT_EQ(fs.Lstat("/big")->size, 1u);

  ASSERT_TRUE(fs.Symlink("/etc", "/old/deep/to-etc").ok());
  auto target = fs.Readlink("/old/deep/to-etc");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(*target, "/etc");
  ASSERT_TRUE(fs.RemoveTree("/old").ok());
  EXPECT_EQ(GuestErrno(fs.Lstat("/old").status()), "ENOENT");
  EXPECT_TRUE(fs.Lstat("/etc/motd").ok()) << "RemoveTree followed a symlink";
  EXPECT_EQ(fs.RemoveTree("/").code(), Code::kInvalidArgument);
  EXPECT_TRUE(fs.Sync().ok());
}

}  // namespace
}  // namespace diskferry::testing
