// sinks/host_file.h on this host: open modes, positioned writes, sizes, unnamed files and
// their holes, directories, renames and removals, UTF-8 names, and the errno of failures.
#include "sinks/host_file.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "protocol/source_file.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

constexpr uint64_t kMiB = 1 << 20;

std::string ReadAll(int fd, uint64_t size) {
  std::string out(size, '?');
  const int64_t n = ReadSourceAt(fd, 0, reinterpret_cast<uint8_t*>(out.data()), size);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

uint64_t SizeOf(int fd) {
  uint64_t size = 0;
  EXPECT_EQ(FileSize(fd, &size), 0);
  return size;
}

// An unnamed file has no name on Linux. Windows drops it at once where NTFS has POSIX
// delete semantics (Windows 10 1709); elsewhere (wine, FAT) a hidden name stays until close.
void ExpectNoNameWhileOpen(const std::string& dir) {
  const std::vector<std::string> names = ListNames(dir);
#ifdef _WIN32
  if (names.empty()) return;
  ASSERT_EQ(names.size(), 1u);
  EXPECT_TRUE(names[0].starts_with(".diskferry-spool-")) << names[0];
#else
  EXPECT_EQ(names, std::vector<std::string>{}) << "no name while open";
#endif
}

class HostFileTest : public ::testing::Test {
 protected:
  // Opens `name` in the scratch directory; -1 (failing) if it cannot.
  UniqueFd Open(const std::string& name, HostOpen how) {
    UniqueFd fd;
    const int err = OpenHostFile(scratch_ / name, how, &fd);
    EXPECT_EQ(err, 0) << name << ": " << std::strerror(err);
    return fd;
  }

  ScratchDir scratch_{"df-host-file"};
};

TEST_F(HostFileTest, TruncateEmptiesAnExistingFileAndCreatesAMissingOne) {
  ASSERT_TRUE(WriteWholeFile(scratch_ / "old", "old content"));
  UniqueFd fd = Open("old", HostOpen::kTruncate);
  EXPECT_EQ(SizeOf(fd.get()), 0u);
  EXPECT_EQ(WriteFileAt(fd.get(), 0, BytesOf("new")), 0);
  EXPECT_EQ(CloseFile(&fd), 0);
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(ReadWholeFile(scratch_ / "old"), "new");
  UniqueFd fresh = Open("fresh", HostOpen::kTruncate);
  EXPECT_EQ(CloseFile(&fresh), 0);
  EXPECT_EQ(ReadWholeFile(scratch_ / "fresh"), "");
}

TEST_F(HostFileTest, UpdateKeepsContentAndWritesLandAtTheirOffsets) {
  ASSERT_TRUE(WriteWholeFile(scratch_ / "f", "abc"));
  UniqueFd fd = Open("f", HostOpen::kUpdate);
  EXPECT_EQ(ReadAll(fd.get(), 3), "abc");
  EXPECT_EQ(WriteFileAt(fd.get(), 5, BytesOf("xy")), 0);
  EXPECT_EQ(WriteFileAt(fd.get(), 1, BytesOf("B")), 0);
  EXPECT_EQ(ReadAll(fd.get(), 100), std::string("aBc\0\0xy", 7));
  EXPECT_EQ(CloseFile(&fd), 0);
  UniqueFd created = Open("created", HostOpen::kUpdate);
  EXPECT_EQ(SizeOf(created.get()), 0u);
}

TEST_F(HostFileTest, LargeWritesReadBackWhole) {
  std::string big(3 * kMiB + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
  UniqueFd fd = Open("big", HostOpen::kUpdate);
  ASSERT_EQ(WriteFileAt(fd.get(), 0, BytesOf(big)), 0);
  EXPECT_EQ(SizeOf(fd.get()), big.size());
  EXPECT_TRUE(ReadAll(fd.get(), big.size()) == big);
  EXPECT_EQ(SyncFile(fd.get()), 0);
}

TEST_F(HostFileTest, ResizeGrowsWithZerosAndShrinks) {
  UniqueFd fd = Open("r", HostOpen::kUpdate);
  ASSERT_EQ(WriteFileAt(fd.get(), 0, BytesOf("abcd")), 0);
  ASSERT_EQ(ResizeFile(fd.get(), kMiB), 0);
  EXPECT_EQ(SizeOf(fd.get()), kMiB);
  EXPECT_EQ(ReadAll(fd.get(), kMiB), "abcd" + std::string(kMiB - 4, '\0'));
  ASSERT_EQ(ResizeFile(fd.get(), 2), 0);
  EXPECT_EQ(ReadAll(fd.get(), 100), "ab");
}

TEST_F(HostFileTest, FailuresAreErrnoValues) {
  UniqueFd fd;
  EXPECT_EQ(OpenHostFile(scratch_ / "missing", HostOpen::kRead, &fd), ENOENT);
  EXPECT_EQ(OpenHostFile(scratch_ / "no-dir/f", HostOpen::kTruncate, &fd), ENOENT);
  EXPECT_FALSE(fd.valid());
  ASSERT_TRUE(WriteWholeFile(scratch_ / "ro", "x"));
  UniqueFd ro = Open("ro", HostOpen::kRead);
  EXPECT_NE(WriteFileAt(ro.get(), 0, BytesOf("y")), 0) << "read-only descriptor";
  EXPECT_EQ(ReadWholeFile(scratch_ / "ro"), "x");
  EXPECT_EQ(WriteFileAt(-1, 0, BytesOf("y")), EBADF);
  EXPECT_EQ(CloseFile(&fd), 0) << "nothing to close";
}

TEST_F(HostFileTest, NoFollowRefusesASymlinkAndLeavesItsTargetAlone) {
  ASSERT_TRUE(WriteWholeFile(scratch_ / "target", "keep"));
  std::error_code ec;
  std::filesystem::create_symlink(FsPath(scratch_ / "target"), FsPath(scratch_ / "link"), ec);
  if (ec) GTEST_SKIP() << "no symlinks here: " << ec.message();
  UniqueFd fd;
  EXPECT_EQ(OpenHostFile(scratch_ / "link", HostOpen::kTruncateNoFollow, &fd), ELOOP);
  EXPECT_EQ(ReadWholeFile(scratch_ / "target"), "keep");
  EXPECT_EQ(OpenHostFile(scratch_ / "link", HostOpen::kTruncate, &fd), 0) << "kTruncate follows";
}

TEST_F(HostFileTest, NoFollowTruncatesARegularFile) {
  ASSERT_TRUE(WriteWholeFile(scratch_ / "plain", "old"));
  UniqueFd fd = Open("plain", HostOpen::kTruncateNoFollow);
  EXPECT_EQ(SizeOf(fd.get()), 0u);
  EXPECT_EQ(WriteFileAt(fd.get(), 0, BytesOf("n")), 0);
  EXPECT_EQ(CloseFile(&fd), 0);
  EXPECT_EQ(ReadWholeFile(scratch_ / "plain"), "n");
}

TEST_F(HostFileTest, UnnamedFileLeavesNothingBehind) {
  UniqueFd fd;
  ASSERT_EQ(CreateUnnamedFile(scratch_.path(), &fd), 0);
  EXPECT_EQ(WriteFileAt(fd.get(), 10, BytesOf("data")), 0);
  EXPECT_EQ(ReadAll(fd.get(), 100), std::string(10, '\0') + "data");
  ExpectNoNameWhileOpen(scratch_.path());
  EXPECT_EQ(CloseFile(&fd), 0);
  EXPECT_EQ(ListNames(scratch_.path()), std::vector<std::string>{});
  EXPECT_EQ(CreateUnnamedFile(scratch_ / "missing", &fd), ENOENT);
}

TEST_F(HostFileTest, DataExtentsSkipHolesWhereTheFilesystemHasThem) {
  UniqueFd fd;
  ASSERT_EQ(CreateUnnamedFile(scratch_.path(), &fd), 0);
  ASSERT_EQ(ResizeFile(fd.get(), 8 * kMiB), 0);
  std::vector<Extent> extents;
  ASSERT_EQ(FileDataExtents(fd.get(), 8 * kMiB, &extents), 0);
  const bool holes = extents.empty();
  if (!holes) {
    EXPECT_EQ(extents, (std::vector<Extent>{{0, 8 * kMiB}})) << "no holes: all data";
  }
  ASSERT_EQ(WriteFileAt(fd.get(), 2 * kMiB, BytesOf("middle")), 0);
  ASSERT_EQ(FileDataExtents(fd.get(), 8 * kMiB, &extents), 0);
  ASSERT_FALSE(extents.empty());
  if (!holes) {
    EXPECT_EQ(extents, (std::vector<Extent>{{0, 8 * kMiB}}));
    return;
  }
  ASSERT_EQ(extents.size(), 1u);
  EXPECT_LE(extents[0].offset, 2 * kMiB);
  EXPECT_GE(extents[0].offset + extents[0].length, 2 * kMiB + 6);
  EXPECT_LT(extents[0].length, kMiB);
}

TEST_F(HostFileTest, DirectoriesAreMadeOnce) {
  EXPECT_EQ(MakeHostDirectory(scratch_ / "d"), 0);
  EXPECT_TRUE(std::filesystem::is_directory(FsPath(scratch_ / "d")));
  EXPECT_EQ(MakeHostDirectory(scratch_ / "d"), EEXIST);
  EXPECT_EQ(MakeHostDirectory(scratch_ / "no-parent/d"), ENOENT);
}

TEST_F(HostFileTest, RenameReplacesAnExistingFile) {
  ASSERT_TRUE(WriteWholeFile(scratch_ / "a", "from a"));
  ASSERT_TRUE(WriteWholeFile(scratch_ / "b", "old b"));
  EXPECT_EQ(RenameHostFile(scratch_ / "a", scratch_ / "b"), 0);
  EXPECT_EQ(ReadWholeFile(scratch_ / "b"), "from a");
  EXPECT_EQ(ListNames(scratch_.path()), std::vector<std::string>{"b"});
  EXPECT_EQ(RenameHostFile(scratch_ / "a", scratch_ / "c"), ENOENT);
}

TEST_F(HostFileTest, RemoveDeletesAFileOnce) {
  ASSERT_TRUE(WriteWholeFile(scratch_ / "gone", "x"));
  EXPECT_EQ(RemoveHostFile(scratch_ / "gone"), 0);
  EXPECT_EQ(RemoveHostFile(scratch_ / "gone"), ENOENT);
  EXPECT_TRUE(ListNames(scratch_.path()).empty());
}

TEST_F(HostFileTest, NamesAreUtf8) {
  const std::string dir = "r\xc3\xa9pertoire";       // répertoire
  const std::string name = dir + "/\xe2\x82\xac-1";  // €-1
  ASSERT_EQ(MakeHostDirectory(scratch_ / dir), 0);
  UniqueFd fd = Open(name, HostOpen::kTruncate);
  ASSERT_EQ(WriteFileAt(fd.get(), 0, BytesOf("euro")), 0);
  ASSERT_EQ(CloseFile(&fd), 0);
  ASSERT_EQ(RenameHostFile(scratch_ / name, scratch_ / (dir + "/\xc3\xbc")), 0);  // ü
  EXPECT_EQ(ListNames(scratch_ / dir), std::vector<std::string>{"\xc3\xbc"});
  EXPECT_EQ(ReadWholeFile(scratch_ / (dir + "/\xc3\xbc")), "euro");
  EXPECT_EQ(RemoveHostFile(scratch_ / (dir + "/\xc3\xbc")), 0);
}

#ifdef _WIN32
TEST_F(HostFileTest, NamesThatAreNotUtf8AreEILSEQOnWindows) {
  UniqueFd fd;
  EXPECT_EQ(OpenHostFile(scratch_ / "bad-\xff", HostOpen::kTruncate, &fd), EILSEQ);
  EXPECT_EQ(MakeHostDirectory(scratch_ / "bad-\xff"), EILSEQ);
  EXPECT_EQ(RemoveHostFile(scratch_ / "bad-\xff"), EILSEQ);
}
#endif

}  // namespace
}  // namespace diskferry
