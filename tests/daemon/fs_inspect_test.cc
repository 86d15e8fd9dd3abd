// Lstat, Readlink, Statvfs, ListXattrs, GetXattr and ReadFile over Serve, against a scratch
// sysroot per test: results, errno names, and confinement to the sysroot.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "tests/daemon/fs_requests.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon::testing {
namespace {

namespace rq = requests;

void PutFile(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
}

using FsInspectTest = ScratchServeTest;

TEST_F(FsInspectTest, LstatDescribesAFileAndASymlinkWithoutFollowing) {
  PutFile(Host("/f"), "12345");
  ASSERT_EQ(::symlink("f", Host("/l").c_str()), 0);
  const proto::Response* file = CallOk(rq::Lstat("/f"));
  ASSERT_NE(file, nullptr);
  ASSERT_NE(file->reply_as_Lstat(), nullptr);
  EXPECT_TRUE(S_ISREG(file->reply_as_Lstat()->stat()->mode()));
  EXPECT_EQ(file->reply_as_Lstat()->stat()->size(), 5u);
  const proto::Response* link = CallOk(rq::Lstat("/l"));
  ASSERT_NE(link, nullptr);
  EXPECT_TRUE(S_ISLNK(link->reply_as_Lstat()->stat()->mode()));
  EXPECT_EQ(link->reply_as_Lstat()->stat()->size(), 1u);
}

TEST_F(FsInspectTest, LstatErrorsCarryTheirErrnoNameAndPath) {
  const proto::Response* response = Call(rq::Lstat("/missing"));
  ASSERT_NE(response, nullptr);
  ASSERT_NE(response->error(), nullptr);
  EXPECT_EQ(View(response->error()->code()), "ENOENT");
  EXPECT_EQ(View(response->error()->message()), "/missing: No such file or directory");
  EXPECT_EQ(CallError(rq::Lstat("relative")), "EINVAL");
  EXPECT_EQ(CallError(rq::Lstat(std::string_view("/a\0b", 4))), "EINVAL");
  PutFile(Host("/f"), "");
  EXPECT_EQ(CallError(rq::Lstat("/f/x")), "ENOTDIR");
}

TEST_F(FsInspectTest, LstatOfRootAndDotDotIsTheSysrootItself) {
  struct stat st {};
  ASSERT_EQ(::stat(root().c_str(), &st), 0);
  for (const char* path : {"/", "/..", "/../..", "/."}) {
    const proto::Response* response = CallOk(rq::Lstat(path));
    ASSERT_NE(response, nullptr) << path;
    EXPECT_EQ(response->reply_as_Lstat()->stat()->ino(), st.st_ino) << path;
  }
}

TEST_F(FsInspectTest, ReadlinkReturnsTheTargetVerbatim) {
  ASSERT_EQ(::symlink("../../etc/passwd", Host("/l").c_str()), 0);
  const proto::Response* response = CallOk(rq::Readlink("/l"));
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(View(response->reply_as_Readlink()->target()), "../../etc/passwd");
  PutFile(Host("/f"), "");
  EXPECT_EQ(CallError(rq::Readlink("/f")), "EINVAL");
  EXPECT_EQ(CallError(rq::Readlink("/missing")), "ENOENT");
}

TEST_F(FsInspectTest, StatvfsDescribesTheMountedFilesystem) {
  struct statvfs expected {};
  ASSERT_EQ(::statvfs(root().c_str(), &expected), 0);
  const proto::Response* response = CallOk(rq::Statvfs("/"));
  ASSERT_NE(response, nullptr);
  const proto::StatvfsReply* sv = response->reply_as_Statvfs();
  ASSERT_NE(sv, nullptr);
  EXPECT_EQ(sv->block_size(), expected.f_frsize);
  EXPECT_EQ(sv->blocks(), expected.f_blocks);
  EXPECT_EQ(sv->name_max(), expected.f_namemax);
  EXPECT_FALSE(sv->read_only());
  EXPECT_EQ(CallError(rq::Statvfs("/missing")), "ENOENT");
}

TEST_F(FsInspectTest, XattrsAreListedReadAndWrittenWithoutFollowingSymlinks) {
  PutFile(Host("/f"), "");
  ASSERT_EQ(::setxattr(Host("/f").c_str(), "user.color", "blue", 4, 0), 0);
  ASSERT_EQ(::symlink("f", Host("/l").c_str()), 0);
  const proto::Response* list = CallOk(rq::ListXattrs("/f"));
  ASSERT_NE(list, nullptr);
  std::vector<std::string> names;
  for (const flatbuffers::String* n : *list->reply_as_ListXattrs()->names()) {
    names.emplace_back(View(n));
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "user.color"), names.end());
  const proto::Response* get = CallOk(rq::GetXattr("/f", "user.color"));
  ASSERT_NE(get, nullptr);
  const auto* value = get->reply_as_GetXattr()->value();
  EXPECT_EQ(std::string(value->begin(), value->end()), "blue");
  EXPECT_EQ(CallError(rq::GetXattr("/l", "user.color")), "ENODATA") << "the symlink has none";
  EXPECT_EQ(CallError(rq::GetXattr("/f", "user.none")), "ENODATA");
  EXPECT_EQ(CallError(rq::GetXattr("/f", "")), "EINVAL");

