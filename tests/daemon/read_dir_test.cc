// ReadDir over Serve: content, stat fields, paging, errors, and confinement to the sysroot.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>

#include "daemon/handlers_fs.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon::testing {
namespace {

const proto::DirEntry* FindEntry(const proto::ReadDirReply* reply, std::string_view name) {
  if (reply == nullptr || reply->entries() == nullptr) return nullptr;
  for (const proto::DirEntry* entry : *reply->entries()) {
    if (View(entry->name()) == name) return entry;
  }
  return nullptr;
}

std::string BigName(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "f%04d", i);
  return name;
}

TEST_F(DaemonServeTest, ReadDirListsRootSortedByNameBytes) {
  const proto::ReadDirReply* reply = ReadDir("/");
  ASSERT_NE(reply, nullptr);
  const std::vector<std::string> expected = {"big",         "dir",         "empty",
                                             "etc",         "hello.txt",   "link-to-etc",
                                             "link-to-outside", "link-up", "new\nline"};
  EXPECT_EQ(Names(reply), expected);
  EXPECT_TRUE(reply->eof());
  EXPECT_EQ(reply->next(), expected.size());
}

TEST_F(DaemonServeTest, ReadDirReportsLstatFieldsWithNanosecondTimes) {
  const proto::DirEntry* entry = FindEntry(ReadDir("/"), "hello.txt");
  ASSERT_NE(entry, nullptr);
  ASSERT_NE(entry->stat(), nullptr);
  struct stat st {};
  ASSERT_EQ(::lstat((sysroot() + "/hello.txt").c_str(), &st), 0);
  const proto::Stat& s = *entry->stat();
  EXPECT_EQ(s.mode(), S_IFREG | 0640u);
  EXPECT_EQ(s.size(), 6u);
  EXPECT_EQ(s.nlink(), 1u);
  EXPECT_EQ(s.uid(), ::getuid());
  EXPECT_EQ(s.gid(), ::getgid());
  EXPECT_EQ(s.ino(), st.st_ino);
  EXPECT_EQ(s.blocks(), static_cast<uint64_t>(st.st_blocks));
  EXPECT_EQ(s.mtime_ns(), kHelloMtimeNs);
  EXPECT_EQ(s.atime_ns(), 1000000000);
  EXPECT_EQ(s.ctime_ns(), st.st_ctim.tv_sec * 1000000000ll + st.st_ctim.tv_nsec);
  EXPECT_EQ(entry->link_target(), nullptr);
}

TEST_F(DaemonServeTest, ReadDirDescribesSymlinksWithoutFollowingThem) {
  const proto::ReadDirReply* reply = ReadDir("/");
  const proto::DirEntry* outside = FindEntry(reply, "link-to-outside");
  ASSERT_NE(outside, nullptr);
  EXPECT_TRUE(S_ISLNK(outside->stat()->mode()));
  EXPECT_EQ(View(outside->link_target()), "/etc/passwd");
  EXPECT_EQ(outside->stat()->size(), std::string_view("/etc/passwd").size());
  const proto::DirEntry* up = FindEntry(reply, "link-up");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(View(up->link_target()), "../../..");
  const proto::DirEntry* dir = FindEntry(reply, "dir");
  ASSERT_NE(dir, nullptr);
  EXPECT_TRUE(S_ISDIR(dir->stat()->mode()));
}

TEST_F(DaemonServeTest, ReadDirKeepsNewlineInName) {
  const proto::DirEntry* entry = FindEntry(ReadDir("/"), "new\nline");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->name()->size(), 8u);
}

TEST_F(DaemonServeTest, ReadDirPagesThroughLargeDirectory) {
  std::vector<std::string> all;
  uint64_t start = 0;
  int pages = 0;
  for (bool eof = false; !eof; ++pages) {
    const proto::ReadDirReply* reply = ReadDir("/big", start, 400);
    ASSERT_NE(reply, nullptr);
    const std::vector<std::string> names = Names(reply);
    EXPECT_EQ(names.size(), std::min<uint64_t>(400, kBigDirEntries - start));
    EXPECT_EQ(reply->next(), start + names.size());
    EXPECT_EQ(reply->eof(), reply->next() == kBigDirEntries);
    all.insert(all.end(), names.begin(), names.end());
    start = reply->next();
    eof = reply->eof();
    ASSERT_LT(pages, 10) << "paging does not terminate";
  }
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(all.size(), static_cast<size_t>(kBigDirEntries));
  for (int i = 0; i < kBigDirEntries; ++i) EXPECT_EQ(all[i], BigName(i));
}

TEST_F(DaemonServeTest, ReadDirCapsMaxEntriesPerPage) {
  const proto::ReadDirReply* reply = ReadDir("/big", 0, UINT32_MAX);
  ASSERT_NE(reply, nullptr);
  EXPECT_LE(Names(reply).size(), kMaxDirEntriesPerPage);
  EXPECT_EQ(Names(reply).size(), static_cast<size_t>(kBigDirEntries));
  EXPECT_TRUE(reply->eof());
}

TEST_F(DaemonServeTest, ReadDirPastTheEndIsAnEmptyLastPage) {
  const proto::ReadDirReply* reply = ReadDir("/big", kBigDirEntries + 10, 100);
  ASSERT_NE(reply, nullptr);
  EXPECT_TRUE(Names(reply).empty());
  EXPECT_TRUE(reply->eof());
}

