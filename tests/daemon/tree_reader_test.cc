// GuestTreeReader over a scratch sysroot: walk order, entry paths, metadata, hard links,
// symlinks, special files, xattrs, and per-entry errors.
#include "daemon/guest_tree_reader.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "tests/daemon/serve_fixture.h"
#include "tests/daemon/tree_samples.h"

namespace diskferry::daemon::testing {
namespace {

class TreeReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sysroot_ = MakeTempDir("df-reader");
    ASSERT_EQ(::mkdir((sysroot_ + "/tree").c_str(), 0755), 0);
    if (!BuildSampleTree(sysroot_ + "/tree")) GTEST_SKIP() << "no user xattrs on this host";
  }
  void TearDown() override { std::filesystem::remove_all(sysroot_); }

  // Every entry of a walk; fds are read into `contents` and closed.
  std::vector<SourceEntry> WalkAll(std::vector<std::string> paths, bool xattrs) {
    OpResult<std::unique_ptr<GuestTreeReader>> reader =
        GuestTreeReader::Create(sysroot_, std::move(paths), xattrs);
    EXPECT_TRUE(reader.ok()) << reader.error().message;
    std::vector<SourceEntry> entries;
    if (!reader.ok()) return entries;
    for (;;) {
      Result<std::optional<SourceEntry>> next = (*reader)->Next();
      EXPECT_TRUE(next.ok()) << next.status().ToString();
      if (!next.ok() || !next->has_value()) break;
      SourceEntry e = std::move(**next);
      if (e.fd >= 0) {
        std::string data(e.meta.size, '\0');
        EXPECT_EQ(::pread(e.fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
        contents_[e.path] = data;
        ::close(e.fd);
        e.fd = -1;
      }
      entries.push_back(std::move(e));
    }
    return entries;
  }

  static const SourceEntry* Find(const std::vector<SourceEntry>& entries, const std::string& p) {
    for (const SourceEntry& e : entries) {
      if (e.path == p) return &e;
    }
    return nullptr;
  }

  std::string sysroot_;
  std::map<std::string, std::string> contents_;
};

TEST_F(TreeReaderTest, WalksDepthFirstParentsFirstInNameOrder) {
  const std::vector<SourceEntry> entries = WalkAll({"/tree"}, false);
  std::vector<std::string> paths;
  for (const SourceEntry& e : entries) paths.push_back(e.path);
  const std::vector<std::string> expected = {
      "tree",           "tree/a.txt",    "tree/abs-link", "tree/big.bin",
      "tree/empty",     "tree/fifo",     "tree/hard1",    "tree/link",
      "tree/new\nline", "tree/ro",       "tree/ro/x",     "tree/sparse.img",
      "tree/sub",       "tree/sub/deep", "tree/sub/deep/b.bin", "tree/sub/hard2"};
  EXPECT_EQ(paths, expected);
}

TEST_F(TreeReaderTest, RootStartGivesItsChildrenAndFileStartGivesItsName) {
  std::vector<SourceEntry> entries = WalkAll({"/"}, false);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0].path, "tree");
  EXPECT_EQ(entries[1].path, "tree/a.txt");
  entries = WalkAll({"/tree/sub/deep/b.bin", "/tree/sub/"}, false);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].path, "b.bin");
  EXPECT_EQ(entries[1].path, "sub");
  EXPECT_EQ(entries[2].path, "sub/deep");
  EXPECT_EQ(contents_["b.bin"].size(), 3000u);
}

TEST_F(TreeReaderTest, DescribesEachKindOfEntry) {
  const std::vector<SourceEntry> entries = WalkAll({"/tree"}, false);
  const SourceEntry* a = Find(entries, "tree/a.txt");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->meta.type, RecordType::kFile);
  EXPECT_EQ(a->meta.mode, S_IFREG | 0640u);
  EXPECT_EQ(a->meta.uid, 1001u);
  EXPECT_EQ(a->meta.gid, 1002u);
  EXPECT_EQ(a->meta.size, 5u);
  EXPECT_EQ(a->meta.mtime_ns % 1000000000, 123456789);
  EXPECT_EQ(contents_["tree/a.txt"], "alpha");
  const SourceEntry* link = Find(entries, "tree/abs-link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->meta.type, RecordType::kSymlink);
  EXPECT_EQ(link->target, "/etc/passwd");
  const SourceEntry* fifo = Find(entries, "tree/fifo");
  ASSERT_NE(fifo, nullptr);
  EXPECT_EQ(fifo->meta.type, RecordType::kSpecial);
  EXPECT_TRUE(S_ISFIFO(fifo->meta.mode));
  const SourceEntry* sub = Find(entries, "tree/sub");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->meta.type, RecordType::kDirectory);
  EXPECT_EQ(sub->meta.mode, S_IFDIR | 0700u);
}

