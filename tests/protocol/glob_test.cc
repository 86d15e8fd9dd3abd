#include "protocol/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace diskferry {
namespace {

Glob Compiled(std::string_view pattern) {
  Result<Glob> glob = Glob::Compile(pattern);
  EXPECT_TRUE(glob.ok()) << pattern << ": " << glob.status().message();
  return glob.ok() ? std::move(glob).value() : std::move(Glob::Compile("/")).value();
}

std::string Rejection(std::string_view pattern) {
  Result<Glob> glob = Glob::Compile(pattern);
  EXPECT_FALSE(glob.ok()) << pattern << " should be rejected";
  return glob.ok() ? "" : glob.status().message();
}

TEST(GlobTest, LiteralPathMatchesOnlyItself) {
  EXPECT_TRUE(GlobMatches("/etc/passwd", "/etc/passwd"));
  EXPECT_FALSE(GlobMatches("/etc/passwd", "/etc/passwd2"));
  EXPECT_FALSE(GlobMatches("/etc/passwd", "/etc"));
  EXPECT_FALSE(GlobMatches("/etc", "/etc/passwd"));
}

TEST(GlobTest, StarStaysWithinOneComponent) {
  EXPECT_TRUE(GlobMatches("/etc/*.conf", "/etc/resolv.conf"));
  EXPECT_TRUE(GlobMatches("/etc/*.conf", "/etc/.conf"));
  EXPECT_FALSE(GlobMatches("/etc/*.conf", "/etc/ssh/sshd.conf"));
  EXPECT_TRUE(GlobMatches("/*", "/etc"));
  EXPECT_FALSE(GlobMatches("/*", "/etc/passwd"));
  EXPECT_TRUE(GlobMatches("/a*b*c", "/aXXbYYc"));
  EXPECT_FALSE(GlobMatches("/a*b*c", "/aXXbYY"));
}

TEST(GlobTest, StarMatchesDotFiles) {
  EXPECT_TRUE(GlobMatches("/home/*/*", "/home/alice/.bashrc"));
  EXPECT_TRUE(GlobMatches("/home/**", "/home/alice/.ssh/id_ed25519"));
}

TEST(GlobTest, QuestionMarkIsExactlyOneByte) {
  EXPECT_TRUE(GlobMatches("/var/log/syslog.?", "/var/log/syslog.1"));
  EXPECT_FALSE(GlobMatches("/var/log/syslog.?", "/var/log/syslog.10"));
  EXPECT_FALSE(GlobMatches("/var/log/syslog.?", "/var/log/syslog."));
  EXPECT_FALSE(GlobMatches("/a?b", "/a/b"));
}

TEST(GlobTest, CharacterClassesSetsRangesAndNegation) {
  EXPECT_TRUE(GlobMatches("/dev/sd[abc]", "/dev/sdb"));
  EXPECT_FALSE(GlobMatches("/dev/sd[abc]", "/dev/sdd"));
  EXPECT_TRUE(GlobMatches("/log.[0-9]", "/log.7"));
  EXPECT_FALSE(GlobMatches("/log.[0-9]", "/log.x"));
  EXPECT_TRUE(GlobMatches("/x[!a]", "/xb"));
  EXPECT_FALSE(GlobMatches("/x[!a]", "/xa"));
  EXPECT_TRUE(GlobMatches("/x[a-cx-z]", "/xy"));
  EXPECT_FALSE(GlobMatches("/x[a-cx-z]", "/xm"));
}

TEST(GlobTest, CloseBracketFirstInAClassIsAMember) {
  EXPECT_TRUE(GlobMatches("/x[]a]", "/x]"));
  EXPECT_TRUE(GlobMatches("/x[]a]", "/xa"));
  EXPECT_FALSE(GlobMatches("/x[!]]", "/x]"));
  EXPECT_TRUE(GlobMatches("/x[!]]", "/xq"));
}

TEST(GlobTest, DashAtTheEndOfAClassIsLiteral) {
  EXPECT_TRUE(GlobMatches("/x[a-]", "/x-"));
  EXPECT_TRUE(GlobMatches("/x[a-]", "/xa"));
  EXPECT_FALSE(GlobMatches("/x[a-]", "/xb"));
}

TEST(GlobTest, BackslashEscapesAWildcard) {
  EXPECT_TRUE(GlobMatches("/a\\*b", "/a*b"));
  EXPECT_FALSE(GlobMatches("/a\\*b", "/aXb"));
  EXPECT_TRUE(GlobMatches("/what\\?", "/what?"));
  EXPECT_FALSE(GlobMatches("/what\\?", "/whatX"));
  EXPECT_TRUE(GlobMatches("/\\[x]", "/[x]"));
  EXPECT_FALSE(Compiled("/a\\*b").HasWildcards());
}

TEST(GlobTest, DoubleStarMatchesAnyDepthIncludingZero) {
  EXPECT_TRUE(GlobMatches("/etc/**", "/etc"));
  EXPECT_TRUE(GlobMatches("/etc/**", "/etc/passwd"));
  EXPECT_TRUE(GlobMatches("/etc/**", "/etc/ssh/sshd_config.d/x.conf"));
  EXPECT_FALSE(GlobMatches("/etc/**", "/etcetera"));
  EXPECT_FALSE(GlobMatches("/etc/**", "/"));
}

TEST(GlobTest, DoubleStarInTheMiddleAndAtTheStart) {
  EXPECT_TRUE(GlobMatches("/**/*.log", "/x.log"));
  EXPECT_TRUE(GlobMatches("/**/*.log", "/var/log/apt/history.log"));
  EXPECT_FALSE(GlobMatches("/**/*.log", "/var/log/apt"));
  EXPECT_TRUE(GlobMatches("/home/**/.ssh", "/home/.ssh"));
  EXPECT_TRUE(GlobMatches("/home/**/.ssh", "/home/alice/.ssh"));
  EXPECT_TRUE(GlobMatches("/home/**/.ssh", "/home/a/b/c/.ssh"));
  EXPECT_FALSE(GlobMatches("/home/**/.ssh", "/home/alice/.ssh/config"));
  EXPECT_TRUE(GlobMatches("/a/**/b/**/c", "/a/b/c"));
  EXPECT_TRUE(GlobMatches("/a/**/b/**/c", "/a/x/b/y/z/c"));
  EXPECT_FALSE(GlobMatches("/a/**/b/**/c", "/a/x/y/c"));
}

TEST(GlobTest, EverythingPatternMatchesTheRootToo) {
  EXPECT_TRUE(GlobMatches("/**", "/"));
  EXPECT_TRUE(GlobMatches("/**", "/a/b/c"));
  EXPECT_TRUE(GlobMatches("/", "/"));
  EXPECT_FALSE(GlobMatches("/", "/a"));
}

TEST(GlobTest, PathsAreComparedByComponents) {
  EXPECT_TRUE(GlobMatches("/etc/passwd", "//etc//passwd"));
  EXPECT_TRUE(GlobMatches("/etc", "/etc/"));
}

TEST(GlobTest, RelativePathsNeverMatch) {
  EXPECT_FALSE(GlobMatches("/**", "etc/passwd"));
  EXPECT_FALSE(GlobMatches("/**", ""));
  EXPECT_FALSE(Compiled("/**").CouldMatchBelow("etc"));
}

TEST(GlobTest, MatchingIsCaseSensitiveAndBytewise) {
  EXPECT_FALSE(GlobMatches("/ETC", "/etc"));
  EXPECT_TRUE(GlobMatches("/caf?", "/cafe"));
  EXPECT_FALSE(GlobMatches("/caf?", "/caf\xc3\xa9"));  // two bytes
  EXPECT_TRUE(GlobMatches("/caf??", "/caf\xc3\xa9"));
  EXPECT_TRUE(GlobMatches("/caf*", "/caf\xc3\xa9"));
}

TEST(GlobTest, PatternsMustStartAtTheRoot) {
  EXPECT_EQ(Rejection("etc/**"), "patterns start at the guest root: write '/etc/**'");
  EXPECT_EQ(Rejection(""), "patterns start at the guest root: write '/'");
  EXPECT_EQ(Rejection("**/*.log"), "patterns start at the guest root: write '/**/*.log'");
}

TEST(GlobTest, DoubleStarInsideAComponentIsRejected) {
  EXPECT_NE(Rejection("/var/log**").find("'**' must be a whole path component"), std::string::npos);
  EXPECT_NE(Rejection("/**x").find("found '**x'"), std::string::npos);
  EXPECT_NE(Rejection("/a/***/b").find("found '***'"), std::string::npos);
}

TEST(GlobTest, MalformedClassesAreRejected) {
  EXPECT_EQ(Rejection("/etc/[abc"), "unclosed '[' in '[abc'");
  EXPECT_EQ(Rejection("/x[]"), "unclosed '[' in 'x[]'");
  EXPECT_EQ(Rejection("/x[!]"), "unclosed '[' in 'x[!]'");
  EXPECT_EQ(Rejection("/x[z-a]"), "bad range 'z-a' in 'x[z-a]'");
}

TEST(GlobTest, EmptyDotAndTrailingComponentsAreRejected) {
  EXPECT_EQ(Rejection("/etc//passwd"), "empty path component ('//')");
  EXPECT_EQ(Rejection("/etc/"),
            "trailing '/' (write /etc for the directory, /etc/** for it and what is below)");
  EXPECT_NE(Rejection("/etc/../x").find("'.' and '..'"), std::string::npos);
  EXPECT_NE(Rejection("/./x").find("'.' and '..'"), std::string::npos);
  EXPECT_EQ(Rejection("/x\\"), "trailing '\\' in 'x\\'");
}

TEST(GlobTest, BadPatternNeverMatches) { EXPECT_FALSE(GlobMatches("/etc/[", "/etc/[")); }

TEST(GlobTest, CouldMatchBelowIsThePrefixCheck) {
  const Glob ssh = Compiled("/etc/ssh/**");
  EXPECT_TRUE(ssh.CouldMatchBelow("/"));
  EXPECT_TRUE(ssh.CouldMatchBelow("/etc"));
  EXPECT_TRUE(ssh.CouldMatchBelow("/etc/ssh"));
  EXPECT_TRUE(ssh.CouldMatchBelow("/etc/ssh/sshd_config.d"));
  EXPECT_FALSE(ssh.CouldMatchBelow("/var"));
  EXPECT_FALSE(ssh.CouldMatchBelow("/etc/ssl"));

  const Glob exact = Compiled("/etc/hostname");
  EXPECT_TRUE(exact.CouldMatchBelow("/etc"));
  EXPECT_FALSE(exact.CouldMatchBelow("/etc/hostname"));

  const Glob homes = Compiled("/home/*/.ssh/*");
  EXPECT_TRUE(homes.CouldMatchBelow("/home/alice"));
  EXPECT_TRUE(homes.CouldMatchBelow("/home/alice/.ssh"));
  EXPECT_FALSE(homes.CouldMatchBelow("/home/alice/Documents"));

  const Glob logs = Compiled("/**/*.log");
  EXPECT_TRUE(logs.CouldMatchBelow("/any/where/at/all"));
}

TEST(GlobTest, HasWildcardsTellsPlainPathsFromPatterns) {
  EXPECT_FALSE(Compiled("/etc/passwd").HasWildcards());
  EXPECT_TRUE(Compiled("/etc/*").HasWildcards());
  EXPECT_TRUE(Compiled("/etc/pass?d").HasWildcards());
  EXPECT_TRUE(Compiled("/etc/[p]asswd").HasWildcards());
  EXPECT_TRUE(Compiled("/etc/**").HasWildcards());
  EXPECT_EQ(Compiled("/etc/*").pattern(), "/etc/*");
}

TEST(GlobTest, ManyStarsAndDoubleStarsStayFast) {
  // Backtracking matchers go exponential here; one '*' backtrack point and the component
  // NFA keep this linear-ish. A slow implementation times the test out.
  const std::string name(2000, 'a');
  EXPECT_FALSE(GlobMatches("/*a*a*a*a*a*a*a*a*a*b", "/" + name));
  std::string deep;
  for (int i = 0; i < 500; ++i) deep += "/d";
  EXPECT_FALSE(GlobMatches("/**/**/**/**/**/**/x", deep));
  EXPECT_TRUE(GlobMatches("/**/**/**/**/**/**/d", deep));
}

// Each directory above a path is tested against the excludes: one walk down the path, not
// one match per directory (which was quadratic in the depth: this test ran for hours).
TEST(PathSelectorTest, ExcludesOnADeepPathAreMatchedInOneWalk) {
  std::string exclude;
  for (int i = 0; i < 100; ++i) exclude += "/**";
  exclude += "/b";
  Result<PathSelector> selector = PathSelector::Create({}, {exclude});
  ASSERT_TRUE(selector.ok()) << selector.status().ToString();
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "/a";
  EXPECT_TRUE(selector->Selects(deep));
  EXPECT_TRUE(selector->Descends(deep));
  EXPECT_FALSE(selector->Selects(deep + "/b"));
  EXPECT_FALSE(selector->Selects(deep + "/b/c"));
  EXPECT_FALSE(selector->Descends("/b" + deep));
}

TEST(GlobTest, PatternsLongerThanTheLimitAreRejected) {
  const std::string at_limit = "/" + std::string(kMaxGlobBytes - 1, 'a');
  EXPECT_TRUE(Compiled(at_limit).Matches(at_limit));
  EXPECT_EQ(Rejection(at_limit + "a"), "pattern of 4097 bytes, at most 4096");
}

}  // namespace
}  // namespace diskferry
