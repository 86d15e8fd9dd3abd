#include <gtest/gtest.h>

#include "protocol/glob.h"

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

TEST(PathSelectorTest, ListsOfMoreThanTheLimitAreRefused) {
  const std::vector<std::string> at_limit(kMaxSelectPatterns, "/etc");
  const std::vector<std::string> past(kMaxSelectPatterns + 1, "/etc");
  EXPECT_TRUE(PathSelector::Create(at_limit, at_limit).ok());
  Result<PathSelector> too_many = PathSelector::Create(past, {});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(too_many.status().message(), "include: 257 patterns, at most 256");
  too_many = PathSelector::Create({}, past);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().message(), "exclude: 257 patterns, at most 256");
}

TEST(PathSelectorTest, PatternsRecreateTheSameSelector) {
  const PathSelector s = Selector({"/etc/**", "/srv/*.conf"}, {"/etc/secret"});
  const SelectPatterns p = s.patterns();
  EXPECT_EQ(p.include, (std::vector<std::string>{"/etc/**", "/srv/*.conf"}));
  EXPECT_EQ(p.exclude, (std::vector<std::string>{"/etc/secret"}));
  const PathSelector again = Selector(p.include, p.exclude);
  for (const char* path :
       {"/etc", "/etc/secret", "/etc/secret/x", "/etc/a", "/srv/a.conf", "/srv"}) {
    EXPECT_EQ(again.Selects(path), s.Selects(path)) << path;
    EXPECT_EQ(again.Descends(path), s.Descends(path)) << path;
  }
  EXPECT_FALSE(s.SelectsEverything());
  EXPECT_TRUE(PathSelector().SelectsEverything());
  EXPECT_TRUE(Selector({"/**"}, {}).SelectsEverything());
  EXPECT_FALSE(Selector({"/**"}, {"/tmp"}).SelectsEverything());
}

}  // namespace
}  // namespace diskferry
