// GlobWalkRoot: where a glob delete starts walking (the rest needs a VM:
// tests/integration/inject_steps_test.cc).
#include "pipeline/guest_delete.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

TEST(GlobWalkRootTest, StopsAtTheFirstWildcardAndNeverIncludesTheLastComponent) {
  EXPECT_EQ(GlobWalkRoot("/etc/*.conf"), "/etc");
  EXPECT_EQ(GlobWalkRoot("/var/log/**/*.gz"), "/var/log");
  EXPECT_EQ(GlobWalkRoot("/var/**/x"), "/var");
  EXPECT_EQ(GlobWalkRoot("/a/b"), "/a");
  EXPECT_EQ(GlobWalkRoot("/*"), "/");
  EXPECT_EQ(GlobWalkRoot("/x"), "/");
  EXPECT_EQ(GlobWalkRoot("/a/[bc]/d"), "/a");
  EXPECT_EQ(GlobWalkRoot("/a/b\\*/c"), "/a") << "escapes are not unescaped here";
}

}  // namespace
}  // namespace diskferry
