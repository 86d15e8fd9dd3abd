// The MountOs handler's own logic (daemon/handlers_os.h) over the fake OsMountOps: what is
// unmounted before what, EBUSY during a transfer, and what the reply carries.
#include "daemon/handlers_os.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/daemon/os_fake_mount_ops.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon {
namespace {

namespace fs = std::filesystem;
using testing::Device;
using ::testing::ElementsAre;
using testing::FakeMountOps;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class MountOsHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = testing::MakeTempDir("df-mount-os");
    sysroot_ = base_ + "/sysroot";
    fs::create_directory(sysroot_);
    ops_ = std::make_unique<FakeMountOps>(base_, sysroot_);
    // An OS on sda2 whose /home is sdb1; its fstab names a disk that is not here.
    const std::string root = Dir("root");
    Write(root, "etc/fstab",
          "UUID=r00t / ext4 defaults 0 1\n"
          "UUID=h0me /home xfs defaults 0 2\n"
          "UUID=gone /data ext4 defaults 0 2\n"
          "UUID=5wap none swap sw 0 0\n"
          "broken\n");
    Write(root, "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
    fs::create_directories(root + "/home");
    fs::create_directories(root + "/data");
    Write(Dir("home"), "alice/notes.txt", "notes");
    ops_->AddSource("/dev/sda2", "", root);
    ops_->AddSource("/dev/sdb1", "", Dir("home"));
    ops_->AddSource("/dev/sda1", "", Dir("efi"));
  }
  void TearDown() override { fs::remove_all(base_); }

  std::string Dir(const std::string& name) {
    const std::string dir = base_ + "/src/" + name;
    fs::create_directories(dir);
    return dir;
  }
  static void Write(const std::string& dir, const std::string& relative,
                    const std::string& content) {
    fs::create_directories(fs::path(dir + "/" + relative).parent_path());
    std::ofstream(dir + "/" + relative, std::ios::binary) << content;
  }

  // The session: Mount mounted nothing unless `single_mounted`; unmounting it is a call.
  MountOsEnv Env() {
    MountOsEnv env;
    env.sysroot = sysroot_;
    env.unmount_single = [this]() -> OpResult<bool> {
      if (fail_single_unmount_) return OpError{EBUSY, "unmount " + sysroot_ + ": busy"};
      ops_->calls.push_back("unmount single");
      return true;
    };
    env.devices = {Device("/dev/sda1", "vfat", "AB12-CD34"), Device("/dev/sda2", "ext4", "r00t"),
                   Device("/dev/sda3", "swap", "5wap"), Device("/dev/sdb1", "xfs", "h0me")};
    env.mountable_types = {"ext4", "vfat", "xfs"};
    return env;
  }

  std::string base_;
  std::string sysroot_;
  std::unique_ptr<FakeMountOps> ops_;
  bool fail_single_unmount_ = false;
  OsTreeSlot slot_;
};

TEST_F(MountOsHandlerTest, UnmountsWhatMountMountedBeforeLookingForTheRoot) {
  ASSERT_TRUE(slot_.Mount({}, Env(), *ops_).ok());

  ASSERT_FALSE(ops_->calls.empty());
  EXPECT_EQ(ops_->calls.front(), "unmount single");
  EXPECT_EQ(std::count(ops_->calls.begin(), ops_->calls.end(), "unmount single"), 1);
}

TEST_F(MountOsHandlerTest, RepliesWithTheOsNameTheRootFirstAndEverySkippedLine) {
  const OpResult<OsTreeData> tree = slot_.Mount({}, Env(), *ops_);

  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(tree->os_name, "Debian GNU/Linux 12 (bookworm)");
  ASSERT_EQ(tree->mounted.size(), 2u);
  EXPECT_EQ(tree->mounted[0].device, "/dev/sda2");
  EXPECT_EQ(tree->mounted[0].mount_point, "/");
  EXPECT_EQ(tree->mounted[1].device, "/dev/sdb1");
  EXPECT_EQ(tree->mounted[1].mount_point, "/home");
  EXPECT_TRUE(fs::exists(sysroot_ + "/home/alice/notes.txt"));
  ASSERT_EQ(tree->skipped.size(), 2u);
  EXPECT_EQ(tree->skipped[0].spec, "UUID=gone");
  EXPECT_EQ(SkipKindWord(tree->skipped[0].kind), "missing");
  EXPECT_THAT(tree->skipped[0].reason, HasSubstr("UUID=gone"));
  EXPECT_EQ(tree->skipped[0].line, 3);
  EXPECT_EQ(SkipKindWord(tree->skipped[1].kind), "swap");
  EXPECT_THAT(tree->warnings, ElementsAre(HasSubstr("line 5")));
  EXPECT_TRUE(slot_.holds_tree());
}

