// The exit status each kind of failure gives (cli/exit_codes.h).
#include "cli/exit_codes.h"

#include <gtest/gtest.h>

#include "appliance/control_client.h"

namespace diskferry {
namespace {

TEST(ExitCodesTest, AMisbehavingApplianceExits70EvenWithTheImageNamed) {
  const Status misbehaved(Code::kProtocolError,
                          std::string(kMisbehavedPrefix) + "ReadDir reply: a link target of 4097 "
                                                           "bytes, more than 4096");
  EXPECT_EQ(ExitCodeFor(misbehaved), 70);
  EXPECT_EQ(ExitCodeFor(InImage(misbehaved, "disk.img")), 70);
}

TEST(ExitCodesTest, ASilentApplianceIsUnavailableNotMisbehaving) {
  EXPECT_EQ(ExitCodeFor(Status(Code::kTimeout, "the appliance did not read a request")), 69);
}

}  // namespace
}  // namespace diskferry