TEST_F(DaemonServeTest, ReadDirOfEmptyDirectoryIsEmptyAndEof) {
  const proto::ReadDirReply* reply = ReadDir("/empty");
  ASSERT_NE(reply, nullptr);
  EXPECT_TRUE(Names(reply).empty());
  EXPECT_TRUE(reply->eof());
  EXPECT_EQ(reply->next(), 0u);
}

// Expects ReadDir(path) to fail with `code`; returns the message.
std::string ExpectReadDirError(const proto::Response* response,
                               std::string_view code) {
  EXPECT_NE(response, nullptr);
  if (response == nullptr || response->error() == nullptr) {
    ADD_FAILURE() << "expected error " << code;
    return {};
  }
  EXPECT_EQ(response->reply_type(), proto::Reply::NONE);
  EXPECT_EQ(View(response->error()->code()), code);
  return std::string(View(response->error()->message()));
}

TEST_F(DaemonServeTest, ReadDirOfMissingPathIsEnoentNamingThePath) {
  const std::string message =
      ExpectReadDirError(Call(ReadDirRequest(20, "/etc/shadowx", 0, 10)), "ENOENT");
  EXPECT_EQ(message, "/etc/shadowx: No such file or directory");
}

TEST_F(DaemonServeTest, ReadDirOfFileIsEnotdir) {
  const std::string message =
      ExpectReadDirError(Call(ReadDirRequest(21, "/hello.txt", 0, 10)), "ENOTDIR");
  EXPECT_NE(message.find("/hello.txt"), std::string::npos);
}

TEST_F(DaemonServeTest, ReadDirRejectsMalformedPathsWithEinval) {
  ExpectReadDirError(Call(ReadDirRequest(22, "relative/path", 0, 10)), "EINVAL");
  ExpectReadDirError(Call(ReadDirRequest(23, "", 0, 10)), "EINVAL");
  ExpectReadDirError(Call(ReadDirRequest(24, std::string_view("/dir\0/x", 7), 0, 10)),
                     "EINVAL");
  ExpectReadDirError(Call(ReadDirRequest(25, "/" + std::string(PATH_MAX, 'a'), 0, 10)),
                     "EINVAL");
  ExpectReadDirError(Call(ReadDirRequest(26, "/dir", 0, 0)), "EINVAL");
}

TEST_F(DaemonServeTest, ReadDirThroughAbsoluteSymlinkStaysInsideSysroot) {
  // /link-to-etc -> /etc resolves to the sysroot's own /etc, never the host's.
  EXPECT_EQ(Names(ReadDir("/link-to-etc")), std::vector<std::string>{"inside-marker"});
  EXPECT_EQ(Names(ReadDir("/link-to-etc/.")), std::vector<std::string>{"inside-marker"});
}

TEST_F(DaemonServeTest, ReadDirThroughSymlinkToOutsideFileCannotReachIt) {
  // /link-to-outside -> /etc/passwd: the sysroot has no /etc/passwd.
  ExpectReadDirError(Call(ReadDirRequest(27, "/link-to-outside", 0, 10)), "ENOENT");
  ExpectReadDirError(Call(ReadDirRequest(28, "/link-to-outside/..", 0, 10)), "ENOENT");
}

TEST_F(DaemonServeTest, ReadDirDotDotAndRelativeSymlinkStopAtSysrootRoot) {
  const std::vector<std::string> root = Names(ReadDir("/"));
  ASSERT_FALSE(root.empty());
  EXPECT_EQ(Names(ReadDir("/../..")), root);
  EXPECT_EQ(Names(ReadDir("/dir/../../../..")), root);
  EXPECT_EQ(Names(ReadDir("/link-up")), root);
  EXPECT_EQ(Names(ReadDir("/link-up/../link-up/..")), root);
}

TEST(ReadDirPageTest, ValidatesPathBeforeTouchingTheFilesystem) {
  OpResult<DirPage> page = ReadDirPage("/nonexistent-sysroot", "relative", 0, 1);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().err, EINVAL);
}

TEST(ReadDirPageTest, MissingSysrootIsAnErrorNamingIt) {
  OpResult<DirPage> page = ReadDirPage("/nonexistent-sysroot", "/", 0, 1);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().err, ENOENT);
  EXPECT_NE(page.error().message.find("/nonexistent-sysroot"), std::string::npos);
}

TEST(ReadDirPageTest, StopsAtByteBudgetWithLongLinkTargets) {
  char pattern[] = "/tmp/df-read-dir-budget-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string root = pattern;
  ASSERT_EQ(::mkdir((root + "/long").c_str(), 0755), 0);
  const std::string target(4000, 'x');
  constexpr int kLinks = 1100;  // 1100 * 4000 bytes of targets is past kDirPageByteBudget
  for (int i = 0; i < kLinks; ++i) {
    ASSERT_EQ(::symlink(target.c_str(), (root + "/long/" + BigName(i)).c_str()), 0);
  }
  OpResult<DirPage> first = ReadDirPage(root, "/long", 0, kMaxDirEntriesPerPage);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_GT(first->entries.size(), 0u);
  EXPECT_LT(first->entries.size(), static_cast<size_t>(kLinks));
  EXPECT_EQ(first->next, first->entries.size());
  EXPECT_FALSE(first->eof);
  EXPECT_EQ(first->entries.front().link_target, target);
  OpResult<DirPage> second = ReadDirPage(root, "/long", first->next, kMaxDirEntriesPerPage);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->entries.front().name, BigName(static_cast<int>(first->next)));
  EXPECT_EQ(first->entries.size() + second->entries.size(), static_cast<size_t>(kLinks));
  EXPECT_TRUE(second->eof);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace diskferry::daemon::testing
