// diskferry-daemon: /init of the appliance (PID 1 mode), or a server on an inherited fd
// against a scratch directory (test mode). See README.md.
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/daemon_context.h"
#include "daemon/init.h"
#include "daemon/log.h"
#include "daemon/serve.h"
#include "daemon/shm.h"

namespace diskferry::daemon {
namespace {

constexpr char kUsage[] =
    "usage: diskferry-daemon --sysroot DIR --fd N [--shm-file PATH] [--debug]\n"
    "  Serves the diskferry control protocol on inherited fd N against directory DIR\n"
    "  (test mode: no mounts). --shm-file maps PATH as the shared-memory region, as the\n"
    "  appliance maps the ivshmem BAR. As PID 1 it runs the appliance instead.\n";

struct TestModeArgs {
  std::string sysroot;
  std::string shm_file;
  int fd = -1;
  bool debug = false;
};

std::optional<int> ParseFd(std::string_view text) {
  int fd = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (ec != std::errc() || end != text.data() + text.size() || fd < 0) return std::nullopt;
  return fd;
}

std::optional<TestModeArgs> ParseArgs(int argc, char** argv) {
  TestModeArgs args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--sysroot" && has_value) {
      args.sysroot = argv[++i];
    } else if (arg == "--fd" && has_value) {
      const std::optional<int> fd = ParseFd(argv[++i]);
      if (!fd) return std::nullopt;
      args.fd = *fd;
    } else if (arg == "--shm-file" && has_value) {
      args.shm_file = argv[++i];
    } else if (arg == "--debug") {
      args.debug = true;
    } else {
      return std::nullopt;
    }
  }
  if (args.sysroot.empty() || args.fd < 0) return std::nullopt;
  return args;
}

int RunTestMode(const TestModeArgs& args) {
  // A host that closes its socket mid-reply must end Serve with an error, not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  SetDebugLogging(args.debug);
  DaemonContext ctx = MakeTestContext(args.sysroot);
  std::optional<ShmRegion> shm;
  if (!args.shm_file.empty()) {
    OpResult<ShmRegion> region = ShmRegion::Map(args.shm_file);
    if (!region.ok()) {
      LogInfo("error: %s", region.error().message.c_str());
      return 2;
    }
    shm = std::move(region).value();
    AttachShm(&*shm, &ctx);
  }
  Result<ServeEnd> end = Serve(args.fd, ctx);
  if (!end.ok()) {
    LogInfo("error: %s", end.status().message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace diskferry::daemon

int main(int argc, char** argv) {
  using namespace diskferry::daemon;
  if (::getpid() == 1) RunAsInit();
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("diskferry-daemon %s\n", DISKFERRY_VERSION);
    return 0;
  }
  const std::optional<TestModeArgs> args = ParseArgs(argc, argv);
  if (!args) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  return RunTestMode(*args);
}
