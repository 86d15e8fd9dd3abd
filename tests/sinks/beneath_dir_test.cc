#include "sinks/beneath_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

class BeneathDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir((scratch_ / "a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((scratch_ / "a/b").c_str(), 0755), 0);
    ASSERT_EQ(symlink("/tmp", (scratch_ / "a/link").c_str()), 0);
    ASSERT_EQ(symlink("b", (scratch_ / "a/rel").c_str()), 0);
    testing::WriteFile(scratch_ / "a/file", "x");
    auto dir = BeneathDir::Open(scratch_.path());
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
  }
  // The inode of the directory `parent.dir` refers to.
  static ino_t Ino(const BeneathDir::Parent& parent) {
    struct stat st;
    EXPECT_EQ(fstat(parent.dir.get(), &st), 0);
    return st.st_ino;
  }
  ino_t Ino(const std::string& rel) {
    struct stat st;
    EXPECT_EQ(lstat((scratch_ / rel).c_str(), &st), 0);
    return st.st_ino;
  }

  testing::ScratchDir scratch_;
  std::optional<BeneathDir> dir_;
};

TEST_F(BeneathDirTest, OpensTheParentAndSplitsOffTheName) {
  BeneathDir::Parent p;
  ASSERT_EQ(dir_->OpenParent("a/b/name", &p), 0);
  EXPECT_EQ(p.name, "name");
  EXPECT_EQ(Ino(p), Ino("a/b"));
  ASSERT_EQ(dir_->OpenParent("top", &p), 0);
  EXPECT_EQ(p.name, "top");
  EXPECT_EQ(Ino(p), Ino("."));
  ASSERT_EQ(dir_->OpenParent("a/b/again", &p), 0);  // from the cache
  EXPECT_EQ(Ino(p), Ino("a/b"));
}

TEST_F(BeneathDirTest, RefusesSymlinksAnywhereOnTheWay) {
  BeneathDir::Parent p;
  EXPECT_EQ(dir_->OpenParent("a/link/x", &p), ENOTDIR);
  EXPECT_EQ(dir_->OpenParent("a/rel/x", &p), ENOTDIR);
  EXPECT_EQ(dir_->OpenParent("a/file/x", &p), ENOTDIR);
  EXPECT_EQ(dir_->OpenParent("a/missing/x", &p), ENOENT);
  UniqueFd fd;
  EXPECT_EQ(dir_->OpenDirectory("a/link", &fd), ENOTDIR);
  EXPECT_EQ(dir_->OpenDirectory("a/b", &fd), 0);
}

TEST_F(BeneathDirTest, RefusesUnsafePaths) {
  BeneathDir::Parent p;
  for (const char* bad : {"../x", "/etc/passwd", "a/../b", "", "a//b"}) {
    EXPECT_EQ(dir_->OpenParent(bad, &p), EINVAL) << bad;
  }
}

TEST_F(BeneathDirTest, ForgetDropsAStaleCachedDirectory) {
  BeneathDir::Parent p;
  ASSERT_EQ(dir_->OpenParent("a/b/x", &p), 0);
  ASSERT_EQ(rmdir((scratch_ / "a/b").c_str()), 0);
  ASSERT_EQ(symlink("/tmp", (scratch_ / "a/b").c_str()), 0);
  dir_->Forget();
  EXPECT_EQ(dir_->OpenParent("a/b/x", &p), ENOTDIR);
}

TEST_F(BeneathDirTest, OpenFailsForAMissingRoot) {
  EXPECT_EQ(BeneathDir::Open(scratch_ / "missing").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace diskferry
