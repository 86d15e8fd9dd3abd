#include "tests/daemon/serve_fixture.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "protocol/fd_io.h"

namespace diskferry::daemon::testing {
namespace {

void WriteFile(const std::string& path, std::string_view content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);  // umask must not change what the test checks
}

// The scratch sysroot:
//   /hello.txt          "hello\n", mode 0640, mtime kHelloMtimeNs
//   /dir/nested.txt     /empty/
//   /etc/inside-marker  the sysroot's own /etc
//   /new\nline          a name with a newline
//   /big/f0000..f1499   kBigDirEntries empty files
//   /link-to-outside -> /etc/passwd   /link-to-etc -> /etc   /link-up -> ../../..
void BuildTree(const std::string& root) {
  WriteFile(root + "/hello.txt", "hello\n", 0640);
  const timespec times[2] = {{1, 0}, {kHelloMtimeNs / 1000000000, kHelloMtimeNs % 1000000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (root + "/hello.txt").c_str(), times, 0), 0);
  for (const char* dir : {"/dir", "/empty", "/etc", "/big"}) {
    ASSERT_EQ(::mkdir((root + dir).c_str(), 0755), 0);
  }
  WriteFile(root + "/dir/nested.txt", "nested", 0644);
  WriteFile(root + "/etc/inside-marker", "", 0644);
  WriteFile(root + "/new\nline", "", 0644);
  for (int i = 0; i < kBigDirEntries; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "/f%04d", i);
    WriteFile(root + "/big" + name, "", 0644);
  }
  ASSERT_EQ(::symlink("/etc/passwd", (root + "/link-to-outside").c_str()), 0);
  ASSERT_EQ(::symlink("/etc", (root + "/link-to-etc").c_str()), 0);
  ASSERT_EQ(::symlink("../../..", (root + "/link-up").c_str()), 0);
}

}  // namespace

std::string* DaemonServeTest::sysroot_ = nullptr;

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->c_str(), s->size());
}

namespace {

// Whether a new file under `dir` takes a user xattr.
bool TakesUserXattrs(const std::string& dir) {
  std::string probe = dir + "/df-xattr-probe-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) return false;
  const bool takes = ::fsetxattr(fd, "user.df-probe", "1", 1, 0) == 0;
  ::close(fd);
  ::unlink(probe.c_str());
  return takes;
}

// The first scratch base whose filesystem takes user xattrs; decided once per process.
const std::string& ScratchBase() {
  static const std::string* const base = [] {
    const char* tmp = std::getenv("TMPDIR");
    const std::string fallback = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    for (const std::string& dir :
         {fallback, std::string("/tmp"), std::string("/var/tmp"),
          std::filesystem::current_path().string(), std::string("/dev/shm")}) {
      if (TakesUserXattrs(dir)) return new std::string(dir);
    }
    return new std::string(fallback);
  }();
  return *base;
}

}  // namespace

std::string MakeTempDir(const char* prefix) {
  std::string pattern = ScratchBase() + "/" + prefix + "-XXXXXX";
  EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
  return pattern;
}

void DaemonServeTest::SetUpTestSuite() {
  sysroot_ = new std::string(MakeTempDir("df-daemon-test"));
  BuildTree(*sysroot_);
}

void DaemonServeTest::TearDownTestSuite() {
  std::filesystem::remove_all(*sysroot_);
  delete sysroot_;
  sysroot_ = nullptr;
}

void DaemonServeTest::SetUp() { StartServer(sysroot()); }

void DaemonServeTest::StartServer(const std::string& root) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  client_fd_ = fds[0];
  server_fd_ = fds[1];
  ctx_ = MakeTestContext(root);
  ConfigureContext(&ctx_);
  server_ = std::thread([this] { end_.emplace(Serve(server_fd_, ctx_)); });
}

void ScratchServeTest::SetUp() {
  root_ = MakeTempDir("df-daemon-scratch");
  StartServer(root_);
}

void ScratchServeTest::TearDown() {
  DaemonServeTest::TearDown();
  std::filesystem::remove_all(root_);
}

void DaemonServeTest::TearDown() {
  if (server_.joinable()) (void)CloseAndJoin();
  if (server_fd_ >= 0) ::close(server_fd_);
}

Result<ServeEnd> DaemonServeTest::CloseAndJoin() {
  ::close(client_fd_);
  client_fd_ = -1;
  return Join();
}

Result<ServeEnd> DaemonServeTest::Join() {
  server_.join();
  return *end_;
}

