#include <gtest/gtest.h>

#include "jobs/glob.h"

namespace diskferry {
namespace {

PathSelector Selector(const std::vector<std::string>& include,
                      const std::vector<std::string>& exclude) {
  Result<PathSelector> selector = PathSelector::Create(include, exclude);
  EXPECT_TRUE(selector.ok()) << selector.status().message();
  return selector.ok() ? std::move(selector).value() : PathSelector();
}

TEST(PathSelectorTest, DefaultSelectsAndDescendsEverything) {
  const PathSelector all;
  EXPECT_TRUE(all.Selects("/"));
  EXPECT_TRUE(all.Selects("/etc/passwd"));
  EXPECT_TRUE(all.Descends("/"));
  EXPECT_TRUE(all.Descends("/var/lib"));
  ASSERT_EQ(all.include().size(), 1u);
  EXPECT_EQ(all.include()[0].pattern(), "/**");
}

TEST(PathSelectorTest, NoIncludeListMeansEverything) {
  const PathSelector selector = Selector({}, {"/proc/**"});
  EXPECT_TRUE(selector.Selects("/etc/hostname"));
  EXPECT_FALSE(selector.Selects("/proc/1/status"));
}

TEST(PathSelectorTest, SelectedWhenSomeIncludeMatchesAndNoExclude) {
  const PathSelector selector = Selector({"/etc/**", "/root/.bashrc"}, {"/etc/shadow"});
  EXPECT_TRUE(selector.Selects("/etc"));
  EXPECT_TRUE(selector.Selects("/etc/passwd"));
  EXPECT_TRUE(selector.Selects("/root/.bashrc"));
  EXPECT_FALSE(selector.Selects("/root"));
  EXPECT_FALSE(selector.Selects("/etc/shadow"));
  EXPECT_FALSE(selector.Selects("/var/log/syslog"));
}

TEST(PathSelectorTest, ExcludingADirectoryExcludesEverythingBelowIt) {
  const PathSelector selector = Selector({"/home/**"}, {"/home/*/.cache"});
  EXPECT_TRUE(selector.Selects("/home/alice/notes.txt"));
  EXPECT_FALSE(selector.Selects("/home/alice/.cache"));
  EXPECT_FALSE(selector.Selects("/home/alice/.cache/mozilla/x.sqlite"));
  EXPECT_FALSE(selector.Descends("/home/alice/.cache"));
  EXPECT_FALSE(selector.Descends("/home/alice/.cache/mozilla"));
  EXPECT_TRUE(selector.Descends("/home/alice"));
}

TEST(PathSelectorTest, ExcludeByNameAtAnyDepth) {
  const PathSelector selector = Selector({}, {"/**/*.tmp"});
  EXPECT_FALSE(selector.Selects("/a.tmp"));
  EXPECT_FALSE(selector.Selects("/var/tmp/build/x.tmp"));
  EXPECT_TRUE(selector.Selects("/var/tmp/build/x.tmpl"));
  EXPECT_FALSE(selector.Descends("/srv/cache.tmp"));  // a directory named *.tmp
}

TEST(PathSelectorTest, DescendsOnlyWhereAnIncludeCouldMatchBelow) {
  const PathSelector selector = Selector({"/etc/ssh/**", "/var/log/*.log"}, {});
  EXPECT_TRUE(selector.Descends("/"));
  EXPECT_TRUE(selector.Descends("/etc"));
  EXPECT_TRUE(selector.Descends("/etc/ssh"));
  EXPECT_TRUE(selector.Descends("/var/log"));
  EXPECT_FALSE(selector.Descends("/var/log/apt"));
  EXPECT_FALSE(selector.Descends("/usr"));
  // Walked through, but not selected themselves.
  EXPECT_FALSE(selector.Selects("/etc"));
  EXPECT_FALSE(selector.Selects("/var/log"));
}

TEST(PathSelectorTest, ExcludedRootExcludesEverything) {
  const PathSelector selector = Selector({"/etc/**"}, {"/"});
  EXPECT_FALSE(selector.Selects("/etc/passwd"));
  EXPECT_FALSE(selector.Descends("/"));
}

TEST(PathSelectorTest, BadPatternIsNamedInTheError) {
  Result<PathSelector> selector = PathSelector::Create({"/etc/**"}, {"/a**"});
  ASSERT_FALSE(selector.ok());
  EXPECT_EQ(selector.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(selector.status().message().rfind("/a**: ", 0), 0u) << selector.status().message();
}

}  // namespace
}  // namespace diskferry