TEST_F(TreeReaderTest, InodeLinksTimesAndCreationTimeAreStatxs) {
  const std::vector<SourceEntry> entries = WalkAll({"/tree"}, false);
  const SourceEntry* a = Find(entries, "tree/a.txt");
  ASSERT_NE(a, nullptr);
  struct statx sx {};
  const std::string path = sysroot_ + "/tree/a.txt";
  ASSERT_EQ(
      ::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &sx),
      0);
  EXPECT_EQ(a->meta.ino, sx.stx_ino);
  EXPECT_EQ(a->meta.nlink, sx.stx_nlink);
  EXPECT_EQ(a->meta.ctime_ns, int64_t{sx.stx_ctime.tv_sec} * 1000000000 + sx.stx_ctime.tv_nsec);
  // Known exactly where this scratch filesystem keeps one (tmpfs and ext4 do).
  const bool has_btime = (sx.stx_mask & STATX_BTIME) != 0;
  EXPECT_EQ((a->meta.flags & kRecordHasCrtime) != 0, has_btime);
  EXPECT_EQ(a->meta.crtime_ns,
            has_btime ? int64_t{sx.stx_btime.tv_sec} * 1000000000 + sx.stx_btime.tv_nsec : 0);
}

TEST_F(TreeReaderTest, SecondPathOfAnInodeIsAHardlinkToTheFirst) {
  const std::vector<SourceEntry> entries = WalkAll({"/tree"}, false);
  const SourceEntry* first = Find(entries, "tree/hard1");
  const SourceEntry* second = Find(entries, "tree/sub/hard2");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->meta.type, RecordType::kFile);
  EXPECT_EQ(second->meta.type, RecordType::kHardlink);
  EXPECT_EQ(second->target, "tree/hard1");
  EXPECT_EQ(contents_.count("tree/sub/hard2"), 0u) << "no second fd";
}

TEST_F(TreeReaderTest, XattrsOnlyWhenAsked) {
  std::vector<SourceEntry> entries = WalkAll({"/tree"}, true);
  const SourceEntry* a = Find(entries, "tree/a.txt");
  ASSERT_NE(a, nullptr);
  Result<std::vector<std::pair<std::string, std::string>>> xattrs = DecodeXattrs(a->xattrs);
  ASSERT_TRUE(xattrs.ok());
  ASSERT_EQ(xattrs->size(), 1u);
  EXPECT_EQ((*xattrs)[0], (std::pair<std::string, std::string>("user.note", "n1")));
  EXPECT_FALSE(Find(entries, "tree/sub")->xattrs.empty());
  entries = WalkAll({"/tree"}, false);
  EXPECT_TRUE(Find(entries, "tree/a.txt")->xattrs.empty());
}

TEST_F(TreeReaderTest, MissingStartPathIsAnErrorEntryAndTheWalkGoesOn) {
  const std::vector<SourceEntry> entries = WalkAll({"/nope", "/tree/empty"}, false);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].meta.type, RecordType::kError);
  EXPECT_EQ(entries[0].path, "nope");
  EXPECT_EQ(entries[0].meta.errno_value, ENOENT);
  EXPECT_EQ(entries[0].target, "/nope: No such file or directory");
  EXPECT_EQ(entries[1].path, "empty");
}

TEST_F(TreeReaderTest, StartPathsThatNameNoEntryAreRefused) {
  for (const char* bad : {"/tree/..", "/.", "relative"}) {
    OpResult<std::unique_ptr<GuestTreeReader>> reader =
        GuestTreeReader::Create(sysroot_, {bad}, false);
    ASSERT_FALSE(reader.ok()) << bad;
    EXPECT_EQ(reader.error().err, EINVAL) << bad;
  }
  EXPECT_FALSE(GuestTreeReader::Create(sysroot_, {}, false).ok());
}

TEST_F(TreeReaderTest, SymlinkedStartAndEscapingSymlinksAreNotFollowed) {
  ASSERT_EQ(::symlink("/etc", (sysroot_ + "/etc-link").c_str()), 0);
  ASSERT_EQ(::symlink("/", (sysroot_ + "/tree/sub/root-link").c_str()), 0);
  std::vector<SourceEntry> entries = WalkAll({"/etc-link"}, false);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].meta.type, RecordType::kSymlink);
  entries = WalkAll({"/tree/sub"}, false);
  for (const SourceEntry& e : entries) {
    EXPECT_EQ(e.path.rfind("sub", 0), 0u) << e.path;
    EXPECT_EQ(e.path.find("root-link/"), std::string::npos) << e.path;
  }
}

TEST_F(TreeReaderTest, PathsLongerThanARecordAllowsAreReportedOnTheirParent) {
  // 17 levels of 250-byte names: the deepest paths pass kMaxRecordPath (4096).
  const std::string name(250, 'n');
  int dir = ::open((sysroot_ + "/tree/sub").c_str(), O_RDONLY | O_DIRECTORY);
  for (int i = 0; i < 17; ++i) {
    ASSERT_EQ(::mkdirat(dir, name.c_str(), 0755), 0);
    const int next = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(dir);
    dir = next;
  }
  ::close(dir);
  const std::vector<SourceEntry> entries = WalkAll({"/tree/sub"}, false);
  int errors = 0;
  for (const SourceEntry& e : entries) {
    EXPECT_LE(e.path.size(), kMaxRecordPath);
    if (e.meta.type == RecordType::kError) {
      ++errors;
      EXPECT_EQ(e.meta.errno_value, ENAMETOOLONG);
    }
  }
  EXPECT_EQ(errors, 1);
  // Removing needs relative steps too: the full path passes PATH_MAX.
  std::filesystem::remove_all(sysroot_ + "/tree/sub/" + name);
}

}  // namespace
}  // namespace diskferry::daemon::testing