flatbuffers::DetachedBuffer DaemonServeTest::HelloRequest(uint64_t id, uint32_t version) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto hello = proto::CreateHelloRequest(fbb, version, fbb.CreateString("test-host"));
  fbb.Finish(proto::CreateRequest(fbb, id, proto::Op::Hello, hello.Union()));
  return fbb.Release();
}

flatbuffers::DetachedBuffer DaemonServeTest::PingRequest(uint64_t id, uint64_t payload) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto ping = proto::CreatePingRequest(fbb, payload);
  fbb.Finish(proto::CreateRequest(fbb, id, proto::Op::Ping, ping.Union()));
  return fbb.Release();
}

flatbuffers::DetachedBuffer DaemonServeTest::ReadDirRequest(uint64_t id, std::string_view path,
                                                            uint64_t start,
                                                            uint32_t max_entries) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto read_dir = proto::CreateReadDirRequest(
      fbb, fbb.CreateString(path.data(), path.size()), start, max_entries);
  fbb.Finish(proto::CreateRequest(fbb, id, proto::Op::ReadDir, read_dir.Union()));
  return fbb.Release();
}

flatbuffers::DetachedBuffer DaemonServeTest::MountRequest(uint64_t id, std::string_view device) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto mount = proto::CreateMountRequest(
      fbb, fbb.CreateString(device.data(), device.size()), false, fbb.CreateString(""));
  fbb.Finish(proto::CreateRequest(fbb, id, proto::Op::Mount, mount.Union()));
  return fbb.Release();
}

flatbuffers::DetachedBuffer DaemonServeTest::ListFilesystemsRequest(uint64_t id) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto list = proto::CreateListFilesystemsRequest(fbb);
  fbb.Finish(proto::CreateRequest(fbb, id, proto::Op::ListFilesystems, list.Union()));
  return fbb.Release();
}

flatbuffers::DetachedBuffer DaemonServeTest::ShutdownRequest(uint64_t id) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto shutdown = proto::CreateShutdownRequest(fbb);
  fbb.Finish(proto::CreateRequest(fbb, id, proto::Op::Shutdown, shutdown.Union()));
  return fbb.Release();
}

void DaemonServeTest::SendRaw(std::span<const uint8_t> bytes) {
  ASSERT_TRUE(WriteAll(client_fd_, bytes).ok());
}

void DaemonServeTest::Send(const flatbuffers::DetachedBuffer& request) {
  ASSERT_TRUE(WriteFrame(client_fd_, {request.data(), request.size()}).ok());
}

const proto::Response* DaemonServeTest::Receive() {
  Result<std::vector<uint8_t>> frame = ReadFrame(client_fd_, &reader_, 10000);
  EXPECT_TRUE(frame.ok()) << frame.status().ToString();
  if (!frame.ok()) return nullptr;
  last_frame_ = std::move(frame).value();
  Result<const proto::Response*> response = VerifyResponse(last_frame_);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  return response.ok() ? *response : nullptr;
}

const proto::Response* DaemonServeTest::Call(const flatbuffers::DetachedBuffer& request) {
  Send(request);
  return Receive();
}

const proto::ReadDirReply* DaemonServeTest::ReadDir(std::string_view path, uint64_t start,
                                                    uint32_t max_entries) {
  const proto::Response* response = Call(ReadDirRequest(7, path, start, max_entries));
  if (response == nullptr) return nullptr;
  EXPECT_EQ(response->error(), nullptr)
      << path << ": " << View(response->error()->code()) << " "
      << View(response->error()->message());
  return response->reply_as_ReadDir();
}

const proto::Response* DaemonServeTest::CallOk(const flatbuffers::DetachedBuffer& request) {
  const proto::Response* response = Call(request);
  if (response == nullptr) return nullptr;
  if (response->error() != nullptr) {
    ADD_FAILURE() << View(response->error()->code()) << " " << View(response->error()->message());
    return nullptr;
  }
  return response;
}

std::string DaemonServeTest::CallError(const flatbuffers::DetachedBuffer& request) {
  const proto::Response* response = Call(request);
  if (response == nullptr || response->error() == nullptr) return "";
  return std::string(View(response->error()->code()));
}

std::vector<std::string> DaemonServeTest::Names(const proto::ReadDirReply* reply) {
  std::vector<std::string> names;
  if (reply == nullptr || reply->entries() == nullptr) return names;
  for (const proto::DirEntry* entry : *reply->entries()) names.emplace_back(View(entry->name()));
  return names;
}

}  // namespace diskferry::daemon::testing
