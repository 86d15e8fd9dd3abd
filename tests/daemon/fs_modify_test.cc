// Mkdir, WriteFile, Chmod, Chown, Utimens, Symlink, Link, Rename, Unlink, Rmdir, Truncate,
// Sync and Umount over Serve, against a scratch sysroot per test: effects, errno names, and
// confinement to the sysroot.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/daemon/fs_requests.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon::testing {
namespace {

namespace rq = requests;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

using FsModifyTest = ScratchServeTest;

TEST_F(FsModifyTest, MkdirUsesTheExactModeAndRefusesAnExistingEntry) {
  ASSERT_NE(CallOk(rq::Mkdir("/d", 0751, false)), nullptr);
  EXPECT_EQ(Lstat(Host("/d")).st_mode, S_IFDIR | 0751u);
  EXPECT_EQ(CallError(rq::Mkdir("/d", 0755, false)), "EEXIST");
  EXPECT_EQ(CallError(rq::Mkdir("/", 0755, false)), "EEXIST");
  EXPECT_EQ(CallError(rq::Mkdir("/no/such", 0755, false)), "ENOENT");
}

TEST_F(FsModifyTest, MkdirWithParentsCreatesTheChainAndAcceptsExistingDirectories) {
  ASSERT_NE(CallOk(rq::Mkdir("/a/b/c/", 0700, true)), nullptr);
  EXPECT_EQ(Lstat(Host("/a/b/c")).st_mode, S_IFDIR | 0700u);
  ASSERT_NE(CallOk(rq::Mkdir("/a/b", 0700, true)), nullptr);
  std::ofstream(Host("/a/file")) << "x";
  EXPECT_EQ(CallError(rq::Mkdir("/a/file/d", 0700, true)), "EEXIST");
}

TEST_F(FsModifyTest, WriteFileCreatesWritesAtOffsetsAndTruncates) {
  ASSERT_NE(CallOk(rq::WriteFile("/f", 0, "hello", true, false, 0600)), nullptr);
  EXPECT_EQ(Slurp(Host("/f")), "hello");
  EXPECT_EQ(Lstat(Host("/f")).st_mode, S_IFREG | 0600u);
  ASSERT_NE(CallOk(rq::WriteFile("/f", 3, "LO!", false, false)), nullptr);
  EXPECT_EQ(Slurp(Host("/f")), "helLO!");
  ASSERT_NE(CallOk(rq::WriteFile("/f", 0, "new", true, true, 0644)), nullptr);
  EXPECT_EQ(Slurp(Host("/f")), "new");
  EXPECT_EQ(Lstat(Host("/f")).st_mode, S_IFREG | 0600u) << "an existing file keeps its mode";
  EXPECT_EQ(CallError(rq::WriteFile("/missing", 0, "x", false, false)), "ENOENT");
  ASSERT_EQ(::mkdir(Host("/d").c_str(), 0755), 0);
  EXPECT_EQ(CallError(rq::WriteFile("/d", 0, "x", true, false)), "EISDIR");
}

TEST_F(FsModifyTest, WriteFileNeverFollowsAFinalSymlink) {
  std::ofstream(Host("/target")) << "keep";
  ASSERT_EQ(::symlink("target", Host("/l").c_str()), 0);
  EXPECT_EQ(CallError(rq::WriteFile("/l", 0, "overwritten", true, true)), "ELOOP");
  EXPECT_EQ(Slurp(Host("/target")), "keep");
}

TEST_F(FsModifyTest, ChmodSetsPermissionBits) {
  std::ofstream(Host("/f")) << "x";
  ASSERT_NE(CallOk(rq::Chmod("/f", 04711)), nullptr);
  EXPECT_EQ(Lstat(Host("/f")).st_mode, S_IFREG | 04711u);
  EXPECT_EQ(CallError(rq::Chmod("/missing", 0644)), "ENOENT");
}

TEST_F(FsModifyTest, ChownAndUtimensChangeASymlinkItselfNotItsTarget) {
  std::ofstream(Host("/target")) << "x";
  ASSERT_EQ(::symlink("target", Host("/l").c_str()), 0);
  const struct stat target_before = Lstat(Host("/target"));
  ASSERT_NE(CallOk(rq::Chown("/l", 1234, 5678)), nullptr);
  ASSERT_NE(CallOk(rq::Utimens("/l", 1000000001, 2000000002)), nullptr);
  const struct stat link = Lstat(Host("/l"));
  EXPECT_EQ(link.st_uid, 1234u);
  EXPECT_EQ(link.st_gid, 5678u);
  EXPECT_EQ(link.st_mtim.tv_sec, 2);
  EXPECT_EQ(link.st_mtim.tv_nsec, 2);
  EXPECT_EQ(link.st_atim.tv_nsec, 1);
  const struct stat target = Lstat(Host("/target"));
  EXPECT_EQ(target.st_uid, target_before.st_uid);
  EXPECT_EQ(target.st_mtim.tv_sec, target_before.st_mtim.tv_sec);
  EXPECT_EQ(CallError(rq::Chown("/missing", 0, 0)), "ENOENT");
  EXPECT_EQ(CallError(rq::Utimens("/missing", 0, 0)), "ENOENT");
}

TEST_F(FsModifyTest, UtimensTakesTimesBeforeTheEpoch) {
  std::ofstream(Host("/f")) << "x";
  ASSERT_NE(CallOk(rq::Utimens("/f", -1500000000, -1)), nullptr);
  const struct stat st = Lstat(Host("/f"));
  EXPECT_EQ(st.st_atim.tv_sec, -2);
  EXPECT_EQ(st.st_atim.tv_nsec, 500000000);
  EXPECT_EQ(st.st_mtim.tv_sec, -1);
  EXPECT_EQ(st.st_mtim.tv_nsec, 999999999);
}

TEST_F(FsModifyTest, SymlinkAndLinkCreateEntries) {
  ASSERT_NE(CallOk(rq::Symlink("/etc/passwd", "/s")), nullptr);
  char target[64] = {};
  ASSERT_GT(::readlink(Host("/s").c_str(), target, sizeof target), 0);
  EXPECT_STREQ(target, "/etc/passwd");
  EXPECT_EQ(CallError(rq::Symlink("x", "/s")), "EEXIST");
  EXPECT_EQ(CallError(rq::Symlink("", "/empty")), "ENOENT");

  std::ofstream(Host("/f")) << "x";
  ASSERT_NE(CallOk(rq::Link("/f", "/g")), nullptr);
  EXPECT_EQ(Lstat(Host("/g")).st_ino, Lstat(Host("/f")).st_ino);
  EXPECT_EQ(CallError(rq::Link("/missing", "/h")), "ENOENT");
  EXPECT_EQ(CallError(rq::Link("/f", "/g")), "EEXIST");
}

TEST_F(FsModifyTest, RenameUnlinkAndRmdir) {
  std::ofstream(Host("/f")) << "x";
  ASSERT_EQ(::mkdir(Host("/d").c_str(), 0755), 0);
  ASSERT_NE(CallOk(rq::Rename("/f", "/d/f2")), nullptr);
  EXPECT_EQ(Slurp(Host("/d/f2")), "x");
  EXPECT_EQ(CallError(rq::Rename("/f", "/f3")), "ENOENT");
  EXPECT_EQ(CallError(rq::Rmdir("/d")), "ENOTEMPTY");
  EXPECT_EQ(CallError(rq::Unlink("/d")), "EISDIR");
  ASSERT_NE(CallOk(rq::Unlink("/d/f2")), nullptr);
  EXPECT_EQ(CallError(rq::Unlink("/d/f2")), "ENOENT");
  ASSERT_NE(CallOk(rq::Rmdir("/d")), nullptr);
  EXPECT_FALSE(std::filesystem::exists(Host("/d")));
}

TEST_F(FsModifyTest, TruncateGrowsWithAHoleAndShrinks) {
  std::ofstream(Host("/f")) << "abcdef";
  ASSERT_NE(CallOk(rq::Truncate("/f", 3)), nullptr);
  EXPECT_EQ(Slurp(Host("/f")), "abc");
  ASSERT_NE(CallOk(rq::Truncate("/f", 1 << 20)), nullptr);
  const struct stat st = Lstat(Host("/f"));
  EXPECT_EQ(st.st_size, 1 << 20);
  EXPECT_LT(st.st_blocks * 512, 1 << 20);
  ASSERT_EQ(::mkdir(Host("/d").c_str(), 0755), 0);
  EXPECT_EQ(CallError(rq::Truncate("/d", 0)), "EISDIR");
  EXPECT_EQ(CallError(rq::Truncate("/missing", 0)), "ENOENT");
}

TEST_F(FsModifyTest, SyncSucceedsAndUmountNeedsTheAppliance) {
  EXPECT_NE(CallOk(rq::Sync()), nullptr);
  EXPECT_EQ(CallError(rq::Umount()), "EOPNOTSUPP");
}

TEST_F(FsModifyTest, WritesNeverLeaveTheSysroot) {
  const std::string outside = MakeTempDir("df-outside");
  ASSERT_EQ(::symlink(outside.c_str(), Host("/abs").c_str()), 0);
  ASSERT_EQ(::symlink(("../../../../../../.." + outside).c_str(), Host("/rel").c_str()), 0);
  EXPECT_EQ(CallError(rq::Mkdir("/abs/pwned", 0755, true)), "EEXIST") << "dangling inside";
  for (const std::string& dir :
       std::vector<std::string>{"/abs", "/rel", "/../../../../../.." + outside}) {
    EXPECT_EQ(CallError(rq::WriteFile(dir + "/pwned", 0, "x", true, false)), "ENOENT") << dir;
    EXPECT_EQ(CallError(rq::Symlink("/x", dir + "/pwned")), "ENOENT") << dir;
    EXPECT_EQ(CallError(rq::Mkdir(dir + "/pwned", 0755, false)), "ENOENT") << dir;
    // mkdir -p of the last one creates the chain inside the sysroot, after which the
    // symlinks resolve (inside) too.
    (void)CallError(rq::Mkdir(dir + "/pwned", 0755, true));
  }
  EXPECT_TRUE(std::filesystem::is_empty(outside));
  std::ofstream(outside + "/victim") << "keep";
  ASSERT_EQ(::symlink((outside + "/victim").c_str(), Host("/v").c_str()), 0);
  EXPECT_EQ(CallError(rq::Chmod("/v", 0777)), "ENOENT");
  EXPECT_EQ(CallError(rq::Truncate("/v", 0)), "ENOENT");
  EXPECT_EQ(CallError(rq::Link(outside + "/victim", "/hard")), "ENOENT");
  EXPECT_EQ(CallError(rq::Unlink("/abs/victim")), "ENOENT");
  EXPECT_EQ(Slurp(outside + "/victim"), "keep");
  EXPECT_NE(Lstat(outside + "/victim").st_mode & 0777, 0777u);
  std::filesystem::remove_all(outside);
}

TEST_F(FsModifyTest, DotDotAsLastComponentStaysOnTheSysroot) {
  std::ofstream(Host("/f")) << "x";
  ASSERT_NE(CallOk(rq::Rename("/f", "/../../g")), nullptr);
  EXPECT_EQ(Slurp(Host("/g")), "x");
  EXPECT_EQ(CallError(rq::Unlink("/..")), "EISDIR");
  EXPECT_EQ(CallError(rq::Rmdir("/../..")), "EINVAL");
  EXPECT_TRUE(std::filesystem::exists(root()));
}

}  // namespace
}  // namespace diskferry::daemon::testing
