// GuestTreeReader with a WalkRange: ranges of one walk cover it exactly once, the
// directories on the way to `after` come first, `until` ends the walk, skipped entries
// are never looked at, and bad ranges are refused.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/guest_tree_reader.h"
#include "protocol/walk_order.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon::testing {
namespace {

struct Seen {
  std::string path;
  RecordType type;
  std::string data;  // regular files
};

class TreeReaderRangeTest : public ::testing::Test {
 protected:
  // /t: names that sort differently as paths and as strings ("a/b" < "a.b" < "a/b" + 'x'),
  // bytes >= 0x80, a deep file, a symlink, an empty directory, and a hard link whose two
  // paths are far apart. /u: a file after /t, so a walk of "/" has a second top entry.
  void SetUp() override {
    sysroot_ = MakeTempDir("df-range");
    for (const char* dir : {"/t", "/t/a", "/t/a/b", "/t/a/b/d", "/t/a.b.c", "/t/big", "/t/z",
                            "/t/\x80"
                            "dir"}) {
      ASSERT_EQ(::mkdir((sysroot_ + dir).c_str(), 0755), 0) << dir;
    }
    for (const char* file : {"/t/a/b/c", "/t/a/b/d/e", "/t/a/b.x", "/t/a-1", "/t/a.b",
                             "/t/\x80"
                             "dir/\xff",
                             "/t/~", "/u"}) {
      std::ofstream(sysroot_ + file) << "data of " << file;
    }
    for (int i = 0; i < 12; ++i) std::ofstream(sysroot_ + "/t/big/f" + std::to_string(i)) << i;
    ASSERT_EQ(::link((sysroot_ + "/t/a/b/c").c_str(), (sysroot_ + "/t/z/hard").c_str()), 0);
    ASSERT_EQ(::symlink("a/b", (sysroot_ + "/t/link").c_str()), 0);
  }
  void TearDown() override { std::filesystem::remove_all(sysroot_); }

  std::vector<Seen> Walk(const std::string& start, const WalkRange& range) {
    OpResult<std::unique_ptr<GuestTreeReader>> reader =
        GuestTreeReader::Create(sysroot_, {start}, false, range);
    EXPECT_TRUE(reader.ok()) << reader.error().message;
    std::vector<Seen> seen;
    if (!reader.ok()) return seen;
    for (;;) {
      Result<std::optional<SourceEntry>> next = (*reader)->Next();
      EXPECT_TRUE(next.ok()) << next.status().ToString();
      if (!next.ok() || !next->has_value()) break;
      SourceEntry& e = **next;
      Seen s{e.path, e.meta.type, ""};
      if (e.fd >= 0) {
        s.data.resize(e.meta.size);
        EXPECT_EQ(::pread(e.fd, s.data.data(), s.data.size(), 0),
                  static_cast<ssize_t>(s.data.size()));
        ::close(e.fd);
      }
      seen.push_back(std::move(s));
    }
    return seen;
  }

  static std::vector<std::string> Paths(const std::vector<Seen>& seen) {
    std::vector<std::string> paths;
    for (const Seen& s : seen) paths.push_back(s.path);
    return paths;
  }

  // The ranged walk with the directories on the way to `after` checked and removed.
  std::vector<Seen> InRange(const std::string& start, const WalkRange& range,
                            const std::vector<Seen>& full) {
    std::vector<Seen> seen = Walk(start, range);
    std::vector<std::string> on_the_way, expected_on_the_way;
    for (const Seen& s : full) {
      if (s.type == RecordType::kDirectory && !range.after.empty() &&
          IsAncestorOrSelf(s.path, range.after)) {
        expected_on_the_way.push_back(s.path);
      }
    }
    while (!seen.empty() && !InWalkRange(range, seen.front().path)) {
      EXPECT_EQ(seen.front().type, RecordType::kDirectory) << seen.front().path;
      on_the_way.push_back(seen.front().path);
      seen.erase(seen.begin());
    }
    EXPECT_EQ(on_the_way, expected_on_the_way) << "after " << range.after;
    for (const Seen& s : seen) EXPECT_TRUE(InWalkRange(range, s.path)) << s.path;
    return seen;
  }

