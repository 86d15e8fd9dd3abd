// host/host_path.h: UTF-8 paths to std::filesystem and back, and resolving paths
// written in manifests against their base directory, on this host.
#include "host/host_path.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

TEST(HostPathTest, Utf8RoundTripsThroughFilesystemPaths) {
  const std::string name = "dir/\xc3\xa9t\xc3\xa9/\xe2\x82\xac.img";  // dir/été/€.img
  Result<std::filesystem::path> p = HostFsPath(name);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Utf8Of(*p), name);
  EXPECT_EQ(Utf8Of(p->filename()), "\xe2\x82\xac.img");
}

#ifdef _WIN32
TEST(HostPathTest, BytesThatAreNotUtf8AreRefusedOnWindows) {
  Result<std::filesystem::path> p = HostFsPath("bad-\xff.img");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(p.status().message(), "bad-\xff.img: not valid UTF-8");
  EXPECT_EQ(ResolveHostPath("base", "bad-\xff"), "base/bad-\xff") << "left for the open to report";
}
#else
TEST(HostPathTest, BytesThatAreNotUtf8PassUnchangedOnLinux) {
  Result<std::filesystem::path> p = HostFsPath("bad-\xff.img");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->native(), "bad-\xff.img");
  EXPECT_EQ(ResolveHostPath("base", "bad-\xff"), "base/bad-\xff");
}
#endif

TEST(HostPathTest, RelativePathsResolveAgainstTheBaseWithSlashes) {
  EXPECT_EQ(ResolveHostPath("dir", "a.img"), "dir/a.img");
  EXPECT_EQ(ResolveHostPath("/base/dir", "../x/./a.img"), "/base/x/a.img");
  EXPECT_EQ(ResolveHostPath("dir", "sub/a.img"), "dir/sub/a.img");
}

TEST(HostPathTest, RootedPathsAndAnEmptyBaseStayAsWritten) {
  EXPECT_EQ(ResolveHostPath("dir", "/abs/./a.img"), "/abs/./a.img");
  EXPECT_EQ(ResolveHostPath("", "rel/../a.img"), "rel/../a.img");
}

#ifdef _WIN32
TEST(HostPathTest, WindowsDrivePathsAndBackslashesAreUnderstood) {
  EXPECT_EQ(ResolveHostPath("C:/base", "D:\\vm\\web01.qcow2"), "D:\\vm\\web01.qcow2");
  EXPECT_EQ(ResolveHostPath("C:/base", "\\\\server\\share\\a.img"), "\\\\server\\share\\a.img");
  EXPECT_EQ(ResolveHostPath("C:/base", "\\on-this-drive.img"), "\\on-this-drive.img");
  EXPECT_EQ(ResolveHostPath("C:\\base\\dir", "..\\a.img"), "C:/base/a.img");
  EXPECT_EQ(HostParentPath("C:\\m\\manifest.yaml"), "C:/m");
}
#endif

TEST(HostPathTest, ParentPathIsTheDirectoryPart) {
  EXPECT_EQ(HostParentPath("dir/m.yaml"), "dir");
  EXPECT_EQ(HostParentPath("/m.yaml"), "/");
  EXPECT_EQ(HostParentPath("m.yaml"), "");
}

}  // namespace
}  // namespace diskferry
