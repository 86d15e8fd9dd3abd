// HypervisorVerdicts: what the launcher remembers about a hypervisor that could not boot
// a guest. Portable: also runs on Windows under wine.
#include "appliance/hypervisor_verdict.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace diskferry {
namespace {

namespace fs = std::filesystem;

class HypervisorVerdictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("df-verdict-" + std::to_string(std::random_device{}()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    file_ = (dir_ / "cache" / kHypervisorVerdictFile).string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string ReadFile() const {
    std::ifstream in(file_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  std::string file_;
};

TEST_F(HypervisorVerdictTest, NothingIsKnownAtFirst) {
  HypervisorVerdicts v(file_, "boot-1");
  EXPECT_EQ(v.KnownFailure(Accelerator::kKvm, "qemu-system-x86_64"), std::nullopt);
  EXPECT_FALSE(v.Proven(Accelerator::kKvm, "qemu-system-x86_64"));
}

TEST_F(HypervisorVerdictTest, ASuccessIsRememberedPerAcceleratorAndBinary) {
  HypervisorVerdicts v(file_, "boot-1");
  v.RecordSuccess(Accelerator::kKvm, "/usr/bin/qemu-system-x86_64");
  EXPECT_TRUE(v.Proven(Accelerator::kKvm, "/usr/bin/qemu-system-x86_64"));
  EXPECT_FALSE(v.Proven(Accelerator::kKvm, "/opt/qemu/bin/qemu-system-x86_64"));
  EXPECT_FALSE(v.Proven(Accelerator::kWhpx, "/usr/bin/qemu-system-x86_64"));
  EXPECT_FALSE(fs::exists(file_)) << "successes are not written";
}

TEST_F(HypervisorVerdictTest, AFailureOutlivesTheProcessForTheSameBootOnly) {
  {
    HypervisorVerdicts v(file_, "boot-1");
    v.RecordFailure(Accelerator::kKvm, "qemu-system-x86_64", "KVM could not boot\tthe\nappliance");
    EXPECT_EQ(v.KnownFailure(Accelerator::kKvm, "qemu-system-x86_64"),
              "KVM could not boot the appliance");
  }
  EXPECT_EQ(ReadFile(), "boot-1\tkvm qemu-system-x86_64\tKVM could not boot the appliance\n");
  HypervisorVerdicts same_boot(file_, "boot-1");
  EXPECT_EQ(same_boot.KnownFailure(Accelerator::kKvm, "qemu-system-x86_64"),
            "KVM could not boot the appliance");
  EXPECT_EQ(same_boot.KnownFailure(Accelerator::kKvm, "other-qemu"), std::nullopt);
  HypervisorVerdicts next_boot(file_, "boot-2");
  EXPECT_EQ(next_boot.KnownFailure(Accelerator::kKvm, "qemu-system-x86_64"), std::nullopt);
}

TEST_F(HypervisorVerdictTest, AWriteDropsOtherBootsAndKeepsThisBootsOtherFailures) {
  fs::create_directories(fs::path(file_).parent_path());
  {
    std::ofstream out(file_);
    out << "boot-0\tkvm qemu-system-x86_64\told\n"
        << "boot-1\tkvm /opt/qemu\tthat one too\n"
        << "garbage without tabs\n";
  }
  HypervisorVerdicts v(file_, "boot-1");
  v.RecordFailure(Accelerator::kKvm, "qemu-system-x86_64", "new");
  EXPECT_EQ(ReadFile(),
            "boot-1\tkvm /opt/qemu\tthat one too\n"
            "boot-1\tkvm qemu-system-x86_64\tnew\n");
}

TEST_F(HypervisorVerdictTest, WithoutABootIdFailuresStayInMemory) {
  HypervisorVerdicts v(file_, "");
  v.RecordFailure(Accelerator::kWhpx, "qemu-system-x86_64.exe", "WHPX could not boot");
  EXPECT_EQ(v.KnownFailure(Accelerator::kWhpx, "qemu-system-x86_64.exe"), "WHPX could not boot");
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(HypervisorVerdictTest, AnUnwritableFileOnlyLosesTheMemoryAcrossProcesses) {
  fs::create_directories(file_);  // a directory where the file should be: rename fails
  HypervisorVerdicts v(file_, "boot-1");
  v.RecordFailure(Accelerator::kKvm, "qemu-system-x86_64", "broken");
  EXPECT_EQ(v.KnownFailure(Accelerator::kKvm, "qemu-system-x86_64"), "broken");
  EXPECT_TRUE(fs::is_directory(file_));
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(file_).parent_path()),
                          fs::directory_iterator()),
            1)
      << "no temporary left behind";
}

}  // namespace
}  // namespace diskferry
