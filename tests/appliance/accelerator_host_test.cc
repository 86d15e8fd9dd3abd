// The accelerator choice per host: KVM on Linux, WHPX on Windows, TCG where neither is
// usable, always with a reason. Portable: also runs on Windows (under wine, where the
// Windows Hypervisor Platform is absent, so TCG with WHPX's reason).
#include <gtest/gtest.h>

#include "appliance/accelerator.h"

namespace diskferry {
namespace {

TEST(AcceleratorHostTest, WhpxIsAcceptedAsARequestAndNamedLikeQemu) {
  EXPECT_EQ(ParseAccelRequest("whpx"), AccelRequest::kWhpx);
  EXPECT_EQ(AccelName(Accelerator::kWhpx), "whpx");
  EXPECT_EQ(ParseAccelRequest("hvf"), std::nullopt);
}

TEST(AcceleratorHostTest, TheOtherHostsHypervisorCannotBeDemanded) {
  const bool windows = HostHypervisor() == Accelerator::kWhpx;
  Result<AccelChoice> other =
      ChooseAccelerator(windows ? AccelRequest::kKvm : AccelRequest::kWhpx, "", "/dev/kvm");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kUnavailable);
  EXPECT_NE(other.status().message().find(windows ? "Linux" : "Windows"), std::string::npos)
      << other.status().message();
}

TEST(AcceleratorHostTest, AutoProbesThisHostsHypervisorAndSaysWhy) {
  Result<AccelChoice> choice = ChooseAccelerator(AccelRequest::kAuto, "", "/nonexistent/kvm");
  ASSERT_TRUE(choice.ok()) << choice.status().ToString();
  if (HostHypervisor() == Accelerator::kKvm) {
    EXPECT_EQ(choice->accel, Accelerator::kTcg);
    EXPECT_NE(choice->reason.find("/nonexistent/kvm"), std::string::npos) << choice->reason;
  } else if (choice->accel == Accelerator::kTcg) {
    EXPECT_NE(choice->reason.find("WHPX"), std::string::npos) << choice->reason;
  } else {
    EXPECT_EQ(choice->accel, Accelerator::kWhpx);
  }
}

TEST(AcceleratorHostTest, WhpxFromTheEnvironmentIsDemandedLikeAFlag) {
  Result<AccelChoice> choice = ChooseAccelerator(AccelRequest::kAuto, "whpx", "/dev/kvm");
  if (WhpxUnusableReason()) {
    ASSERT_FALSE(choice.ok());
    EXPECT_EQ(choice.status().code(), Code::kUnavailable);
  } else {
    ASSERT_TRUE(choice.ok());
    EXPECT_EQ(choice->accel, Accelerator::kWhpx);
  }
}

TEST(AcceleratorHostTest, TcgNeedsNoProbe) {
  Result<AccelChoice> choice = ChooseAccelerator(AccelRequest::kTcg, "", "/nonexistent/kvm");
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->accel, Accelerator::kTcg);
}

}  // namespace
}  // namespace diskferry
