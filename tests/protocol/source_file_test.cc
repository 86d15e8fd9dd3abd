// protocol/source_file.h on this host: opening by UTF-8 path, positional reads, holes (Linux)
// or all data (Windows), and the errors each call reports.
#include "protocol/source_file.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

#ifdef _WIN32
constexpr bool kHostReportsHoles = false;
#else
constexpr bool kHostReportsHoles = true;
#endif

std::string Read(int fd, uint64_t offset, uint64_t length, int64_t* result) {
  std::vector<uint8_t> buf(length);
  *result = ReadSourceAt(fd, offset, buf.data(), length);
  return std::string(buf.begin(), buf.begin() + std::max<int64_t>(*result, 0));
}

class SourceFileTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (int& fd : fds_) CloseSourceFd(&fd);
  }
  // `content` in a new file NAME of the scratch directory, opened; -1 (failing) if not.
  int FileWith(const std::string& name, const std::string& content) {
    const std::string path = scratch_.File(name);
    EXPECT_TRUE(WriteWholeFile(path, content)) << path;
    return Keep(OpenSourceFile(path));
  }
  int Keep(int fd) {
    EXPECT_GE(fd, 0) << std::strerror(-fd);
    fds_.push_back(fd);
    return fd;
  }

  ScratchDir scratch_{"df-source-file"};
  std::vector<int> fds_;
};

TEST_F(SourceFileTest, ReadsAtAnyOffsetInAnyOrder) {
  const int fd = FileWith("f", "0123456789");
  int64_t n = 0;
  EXPECT_EQ(Read(fd, 3, 4, &n), "3456");
  EXPECT_EQ(n, 4);
  EXPECT_EQ(Read(fd, 0, 2, &n), "01");
  EXPECT_EQ(Read(fd, 8, 2, &n), "89");
  EXPECT_EQ(Read(fd, 3, 4, &n), "3456");
}

TEST_F(SourceFileTest, ReadPastTheEndIsShortThenEmpty) {
  const int fd = FileWith("f", "abc");
  int64_t n = 0;
  EXPECT_EQ(Read(fd, 1, 100, &n), "bc");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(Read(fd, 3, 10, &n), "");
  EXPECT_EQ(n, 0);
  EXPECT_EQ(Read(fd, uint64_t{1} << 40, 10, &n), "") << "far past the end: EOF, not an error";
  EXPECT_EQ(n, 0);
}

TEST_F(SourceFileTest, ReadsBinaryBytesUnchanged) {
  const std::string bytes("\r\n\x1a\0\n\r\xff", 7);  // what a text-mode descriptor would mangle
  const int fd = FileWith("bin", bytes);
  int64_t n = 0;
  EXPECT_EQ(Read(fd, 0, 7, &n), bytes);
}

TEST_F(SourceFileTest, OpensNonAsciiUtf8Names) {
  const std::string name = "\xc3\xa9t\xc3\xa9-\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb-\xe2\x82\xac";  // été-файл-€
  const int fd = FileWith(name, "x");
  int64_t n = 0;
  EXPECT_EQ(Read(fd, 0, 1, &n), "x");
  bool listed = false;
  for (const auto& entry : std::filesystem::directory_iterator(FsPath(scratch_.path()))) {
    listed |= Utf8Path(entry.path().filename()) == name;
  }
  EXPECT_TRUE(listed) << "the name on disk is the UTF-8 one, not its bytes in a code page";
}

TEST_F(SourceFileTest, MissingFileIsENOENT) {
  EXPECT_EQ(OpenSourceFile(scratch_.File("absent")), -ENOENT);
}

#ifdef _WIN32
TEST_F(SourceFileTest, NameThatIsNotUtf8IsEILSEQOnWindows) {
  EXPECT_EQ(OpenSourceFile(scratch_.File("bad-\xff")), -EILSEQ);
}
#endif

TEST_F(SourceFileTest, DirectoryOpensButReadsAsEISDIR) {
  const int fd = Keep(OpenSourceFile(scratch_.path()));
  uint8_t byte = 0;
  EXPECT_EQ(ReadSourceAt(fd, 0, &byte, 1), -EISDIR);
}

TEST_F(SourceFileTest, ClosedDescriptorReadsAsEBADFAndCloseIsIdempotent) {
  int fd = FileWith("f", "abc");
  const int number = fd;
  CloseSourceFd(&fd);
  EXPECT_EQ(fd, -1);
  CloseSourceFd(&fd);
  EXPECT_EQ(fd, -1);
  uint8_t byte = 0;
  EXPECT_EQ(ReadSourceAt(number, 0, &byte, 1), -EBADF);
  EXPECT_EQ(ReadSourceAt(-1, 0, &byte, 1), -EBADF);
}

TEST_F(SourceFileTest, HolesAreReportedWhereTheHostCanAndAllDataElsewhere) {
  const std::string path = scratch_.File("sparse");
  ASSERT_TRUE(WriteWholeFile(path, ""));
  const uint64_t size = 8 << 20;
  std::filesystem::resize_file(FsPath(path), size);
  ASSERT_TRUE(WriteAt(path, 4 << 20, std::string(4096, 'd')));
  const int fd = Keep(OpenSourceFile(path));
  if (kHostReportsHoles) {
    EXPECT_EQ(NextSourceData(fd, 0, size), 4u << 20);
    EXPECT_GE(NextSourceHole(fd, 4 << 20, size), (4u << 20) + 4096);
    EXPECT_LT(NextSourceHole(fd, 4 << 20, size), size);
  } else {
    EXPECT_EQ(NextSourceData(fd, 0, size), 0u);
    EXPECT_EQ(NextSourceData(fd, 123, size), 123u);
    EXPECT_EQ(NextSourceHole(fd, 0, size), size);
  }
  EXPECT_EQ(NextSourceData(fd, size, size), size) << "nothing at or past the end";
  int64_t n = 0;
  EXPECT_EQ(Read(fd, (4 << 20) - 2, 4, &n), std::string("\0\0dd", 4)) << "holes read as zeros";
}

TEST_F(SourceFileTest, FileOfDataHasNoHoleBeforeItsEnd) {
  const int fd = FileWith("full", std::string(100000, 'x'));
  EXPECT_EQ(NextSourceData(fd, 10, 100000), 10u);
  EXPECT_EQ(NextSourceHole(fd, 10, 100000), 100000u);
}

}  // namespace
}  // namespace diskferry
