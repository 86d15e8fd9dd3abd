// DaemonServeTest fixture: Serve() on a thread over a socketpair, against a scratch
// sysroot built once per suite (ScratchServeTest: an empty one per test, for requests that
// write). The test side speaks the protocol with the helpers here.
#ifndef DISKFERRY_TESTS_DAEMON_SERVE_FIXTURE_H_
#define DISKFERRY_TESTS_DAEMON_SERVE_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "daemon/daemon_context.h"
#include "daemon/serve.h"
#include "protocol/diskferry_generated.h"
#include "protocol/frame.h"

namespace diskferry::daemon::testing {

// Names in the scratch sysroot (see serve_fixture.cc for the whole tree).
inline constexpr int kBigDirEntries = 1500;
inline constexpr int64_t kHelloMtimeNs = 1234567890123456789;

class DaemonServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  static const std::string& sysroot() { return *sysroot_; }

  // Starts Serve over a fresh socketpair against `root` (SetUp does it for sysroot()).
  void StartServer(const std::string& root);
  // Called on ctx_ before Serve starts: tests add shared memory here.
  virtual void ConfigureContext(DaemonContext* ctx) {}

  // A Request whose body `build(fbb)` returns (an Offset<void> of the op's table).
  template <typename Build>
  static flatbuffers::DetachedBuffer BuildRequest(uint64_t id, proto::Op op, Build build) {
    flatbuffers::FlatBufferBuilder fbb;
    const flatbuffers::Offset<void> body = build(fbb);
    fbb.Finish(proto::CreateRequest(fbb, id, op, body));
    return fbb.Release();
  }

  // Request builders: each returns a finished Request buffer.
  static flatbuffers::DetachedBuffer HelloRequest(uint64_t id, uint32_t version);
  static flatbuffers::DetachedBuffer PingRequest(uint64_t id, uint64_t payload);
  static flatbuffers::DetachedBuffer ReadDirRequest(uint64_t id, std::string_view path,
                                                    uint64_t start, uint32_t max_entries);
  static flatbuffers::DetachedBuffer MountRequest(uint64_t id, std::string_view device);
  static flatbuffers::DetachedBuffer ListFilesystemsRequest(uint64_t id);
  static flatbuffers::DetachedBuffer ShutdownRequest(uint64_t id);

  void SendRaw(std::span<const uint8_t> bytes);
  void Send(const flatbuffers::DetachedBuffer& request);
  // Reads and verifies the next Response (fails the test if none arrives within 10 s).
  const proto::Response* Receive();
  const proto::Response* Call(const flatbuffers::DetachedBuffer& request);
  // Sends ReadDir and expects a reply (not an error).
  const proto::ReadDirReply* ReadDir(std::string_view path, uint64_t start = 0,
                                     uint32_t max_entries = 1024);
  // Sends `request` and expects a reply (not an error); null (and a test failure) if not.
  const proto::Response* CallOk(const flatbuffers::DetachedBuffer& request);
  // Sends `request` and returns the error code of its Response ("" when it succeeded).
  std::string CallError(const flatbuffers::DetachedBuffer& request);
  // Entry names of a ReadDir reply, in order.
  static std::vector<std::string> Names(const proto::ReadDirReply* reply);

  // Closes our end and waits for Serve to return; its result.
  Result<ServeEnd> CloseAndJoin();
  // Waits for Serve to return on its own (after Shutdown or a framing error).
  Result<ServeEnd> Join();

  DaemonContext ctx_;

 private:
  static std::string* sysroot_;
  int client_fd_ = -1;
  int server_fd_ = -1;
  std::thread server_;
  std::optional<Result<ServeEnd>> end_;
  FrameReader reader_;
  std::vector<uint8_t> last_frame_;
};

std::string_view View(const flatbuffers::String* s);

// A fresh empty directory; the caller removes it. It lies under the first of $TMPDIR,
// /tmp, /var/tmp, the working directory and /dev/shm whose filesystem takes user xattrs
// (the sample trees carry some: tree_samples.h), so that the tests do not depend on the
// filesystem of the machine's $TMPDIR; under $TMPDIR (or /tmp) when none does.
std::string MakeTempDir(const char* prefix);

// DaemonServeTest with a fresh empty sysroot per test, removed afterwards.
class ScratchServeTest : public DaemonServeTest {
 protected:
  void SetUp() override;
  void TearDown() override;
  const std::string& root() const { return root_; }
  // root() + path.
  std::string Host(std::string_view path) const { return root_ + std::string(path); }

 private:
  std::string root_;
};

}  // namespace diskferry::daemon::testing

#endif  // DISKFERRY_TESTS_DAEMON_SERVE_FIXTURE_H_
