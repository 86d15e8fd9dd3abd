// The Linux half of ewf.h: finding the helpers, starting nbdkit and waiting for its socket.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "appliance/ewf.h"
#include "protocol/printable_text.h"

namespace diskferry {
namespace {

constexpr char kBuildHint[] =
    "; diskferry was built without E01 support: install libewf-dev and nbdkit-plugin-dev "
    "and rebuild";

// One attempt to connect to `path`: true once nbdkit listens there.
bool Accepts(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string ReadLog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// nbdkit prefixes its messages with "nbdkit: diskferry-ewf[1]: error: "; the rest is the
// plugin's line, which names the image already.
std::string NbdkitMessage(const std::string& log) {
  std::string line = LastLine(log);
  if (const size_t at = line.find("error: ");
      line.starts_with("nbdkit: ") && at != std::string::npos) {
    line.erase(0, at + 7);
  }
  return line;
}

}  // namespace

Status EwfSupported() { return Status(); }

Result<std::string> FindEwfHelper(std::string_view name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return ErrnoStatus(ec.value(), "/proc/self/exe");
  const auto dir = self.parent_path();
  for (const auto& candidate : {dir / name, dir / "../lib/diskferry" / name}) {
    if (::access(candidate.c_str(), R_OK) == 0) return candidate.lexically_normal().string();
  }
  return Status(Code::kNotFound, std::string(name) + " not found next to " + self.string() +
                                     " or in ../lib/diskferry" + kBuildHint);
}

Result<EwfServer> EwfServer::Start(const std::string& image, const std::string& socket_path,
                                   const std::string& log_path, std::chrono::milliseconds timeout) {
  if (socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status(Code::kInvalidArgument,
                  socket_path + ": too long for a unix socket; set TMPDIR to a shorter path");
  }
  auto plugin = FindEwfHelper(kEwfPlugin);
  if (!plugin.ok()) return plugin.status();
  const std::string absolute = std::filesystem::absolute(std::filesystem::path(image)).string();
  auto proc = Process::Spawn(
      SpawnOptions{EwfServerArgv(*plugin, absolute, socket_path), OutputMode::kFile, log_path});
  if (!proc.ok()) {
    if (proc.status().code() == Code::kNotFound) {
      return Status(Code::kNotFound,
                    image +
                        ": format ewf needs nbdkit, which is not installed (Debian: "
                        "apt-get install nbdkit)");
    }
    return proc.status().WithContext(image + ": nbdkit");
  }
  // nbdkit opens the image (config_complete) before it listens: the socket answering
  // means the image opened; nbdkit exiting means it did not, and its log says why.
  // Connecting is the only readiness signal nbdkit gives a --foreground server; the
  // first attempts come quickly, later ones every 20 ms, all within `timeout`.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int attempt = 0;; ++attempt) {
    if (Accepts(socket_path)) return EwfServer(std::move(*proc), socket_path);
    auto exited = proc->TryWait();
    if (!exited.ok()) return exited.status();
    if (exited->has_value()) {
      std::string why = NbdkitMessage(ReadLog(log_path));
      if (why.empty()) why = "nbdkit " + (*exited)->ToString();
      if (why.starts_with(absolute))
        return Status(Code::kIoError, image + why.substr(absolute.size()));
      return Status(Code::kIoError, image + ": cannot be served: " + why);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(Code::kTimeout, image + ": nbdkit did not listen on " + socket_path +
                                        " within " + std::to_string(timeout.count()) + " ms");
    }
    ::poll(nullptr, 0, attempt < 20 ? 2 : 20);
  }
}

}  // namespace diskferry
