// Hello around a template (daemon/handlers_session.h, after_restore.h): the Hello that
// marks the template point, the first Hello after a restore (rescan, wait for the disks,
// attach the launch's devices) and the limits on what the host sends.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/after_restore.h"
#include "daemon/handlers_session.h"
#include "protocol/diskferry_generated.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry::daemon {
namespace {

constexpr uint32_t kOurVersion = static_cast<uint32_t>(proto::ProtocolVersion::V0);

class HelloRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(sys_block_);
    ASSERT_TRUE(diskferry::WriteWholeFile(rescan_file_, ""));
    ctx_.sys_block_dir = sys_block_;
    ctx_.pci_rescan_file = rescan_file_;
    ctx_.attach_restored_devices = [this] { ++attached_; };
  }

  HelloInput Input() const {
    HelloInput input;
    input.protocol_version = kOurVersion;
    input.host_version = "test";
    return input;
  }

  void AddDisk(const std::string& name) {
    std::filesystem::create_directories(sys_block_ + "/" + name);
  }

  std::string Rescans() const { return diskferry::ReadWholeFile(rescan_file_); }

  diskferry::ScratchDir dir_{"df-hello-restore"};
  std::string sys_block_ = dir_.File("block");
  std::string rescan_file_ = dir_.File("rescan");
  DaemonContext ctx_;
  HelloSession session_;
  int attached_ = 0;
};

TEST_F(HelloRestoreTest, AColdBootHelloTouchesNothing) {
  OpResult<HelloData> hello = HandleHello(ctx_, Input(), &session_);
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_FALSE(hello->restored);
  EXPECT_GT(hello->guest_time_ns, 0);
  EXPECT_EQ(Rescans(), "");
  EXPECT_EQ(attached_, 0);
}

TEST_F(HelloRestoreTest, TheHelloAfterTheTemplatePointFindsTheDisksAndAttachesDevices) {
  HelloInput mark = Input();
  mark.template_point = true;
  OpResult<HelloData> saved = HandleHello(ctx_, mark, &session_);
  ASSERT_TRUE(saved.ok()) << saved.error().message;
  EXPECT_FALSE(saved->restored);
  EXPECT_TRUE(session_.awaiting_restore);

  AddDisk("vda");
  AddDisk("vdb");
  AddDisk("loop0");  // not a virtio disk: not counted
  HelloInput restored = Input();
  restored.disks = 2;
  OpResult<HelloData> hello = HandleHello(ctx_, restored, &session_);
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_TRUE(hello->restored);
  EXPECT_EQ(Rescans(), "1");
  EXPECT_EQ(attached_, 1);

  // Only the first Hello after the restore takes the VM over.
  OpResult<HelloData> again = HandleHello(ctx_, restored, &session_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->restored);
  EXPECT_EQ(attached_, 1);
}

TEST_F(HelloRestoreTest, DisksThatDoNotComeFailTheRestoredHello) {
  AddDisk("vda");
  EXPECT_EQ(CountVirtioDisks(sys_block_), 1);
  OpResult<bool> waited = WaitForVirtioDisks(sys_block_, 2, std::chrono::milliseconds(1));
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().err, ETIMEDOUT);
  EXPECT_NE(waited.error().message.find("attached 2 disks, the appliance sees 1"),
            std::string::npos)
      << waited.error().message;
}

TEST_F(HelloRestoreTest, MoreEntropyThanTheLimitIsRefused) {
  std::vector<uint8_t> bytes(kMaxHelloEntropyBytes + 1, 7);
  HelloInput input = Input();
  input.entropy = bytes;
  OpResult<HelloData> hello = HandleHello(ctx_, input, &session_);
  ASSERT_FALSE(hello.ok());
  EXPECT_EQ(hello.error().err, EPROTO);
  bytes.resize(kMaxHelloEntropyBytes);
  input.entropy = bytes;  // no random device in test mode: accepted, not mixed
  EXPECT_TRUE(HandleHello(ctx_, input, &session_).ok());
}

TEST_F(HelloRestoreTest, AnotherProtocolVersionIsRefusedBeforeAnythingHappens) {
  session_.awaiting_restore = true;
  HelloInput input = Input();
  input.protocol_version = kOurVersion + 1;
  OpResult<HelloData> hello = HandleHello(ctx_, input, &session_);
  ASSERT_FALSE(hello.ok());
  EXPECT_EQ(hello.error().err, EPROTO);
  EXPECT_EQ(Rescans(), "");
  EXPECT_EQ(attached_, 0);
}

}  // namespace
}  // namespace diskferry::daemon