TEST_F(MountOsHandlerTest, IsBusyWhileATransferIsActiveAndTouchesNothing) {
  ASSERT_TRUE(slot_.Mount({}, Env(), *ops_).ok());
  ops_->calls.clear();
  MountOsEnv env = Env();
  env.transfer_active = true;

  const OpResult<OsTreeData> tree = slot_.Mount({}, env, *ops_);

  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, EBUSY);
  EXPECT_THAT(ops_->calls, IsEmpty());
  EXPECT_TRUE(slot_.holds_tree());
  EXPECT_TRUE(fs::exists(sysroot_ + "/home/alice/notes.txt"));
}

TEST_F(MountOsHandlerTest, ASecondMountOsUnmountsTheFirstTreeChildrenFirst) {
  ASSERT_TRUE(slot_.Mount({}, Env(), *ops_).ok());
  ops_->calls.clear();

  ASSERT_TRUE(slot_.Mount({}, Env(), *ops_).ok());

  ASSERT_GE(ops_->calls.size(), 3u);
  EXPECT_EQ(ops_->calls[0], "unmount /home");
  EXPECT_EQ(ops_->calls[1], "unmount /");
  EXPECT_EQ(ops_->calls[2], "unmount single");
}

TEST_F(MountOsHandlerTest, ReleaseUnmountsTheTreeChildrenFirstAndForgetsIt) {
  ASSERT_TRUE(slot_.Mount({}, Env(), *ops_).ok());
  ops_->calls.clear();

  ASSERT_TRUE(slot_.Release("mount", sysroot_, *ops_).ok());
  EXPECT_THAT(ops_->calls, ElementsAre("unmount /home", "unmount /"));
  EXPECT_FALSE(slot_.holds_tree());
  EXPECT_THAT(ops_->mounted, IsEmpty());

  ops_->calls.clear();
  ASSERT_TRUE(slot_.Release("mount", sysroot_, *ops_).ok());
  EXPECT_THAT(ops_->calls, IsEmpty());
}

TEST_F(MountOsHandlerTest, AFailedUnmountOfTheSingleMountStopsBeforeAnyMount) {
  fail_single_unmount_ = true;

  const OpResult<OsTreeData> tree = slot_.Mount({}, Env(), *ops_);

  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, EBUSY);
  EXPECT_THAT(ops_->calls, IsEmpty());
  EXPECT_FALSE(slot_.holds_tree());
}

TEST_F(MountOsHandlerTest, NoRootIsENOENTListingTheFilesystemsAndRecordsNothing) {
  MountOsEnv env = Env();
  env.devices = {Device("/dev/sda1", "vfat", "AB12-CD34"), Device("/dev/sdb1", "xfs", "h0me")};

  const OpResult<OsTreeData> tree = slot_.Mount({}, env, *ops_);

  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, ENOENT);
  EXPECT_THAT(tree.error().message, HasSubstr("etc/fstab and an os-release"));
  EXPECT_THAT(tree.error().message, HasSubstr("/dev/sda1 (vfat)"));
  EXPECT_THAT(tree.error().message, HasSubstr("/dev/sdb1 (xfs)"));
  EXPECT_FALSE(slot_.holds_tree());
  EXPECT_THAT(ops_->mounted, IsEmpty());
}

TEST_F(MountOsHandlerTest, TheRequestedRootIsTheOnlyOneLookedAt) {
  MountOsParams params;
  params.root = "UUID=r00t";

  ASSERT_TRUE(slot_.Mount(params, Env(), *ops_).ok());

  EXPECT_EQ(std::count_if(ops_->calls.begin(), ops_->calls.end(),
                          [](const std::string& c) { return c.starts_with("mount /dev/sda1"); }),
            0);
  EXPECT_EQ(slot_.tree()->root_device, "/dev/sda2");
}

TEST(SkipKindWordTest, NamesAMissingDeviceAndAnUnsupportedTypeAsTheProtocolSays) {
  EXPECT_EQ(SkipKindWord(SkipKind::kNotFound), "missing");
  EXPECT_EQ(SkipKindWord(SkipKind::kNotMountable), "unsupported");
  EXPECT_EQ(SkipKindWord(SkipKind::kNoauto), "noauto");
  EXPECT_EQ(SkipKindWord(SkipKind::kMountFailed), "mount failed");
}

}  // namespace
}  // namespace diskferry::daemon