  // Splits the walk of `start` at every pair of its entries and checks that the three
  // ranges, without their on-the-way directories, are the whole walk once.
  void CheckEverySplit(const std::string& start) {
    const std::vector<Seen> full = Walk(start, {});
    ASSERT_GT(full.size(), 25u);
    for (size_t i = 0; i < full.size(); ++i) {
      for (size_t j = i; j < full.size(); ++j) {
        const std::string& c1 = full[i].path;
        const std::string& c2 = full[j].path;
        std::vector<Seen> all = InRange(start, {"", c1}, full);
        for (const WalkRange& r : {WalkRange{c1, c2}, WalkRange{c2, ""}}) {
          for (Seen& s : InRange(start, r, full)) all.push_back(std::move(s));
        }
        ASSERT_EQ(Paths(all), Paths(full)) << "cut at " << c1 << " and " << c2;
        for (size_t k = 0; k < full.size(); ++k) {
          // A hard link whose first path fell in an earlier range comes as a file.
          if (full[k].type == RecordType::kHardlink && all[k].type == RecordType::kFile) continue;
          ASSERT_EQ(all[k].type, full[k].type) << all[k].path;
        }
      }
    }
  }

  std::string sysroot_;
};

TEST_F(TreeReaderRangeTest, EveryThreeWaySplitOfADirectoryWalkCoversItOnce) {
  CheckEverySplit("/t");
}

TEST_F(TreeReaderRangeTest, EveryThreeWaySplitOfTheRootWalkCoversItOnce) { CheckEverySplit("/"); }

TEST_F(TreeReaderRangeTest, AfterADirectorySendsItOnTheWayThenItsChildren) {
  const std::vector<std::string> paths = Paths(Walk("/t", {"t/a/b", "t/a/b.x"}));
  EXPECT_EQ(paths, (std::vector<std::string>{"t", "t/a", "t/a/b", "t/a/b/c", "t/a/b/d", "t/a/b/d/e",
                                             "t/a/b.x"}));
}

TEST_F(TreeReaderRangeTest, AfterADeepFileSendsItsParentsButNotIt) {
  const std::vector<std::string> paths = Paths(Walk("/t", {"t/a/b/d/e", "t/a-1"}));
  EXPECT_EQ(paths, (std::vector<std::string>{"t", "t/a", "t/a/b", "t/a/b/d", "t/a/b.x", "t/a-1"}));
}

TEST_F(TreeReaderRangeTest, UntilADirectoryEndsWithItAndItsChildrenComeNext) {
  std::vector<Seen> first = Walk("/t", {"t/a.b", "t/big"});
  EXPECT_EQ(Paths(first), (std::vector<std::string>{"t", "t/a.b.c", "t/big"}));
  EXPECT_EQ(first.back().type, RecordType::kDirectory);
  const std::vector<std::string> next = Paths(Walk("/t", {"t/big", "t/big/f1"}));
  EXPECT_EQ(next, (std::vector<std::string>{"t", "t/big", "t/big/f0", "t/big/f1"}));
}

TEST_F(TreeReaderRangeTest, NamesSortAsComponentsNotAsStrings) {
  // As strings "t/a.b" < "t/a/b/c"; in walk order "t/a/b/c" comes first.
  EXPECT_EQ(Paths(Walk("/t", {"t/a/b/c", "t/a.b"})),
            (std::vector<std::string>{"t", "t/a", "t/a/b", "t/a/b/d", "t/a/b/d/e", "t/a/b.x",
                                      "t/a-1", "t/a.b"}));
  // Bytes >= 0x80 come after every ASCII name.
  EXPECT_EQ(Paths(Walk("/t", {"t/~", ""})), (std::vector<std::string>{"t",
                                                                      "t/\x80"
                                                                      "dir",
                                                                      "t/\x80"
                                                                      "dir/\xff"}));
}

TEST_F(TreeReaderRangeTest, EmptyRangesSendAtMostTheWayToAfter) {
  EXPECT_EQ(Paths(Walk("/t", {"t/a/b", "t/a/b"})), (std::vector<std::string>{"t", "t/a", "t/a/b"}));
  EXPECT_EQ(Paths(Walk("/t", {"t/\x80"
                              "dir/\xff",
                              ""})),
            (std::vector<std::string>{"t",
                                      "t/\x80"
                                      "dir"}))
      << "after the last entry";
  EXPECT_TRUE(Walk("/t", {"", "s"}).empty()) << "until before the first entry";
  EXPECT_TRUE(Walk("/t", {"zzz", ""}).empty()) << "after past the start's walk";
  EXPECT_EQ(Paths(Walk("/", {"t/big/f5", "t/a"})), std::vector<std::string>{"t"})
      << "until before after: only the way to after, up to until";
}

TEST_F(TreeReaderRangeTest, HardLinkWhoseFirstPathIsBeforeTheRangeComesAsAFile) {
  const std::vector<Seen> seen = Walk("/t", {"t/a/b/c", ""});
  const auto hard =
      std::find_if(seen.begin(), seen.end(), [](const Seen& s) { return s.path == "t/z/hard"; });
  ASSERT_NE(hard, seen.end());
  EXPECT_EQ(hard->type, RecordType::kFile);
  EXPECT_EQ(hard->data, "data of /t/a/b/c");
  const std::vector<Seen> whole = Walk("/t", {"", ""});
  EXPECT_EQ(
      std::find_if(whole.begin(), whole.end(), [](const Seen& s) { return s.path == "t/z/hard"; })
          ->type,
      RecordType::kHardlink);
}

TEST_F(TreeReaderRangeTest, EntriesBeforeAfterAreNeverLookedAt) {
  // A chain whose deepest paths pass kMaxRecordPath: described, it gives an error entry;
  // skipped (it sorts before "t/a"), it gives nothing. `after` need not exist.
  const std::string name(250, 'n');
  std::string dir = sysroot_ + "/t/0";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  for (int i = 0; i < 17; ++i) {
    ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(fd);
    fd = next;
  }
  ::close(fd);
  auto errors = [](const std::vector<Seen>& seen) {
    return std::count_if(seen.begin(), seen.end(),
                         [](const Seen& s) { return s.type == RecordType::kError; });
  };
  EXPECT_EQ(errors(Walk("/t", {})), 1);
  const std::vector<Seen> after = Walk("/t", {"t/0/zzz", ""});
  EXPECT_EQ(errors(after), 0);
  ASSERT_GE(after.size(), 3u);
  EXPECT_EQ(after[1].path, "t/0") << "on the way to a missing `after`";
  EXPECT_EQ(after[2].path, "t/a");
  std::filesystem::remove_all(sysroot_ + "/t/0/" + name);
}

TEST_F(TreeReaderRangeTest, StartPathOutsideTheRangeGivesNothing) {
  EXPECT_TRUE(Walk("/t/a", {"b", ""}).empty()) << "\"a\" <= \"b\" and not on the way";
  EXPECT_TRUE(Walk("/t/a", {"", "Z"}).empty()) << "\"a\" > \"Z\"";
  EXPECT_EQ(Paths(Walk("/t/a", {"a/b/d", "a/b.x"})),
            (std::vector<std::string>{"a", "a/b", "a/b/d", "a/b/d/e", "a/b.x"}));
  EXPECT_TRUE(Walk("/t/a-1", {"a-1", ""}).empty()) << "a file as `after` is not sent";
}

TEST_F(TreeReaderRangeTest, BadRangesAreRefused) {
  const std::vector<WalkRange> bad = {{"/t/a", ""},
                                      {"", "t/../u"},
                                      {"t//a", ""},
                                      {"t/a/", ""},
                                      {".", ""},
                                      {"", std::string("t\0a", 3)},
                                      {std::string(5000, 'x'), ""},
                                      {"", "t/./a"}};
  for (const WalkRange& range : bad) {
    OpResult<std::unique_ptr<GuestTreeReader>> reader =
        GuestTreeReader::Create(sysroot_, {"/t"}, false, range);
    ASSERT_FALSE(reader.ok()) << range.after << " " << range.until;
    EXPECT_EQ(reader.error().err, EINVAL);
    EXPECT_NE(reader.error().message.find(range.after.empty() ? "until" : "after"),
              std::string::npos)
        << reader.error().message;
  }
  OpResult<std::unique_ptr<GuestTreeReader>> two =
      GuestTreeReader::Create(sysroot_, {"/t", "/u"}, false, {"t/a", ""});
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().err, EINVAL);
  EXPECT_NE(two.error().message.find("exactly one start path"), std::string::npos);
  EXPECT_TRUE(GuestTreeReader::Create(sysroot_, {"/t", "/u"}, false, {}).ok())
      << "no range, any number of paths";
}

}  // namespace
}  // namespace diskferry::daemon::testing
