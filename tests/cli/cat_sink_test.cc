// The cat command's sink against a guest that sends more than the one file it asked for.
#include "cli/cat_sink.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

namespace diskferry {
namespace {

class CatSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(fd_, 0); }
  void TearDown() override { close(fd_); }
  std::string Output() {
    std::string out(static_cast<size_t>(lseek(fd_, 0, SEEK_END)), '\0');
    EXPECT_EQ(pread(fd_, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
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
    EXPECT_EQ(st.message().rfind("the appliance misbehaved: /f: ", 0), 0u) << st.message();
  }

  int fd_ = memfd_create("cat-output", 0);
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
