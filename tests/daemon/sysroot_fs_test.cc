// ScopedFd ownership, and the path and time helpers of daemon/sysroot_fs.h.
#include "daemon/sysroot_fs.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/scoped_fd.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(ScopedFdTest, ClosesOnDestructionAndMovesOwnership) {
  const int raw = ::open("/", O_PATH | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    ScopedFd a(raw);
    ScopedFd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.get(), raw);
    ScopedFd c(::open("/", O_PATH | O_CLOEXEC));
    const int other = c.get();
    c = std::move(b);  // c's own descriptor is closed, b's taken over
    EXPECT_FALSE(IsOpen(other));
    EXPECT_EQ(c.get(), raw);
    ScopedFd& alias = c;
    c = std::move(alias);
    EXPECT_TRUE(IsOpen(raw)) << "self-move keeps the descriptor";
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(ScopedFdTest, ReleaseGivesUpOwnership) {
  const int raw = ::open("/", O_PATH | O_CLOEXEC);
  { ScopedFd a(raw); EXPECT_EQ(a.release(), raw); }
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
}

TEST(SysrootFsTest, ResolveEntrySplitsTheLastComponent) {
  const std::string root = testing::MakeTempDir("df-resolve");
  ASSERT_EQ(::mkdir((root + "/d").c_str(), 0755), 0);
  OpResult<EntryRef> ref = ResolveEntry(root, "/d/name//");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->name, "name");
  for (const char* dir_itself : {"/", "/d/..", "/.", "//"}) {
    ref = ResolveEntry(root, dir_itself);
    ASSERT_TRUE(ref.ok()) << dir_itself;
    EXPECT_EQ(ref->name, ".") << dir_itself;
  }
  ref = ResolveEntry(root, "/missing/name");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().err, ENOENT);
  EXPECT_EQ(ref.error().message, "/missing/name: No such file or directory");
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace diskferry::daemon
