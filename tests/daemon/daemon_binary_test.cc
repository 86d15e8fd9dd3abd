// The diskferry-daemon executable in test mode: a child process serving an inherited
// socket against a scratch directory, as the host's fast protocol tests run it.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "protocol/diskferry_generated.h"
#include "protocol/fd_io.h"
#include "protocol/shm_layout.h"

extern char** environ;

namespace diskferry::daemon {
namespace {

// Runs the daemon with `args`, its fd 3 one end of a socketpair; returns the pid and
// sets *our_end.
pid_t SpawnDaemon(const std::vector<std::string>& args, int* our_end) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);
  std::vector<char*> argv;
  std::string binary = DF_DAEMON_BINARY;
  argv.push_back(binary.data());
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  *our_end = fds[0];
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const proto::Response* Roundtrip(int fd, FrameReader* reader, flatbuffers::FlatBufferBuilder* fbb,
                                 std::vector<uint8_t>* frame) {
  EXPECT_TRUE(WriteFrame(fd, {fbb->GetBufferPointer(), fbb->GetSize()}).ok());
  Result<std::vector<uint8_t>> got = ReadFrame(fd, reader, 10000);
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  if (!got.ok()) return nullptr;
  *frame = std::move(got).value();
  Result<const proto::Response*> response = VerifyResponse(*frame);
  return response.ok() ? *response : nullptr;
}

TEST(DaemonBinaryTest, ServesHelloAndShutdownOnInheritedFd) {
  int fd = -1;
  const pid_t pid = SpawnDaemon({"--sysroot", "/tmp", "--fd", "3"}, &fd);
  FrameReader reader;
  std::vector<uint8_t> frame;

  flatbuffers::FlatBufferBuilder hello;
  hello.Finish(proto::CreateRequest(
      hello, 1, proto::Op::Hello,
      proto::CreateHelloRequest(hello, static_cast<uint32_t>(proto::ProtocolVersion::V0))
          .Union()));
  const proto::Response* response = Roundtrip(fd, &reader, &hello, &frame);
  ASSERT_NE(response, nullptr);
  ASSERT_NE(response->reply_as_Hello(), nullptr);
  EXPECT_EQ(response->reply_as_Hello()->daemon_version()->str(), DISKFERRY_VERSION);

  flatbuffers::FlatBufferBuilder shutdown;
  shutdown.Finish(proto::CreateRequest(shutdown, 2, proto::Op::Shutdown,
                                       proto::CreateShutdownRequest(shutdown).Union()));
  response = Roundtrip(fd, &reader, &shutdown, &frame);
  ASSERT_NE(response, nullptr);
  EXPECT_NE(response->reply_as_Shutdown(), nullptr);
  EXPECT_EQ(WaitExit(pid), 0);
  ::close(fd);
}

TEST(DaemonBinaryTest, ExitsCleanlyWhenHostCloses) {
  int fd = -1;
  const pid_t pid = SpawnDaemon({"--sysroot", "/tmp", "--fd", "3"}, &fd);
  ::close(fd);
  EXPECT_EQ(WaitExit(pid), 0);
}

flatbuffers::FlatBufferBuilder HelloBuilder() {
  flatbuffers::FlatBufferBuilder hello;
  hello.Finish(proto::CreateRequest(
      hello, 1, proto::Op::Hello,
      proto::CreateHelloRequest(hello, static_cast<uint32_t>(proto::ProtocolVersion::V0))
          .Union()));
  return hello;
}

// A file of `size` bytes standing for the ivshmem BAR; the caller unlinks it.
std::string MakeShmFile(uint64_t size) {
  char path[] = "/tmp/df-shm-file-XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  ::close(fd);
  return path;
}

TEST(DaemonBinaryTest, ShmFileIsStampedAndReportedInHello) {
  const std::string shm = MakeShmFile(4 << 20);
  int fd = -1;
  const pid_t pid = SpawnDaemon({"--sysroot", "/tmp", "--fd", "3", "--shm-file", shm}, &fd);
  FrameReader reader;
  std::vector<uint8_t> frame;
  flatbuffers::FlatBufferBuilder hello = HelloBuilder();
  const proto::Response* response = Roundtrip(fd, &reader, &hello, &frame);
  ASSERT_NE(response, nullptr);
  ASSERT_NE(response->reply_as_Hello(), nullptr);
  EXPECT_EQ(response->reply_as_Hello()->shm_size(), 4u << 20);
  ::close(fd);
  EXPECT_EQ(WaitExit(pid), 0);
  uint64_t magic = 0;
  const int shm_fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_EQ(::pread(shm_fd, &magic, sizeof magic, 0), static_cast<ssize_t>(sizeof magic));
  ::close(shm_fd);
  EXPECT_EQ(magic, kShmMagic);
  ::unlink(shm.c_str());
}

TEST(DaemonBinaryTest, ShmFileWithoutAValidLayoutIsReportedAsNoShm) {
  const std::string shm = MakeShmFile(3 << 20);  // not a power of two
  int fd = -1;
  const pid_t pid = SpawnDaemon({"--sysroot", "/tmp", "--fd", "3", "--shm-file", shm}, &fd);
  FrameReader reader;
  std::vector<uint8_t> frame;
  flatbuffers::FlatBufferBuilder hello = HelloBuilder();
  const proto::Response* response = Roundtrip(fd, &reader, &hello, &frame);
  ASSERT_NE(response, nullptr);
  ASSERT_NE(response->reply_as_Hello(), nullptr);
  EXPECT_EQ(response->reply_as_Hello()->shm_size(), 0u);
  ::close(fd);
  EXPECT_EQ(WaitExit(pid), 0);
  ::unlink(shm.c_str());
}

TEST(DaemonBinaryTest, BadArgumentsPrintUsageAndExitTwo) {
  int fd = -1;
  const pid_t pid = SpawnDaemon({"--fd", "three"}, &fd);
  EXPECT_EQ(WaitExit(pid), 2);
  ::close(fd);
}

}  // namespace
}  // namespace diskferry::daemon
