// A scratch root with an empty sys/block and dev, for tests of code that reads the
// appliance's sysfs and device nodes (block_devices, storage_stack).
#ifndef DISKFERRY_TESTS_DAEMON_FAKE_SYSFS_H_
#define DISKFERRY_TESTS_DAEMON_FAKE_SYSFS_H_

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace diskferry::daemon::testing {

class FakeSysfsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/df-sysfs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    sys_block_ = root_ + "/sys/block";
    dev_ = root_ + "/dev";
    std::filesystem::create_directories(sys_block_);
    std::filesystem::create_directories(dev_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::string root_, sys_block_, dev_;
};

}  // namespace diskferry::daemon::testing

#endif  // DISKFERRY_TESTS_DAEMON_FAKE_SYSFS_H_
