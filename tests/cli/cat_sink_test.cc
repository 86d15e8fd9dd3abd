// The cat command's sink against a guest that sends more than the one file it asked for.
// Portable: also runs on Windows (under wine).
#include "cli/cat_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#if defined(_WIN32)
#include <io.h>
#else
#include <unistd.h>
#endif

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#ifndef O_BINARY
#define O_BINARY 0
#endif

namespace diskferry {
namespace {

class CatSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("df-cat-sink-" + std::to_string(std::random_device{}()));
    fd_ = ::open(path_.string().c_str(), O_RDWR | O_CREAT | O_TRUNC | O_BINARY, 0600);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  // What the sink wrote through the descriptor (unbuffered, so all of it is in the file).
  std::string Output() {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static Record Stream(std::string_view path, uint64_t id, uint64_t size) {
    Record r;
    r.path = path;
    r.meta.type = RecordType::kStreamFile;
    r.meta.mode = 0100644;
    r.meta.file_id = id;
    r.meta.size = size;
    return r;
  }
  static std::span<const uint8_t> Bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  static void ExpectMisbehaved(const Status& st) {
    EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
    EXPECT_EQ(st.message().rfind(std::string(kMisbehavedPrefix) + "/f: ", 0), 0u) << st.message();
  }

  std::filesystem::path path_;
  int fd_ = -1;
};

TEST_F(CatSinkTest, WritesTheFileWithHolesAsZeros) {
  auto sink = NewCatSink(fd_, "/f");
  ASSERT_TRUE(sink->OnRecord(Stream("f", 1, 6)).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 2, Bytes("ab")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  EXPECT_EQ(Output(), std::string("\0\0ab\0\0", 6));
}

TEST_F(CatSinkTest, RefusesDataForASecondFileInsteadOfUnderflowingAtTheEnd) {
  auto sink = NewCatSink(fd_, "/f");
  ASSERT_TRUE(sink->OnRecord(Stream("f", 1, 4)).ok());
  ASSERT_TRUE(sink->OnRecord(Stream("g", 2, 100)).ok());  // ignored: not the file asked for
  ASSERT_TRUE(sink->OnStreamData(1, 0, Bytes("abcd")).ok());
  ExpectMisbehaved(sink->OnStreamData(2, 4, Bytes("12345678")));
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  EXPECT_EQ(Output(), "abcd");
}

TEST_F(CatSinkTest, RefusesDataBeyondTheAnnouncedSize) {
  auto sink = NewCatSink(fd_, "/f");
  ASSERT_TRUE(sink->OnRecord(Stream("f", 1, 4)).ok());
  ExpectMisbehaved(sink->OnStreamData(1, 2, Bytes("xyz")));
  ExpectMisbehaved(sink->OnStreamData(1, UINT64_MAX, Bytes("x")));
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  EXPECT_EQ(Output(), std::string(4, '\0'));
}

TEST_F(CatSinkTest, RefusesASecondEndAndDataAfterTheEnd) {
  auto sink = NewCatSink(fd_, "/f");
  ASSERT_TRUE(sink->OnRecord(Stream("f", 1, 1)).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  ExpectMisbehaved(sink->OnStreamEnd(1));
  ExpectMisbehaved(sink->OnStreamData(1, 0, Bytes("x")));
  EXPECT_EQ(Output(), std::string(1, '\0'));
}

}  // namespace
}  // namespace diskferry