  ASSERT_NE(CallOk(rq::SetXattr("/f", "user.shape", std::string("sq\0re", 5))), nullptr);
  char buf[16];
  ASSERT_EQ(::getxattr(Host("/f").c_str(), "user.shape", buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), std::string("sq\0re", 5));
  EXPECT_EQ(CallError(rq::SetXattr("/missing", "user.a", "1")), "ENOENT");
}

TEST_F(FsInspectTest, ReadFileReturnsARangeAndSaysWhenItReachesTheEnd) {
  PutFile(Host("/f"), "hello world");
  const proto::Response* all = CallOk(rq::ReadFile("/f", 0, 100));
  ASSERT_NE(all, nullptr);
  const proto::ReadFileReply* reply = all->reply_as_ReadFile();
  EXPECT_EQ(std::string(reply->data()->begin(), reply->data()->end()), "hello world");
  EXPECT_TRUE(reply->eof());
  const proto::Response* part = CallOk(rq::ReadFile("/f", 6, 3));
  ASSERT_NE(part, nullptr);
  reply = part->reply_as_ReadFile();
  EXPECT_EQ(std::string(reply->data()->begin(), reply->data()->end()), "wor");
  EXPECT_FALSE(reply->eof());
  const proto::Response* past = CallOk(rq::ReadFile("/f", 50, 3));
  ASSERT_NE(past, nullptr);
  EXPECT_EQ(past->reply_as_ReadFile()->data()->size(), 0u);
  EXPECT_TRUE(past->reply_as_ReadFile()->eof());
}

TEST_F(FsInspectTest, ReadFileIsCappedAtFourMebibytes) {
  PutFile(Host("/big"), std::string(5 << 20, 'x'));
  const proto::Response* response = CallOk(rq::ReadFile("/big", 0, 8 << 20));
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->reply_as_ReadFile()->data()->size(), 4u << 20);
  EXPECT_FALSE(response->reply_as_ReadFile()->eof());
}

TEST_F(FsInspectTest, ReadFileRefusesDirectoriesAndFifosWithoutBlocking) {
  ASSERT_EQ(::mkdir(Host("/d").c_str(), 0755), 0);
  ASSERT_EQ(::mkfifo(Host("/fifo").c_str(), 0644), 0);
  EXPECT_EQ(CallError(rq::ReadFile("/d", 0, 10)), "EISDIR");
  EXPECT_EQ(CallError(rq::ReadFile("/fifo", 0, 10)), "EINVAL");
  EXPECT_EQ(CallError(rq::ReadFile("/missing", 0, 10)), "ENOENT");
}

TEST_F(FsInspectTest, ReadsNeverLeaveTheSysroot) {
  // The host's /etc/passwd exists; the sysroot has no /etc at all.
  ASSERT_EQ(::access("/etc/passwd", R_OK), 0);
  ASSERT_EQ(::symlink("/etc", Host("/abs").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../etc", Host("/rel").c_str()), 0);
  for (const char* path : {"/abs/passwd", "/rel/passwd", "/../../../../etc/passwd"}) {
    EXPECT_EQ(CallError(rq::ReadFile(path, 0, 100)), "ENOENT") << path;
    EXPECT_EQ(CallError(rq::Lstat(path)), "ENOENT") << path;
    EXPECT_EQ(CallError(rq::ListXattrs(path)), "ENOENT") << path;
    EXPECT_EQ(CallError(rq::Statvfs(path)), "ENOENT") << path;
  }
  ASSERT_EQ(::symlink("/etc/passwd", Host("/pw").c_str()), 0);
  EXPECT_EQ(CallError(rq::ReadFile("/pw", 0, 100)), "ENOENT");
}

}  // namespace
}  // namespace diskferry::daemon::testing
