// Test-only stand-in for qemu-system-x86_64 on the tcp control transport, so that
// Appliance::Launch runs its real code path without a VM (launch_secret_test.cc). It reads
// what the launcher put on its command line: the control port (`-chardev
// socket,...,host=127.0.0.1,port=N`) and the launch secret's file (`-fw_cfg
// name=opt/diskferry/secret,file=PATH`). First it plays another local process: it
// connects, answers Hello without a secret and waits to be dropped. Then, unless
// FAKE_QEMU_ONLY_IMPOSTOR is set (it exits 3 instead), it plays QEMU and the daemon:
// connects, answers Hello with the file's bytes and, as daemon_version, the file's mode
// ("mode 600"), and exits 0 on the next request (Shutdown) or when the host closes.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/control_stream.h"
#include "protocol/diskferry_generated.h"
#include "protocol/fd_io.h"
#include "protocol/frame.h"
#include "protocol/launch_secret.h"
#include "tests/appliance/tcp_listener_test_client.h"

namespace diskferry {
namespace {

// The value of `key=` in a QEMU option list ("a=1,key=v,,w,b=2" -> "v,w").
std::optional<std::string> OptionValue(std::string_view list, std::string_view key) {
  std::string value;
  size_t i = 0;
  while (i < list.size()) {
    std::string item;
    for (; i < list.size(); ++i) {
      if (list[i] == ',' && i + 1 < list.size() && list[i + 1] == ',') {
        item += ',';
        ++i;
      } else if (list[i] == ',') {
        ++i;
        break;
      } else {
        item += list[i];
      }
    }
    if (item.starts_with(std::string(key) + "=")) return item.substr(key.size() + 1);
  }
  return std::nullopt;
}

// Answers one Hello on `fd` with `version` and `secret` (none when empty).
bool AnswerHello(int fd, FrameReader* reader, const std::string& version,
                 const std::vector<uint8_t>& secret) {
  Result<std::vector<uint8_t>> body = ReadFrame(fd, reader, 30000);
  if (!body.ok()) return false;
  Result<const proto::Request*> req = VerifyRequest(*body);
  if (!req.ok() || (*req)->op_type() != proto::Op::Hello) return false;
  flatbuffers::FlatBufferBuilder fbb;
  const auto reply = proto::CreateHelloReplyDirect(
      fbb, static_cast<uint32_t>(proto::ProtocolVersion::V0), version.c_str(), "6.1.0-fake",
      nullptr, 0, 0, secret.empty() ? nullptr : &secret);
  fbb.Finish(proto::CreateResponse(fbb, (*req)->id(), 0, proto::Reply::Hello, reply.Union()));
  return WriteFrame(fd, {fbb.GetBufferPointer(), fbb.GetSize()}).ok();
}

int Run(int argc, char** argv) {
  int port = 0;
  std::string secret_path;
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string_view opt = argv[i];
    if (opt == "-chardev") {
      if (auto p = OptionValue(argv[i + 1], "port")) port = std::atoi(p->c_str());
    } else if (opt == "-fw_cfg" &&
               OptionValue(argv[i + 1], "name") == std::string(kLaunchSecretFwCfgName)) {
      secret_path = OptionValue(argv[i + 1], "file").value_or("");
    }
  }
  if (port == 0 || secret_path.empty()) return 2;

  Result<int> impostor = testing::ConnectLoopback(port);
  if (!impostor.ok()) return 2;
  FrameReader impostor_reader;
  if (!AnswerHello(*impostor, &impostor_reader, "impostor", {})) return 2;
  // Dropped: the host closes without sending anything else.
  if (ReadFrame(*impostor, &impostor_reader, 30000).ok()) return 2;
  CloseStream(*impostor);
  if (std::getenv("FAKE_QEMU_ONLY_IMPOSTOR") != nullptr) return 3;

  std::ifstream in(secret_path, std::ios::binary);
  const std::vector<uint8_t> secret{std::istreambuf_iterator<char>(in), {}};
  struct stat st {};
  if (::stat(secret_path.c_str(), &st) != 0) return 2;
  char mode[16];
  std::snprintf(mode, sizeof mode, "mode %o", static_cast<unsigned>(st.st_mode & 07777));
  Result<int> daemon = testing::ConnectLoopback(port);
  if (!daemon.ok()) return 2;
  FrameReader reader;
  if (!AnswerHello(*daemon, &reader, mode, secret)) return 2;
  (void)ReadFrame(*daemon, &reader, 30000);
  CloseStream(*daemon);
  return 0;
}

}  // namespace
}  // namespace diskferry

int main(int argc, char** argv) { return diskferry::Run(argc, argv); }
