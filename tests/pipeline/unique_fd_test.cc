#include "pipeline/unique_fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>

namespace diskferry {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

int OpenNull() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(UniqueFdTest, ClosesOnDestruction) {
  int raw;
  {
    UniqueFd fd(OpenNull());
    raw = fd.get();
    EXPECT_TRUE(fd.valid());
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueFdTest, MoveConstructionTransfersOwnership) {
  UniqueFd a(OpenNull());
  const int raw = a.get();
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueFdTest, MoveAssignmentClosesTheOldDescriptorAndLeaksNothing) {
  UniqueFd a(OpenNull());
  UniqueFd b(OpenNull());
  const int old_b = b.get();
  const int raw_a = a.get();
  b = std::move(a);
  EXPECT_EQ(b.get(), raw_a);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(IsOpen(old_b));
}

TEST(UniqueFdTest, SelfMoveAssignmentKeepsTheDescriptor) {
  UniqueFd a(OpenNull());
  const int raw = a.get();
  UniqueFd& alias = a;
  a = std::move(alias);
  EXPECT_EQ(a.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueFdTest, ReleaseGivesUpOwnershipAndResetCloses) {
  UniqueFd a(OpenNull());
  const int raw = a.release();
  EXPECT_FALSE(a.valid());
  EXPECT_TRUE(IsOpen(raw));
  a.reset(raw);
  a.reset(raw);  // the same descriptor again: not closed
  EXPECT_TRUE(IsOpen(raw));
  a.reset();
  EXPECT_FALSE(IsOpen(raw));
}

}  // namespace
}  // namespace diskferry
