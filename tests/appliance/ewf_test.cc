// appliance/ewf.h: the diskferry-ewf answer parser, hash comparison, and nbdkit with the
// libewf plugin against E01 files made by ewfacquire (ewf-tools), on the host only.
#include "appliance/ewf.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "appliance/image_session.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

const std::string kMd5(32, 'a');
const std::string kSha1(40, 'b');
const std::string kSha256(64, 'c');

TEST(EwfToolOutputTest, AWellFormedAnswerGivesSizeAndHashes) {
  auto media = ParseEwfToolOutput(
      "x.E01", R"({"media_size":16777216,"stored":{"md5":")" + kMd5 + R"(","sha1":")" + kSha1 +
                   R"("},"computed":{"md5":")" + kMd5 + R"(","sha256":")" + kSha256 + R"("}})");
  ASSERT_TRUE(media.ok()) << media.status().ToString();
  EXPECT_EQ(media->media_size, 16777216u);
  EXPECT_EQ(media->stored.at("sha1"), kSha1);
  EXPECT_EQ(media->computed.at("sha256"), kSha256);
}

TEST(EwfToolOutputTest, EachMalformedAnswerIsRefusedNamingTheImage) {
  const std::string bad[] = {
      "",
      "[]",
      R"({"stored":{}})",                                                        // no size
      R"({"media_size":-1})",                                                    // negative
      R"({"media_size":"12"})",                                                  // a string
      R"({"media_size":1,"stored":{"md5":"abc"}})",                              // short digest
      R"({"media_size":1,"stored":{"md5":")" + std::string(32, 'A') + R"("}})",  // upper case
      R"({"media_size":1,"stored":{"crc":")" + kMd5 + R"("}})",                  // unknown
      R"({"media_size":1,"stored":[]})",
  };
  for (const std::string& json : bad) {
    auto media = ParseEwfToolOutput("x.E01", json);
    ASSERT_FALSE(media.ok()) << json;
    EXPECT_EQ(media.status().code(), Code::kIoError) << json;
    EXPECT_EQ(media.status().message().rfind("x.E01: unexpected answer from diskferry-ewf", 0), 0u)
        << media.status().message();
  }
}

TEST(EwfHashesTest, OnlyHashesBothStoredAndComputedAreCompared) {
  EwfMedia media;
  media.stored = {{"md5", kMd5}, {"sha1", kSha1}};
  media.computed = {{"md5", kMd5}, {"sha1", std::string(40, 'e')}, {"sha256", kSha256}};
  const auto checks = CompareEwfHashes(media);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "md5");
  EXPECT_TRUE(checks[0].matches());
  EXPECT_EQ(checks[1].name, "sha1");
  EXPECT_FALSE(checks[1].matches());
  media.stored.clear();
  EXPECT_TRUE(CompareEwfHashes(media).empty());
}

TEST(EwfHashesTest, TheLastLineIsEscaped) {
  EXPECT_EQ(LastLine("first\nnbdkit: error: bad\x1b[2J\n\n"), "nbdkit: error: bad\\x1b[2J");
  EXPECT_EQ(LastLine(""), "");
}

TEST(EwfDiskTest, AnE01WithBackingFilesIsRefused) {
  ScratchDir dir("ewf-disk");
  std::ofstream(dir.path() + "/a.E01") << "x";
  auto chain = ResolveDisk({dir.path() + "/a.E01", kEwfFormat, {{dir.path() + "/a.E01", "raw"}}});
  ASSERT_FALSE(chain.ok());
  EXPECT_NE(chain.status().message().find("an E01 image has no backing files"), std::string::npos);
  chain = ResolveDisk({dir.path() + "/a.E01", kEwfFormat, {}});
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(chain->image.format, kEwfFormat);
}

// Real images: ewfacquire from a raw file of known bytes.
class EwfServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string bytes;
    for (int i = 0; i < 3 << 20; ++i) bytes += static_cast<char>(i * 7 + (i >> 9));
    std::ofstream(Path("raw.img"), std::ios::binary) << bytes;
    const std::string cmd = "cd '" + dir_.path() +
                            "' && ewfacquire -u -q -t ev -c none -S 1MiB raw.img >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string Md5sum(const std::string& name) const {
    const std::string cmd = "md5sum '" + Path(name) + "' > '" + Path("md5") + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::string hex;
    std::ifstream(Path("md5")) >> hex;
    return hex;
  }

  ScratchDir dir_{"ewf-server"};
};

TEST_F(EwfServerTest, InfoGivesTheMediaSizeAndTheStoredMd5OfTheSource) {
  auto media = ReadEwfMedia(Path("ev.E01"));
  ASSERT_TRUE(media.ok()) << media.status().ToString();
  EXPECT_EQ(media->media_size, 3u << 20);
  EXPECT_EQ(media->stored.at("md5"), Md5sum("raw.img"));
  EXPECT_TRUE(media->computed.empty());
}

// A connection to `path`: -1 when nothing listens there.
int Connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return fd;
  ::close(fd);
  return -1;
}

TEST_F(EwfServerTest, AServerListensOnceStartReturnsAndStopsWithItsObject) {
  {
    auto server = EwfServer::Start(Path("ev.E01"), Path("s.sock"), Path("s.log"));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    const int fd = Connect(server->socket_path());
    ASSERT_GE(fd, 0);
    char magic[8];
    EXPECT_EQ(::read(fd, magic, 8), 8);  // the NBD greeting
    EXPECT_EQ(std::string(magic, 8), "NBDMAGIC");
    ::close(fd);
  }
  // ~Process killed and reaped nbdkit: nothing answers on the socket any more.
  const int fd = Connect(Path("s.sock"));
  EXPECT_LT(fd, 0) << "nbdkit outlived its EwfServer";
  if (fd >= 0) ::close(fd);
}

TEST_F(EwfServerTest, ANonEwfFileFailsToStartInOneLineNamingIt) {
  auto server = EwfServer::Start(Path("raw.img"), Path("s.sock"), Path("s.log"));
  ASSERT_FALSE(server.ok());
  const std::string m = server.status().message();
  EXPECT_EQ(m.rfind(Path("raw.img") + ": ", 0), 0u) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST_F(EwfServerTest, AMissingSegmentFailsInfoInOneLineNamingTheImage) {
  ASSERT_EQ(::unlink(Path("ev.E02").c_str()), 0);
  auto media = ReadEwfMedia(Path("ev.E01"));
  ASSERT_FALSE(media.ok());
  const std::string m = media.status().message();
  EXPECT_EQ(m.rfind(Path("ev.E01") + ": ", 0), 0u) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace
}  // namespace diskferry
