// UniqueFd over this host's descriptors (CRT descriptors on Windows).
#include "sinks/unique_fd.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <utility>

#include "protocol/source_file.h"
#include "sinks/host_file.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

// A closed descriptor reads as EBADF.
bool IsOpen(int fd) {
  uint8_t byte = 0;
  return ReadSourceAt(fd, 0, &byte, 1) != -EBADF;
}

// A descriptor of an empty file, which the test's UniqueFd is to own.
int OpenNull() {
  static const ScratchDir scratch("df-unique-fd");
  static const bool written = WriteWholeFile(scratch.File("empty"), "");
  EXPECT_TRUE(written);
  UniqueFd fd;
  EXPECT_EQ(OpenHostFile(scratch.File("empty"), HostOpen::kRead, &fd), 0);
  return fd.release();
}

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
