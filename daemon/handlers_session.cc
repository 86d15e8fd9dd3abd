#include "daemon/handlers_session.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/log.h"
#include "daemon/scoped_fd.h"
#include "protocol/diskferry_generated.h"
#include "protocol/launch_secret.h"

namespace diskferry::daemon {

std::vector<uint8_t> ReadLaunchSecret(const std::string& path) {
  if (path.empty()) return {};
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno != ENOENT) LogWarning("launch secret: %s: %s", path.c_str(), std::strerror(errno));
    return {};
  }
  // One byte more than allowed, to tell a file at the limit from a longer one.
  std::vector<uint8_t> secret(kMaxLaunchSecretBytes + 1);
  size_t got = 0;
  while (got < secret.size()) {
    const ssize_t n = ::read(fd.get(), secret.data() + got, secret.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      LogWarning("launch secret: %s: %s", path.c_str(), std::strerror(errno));
      return {};
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == 0 || got > kMaxLaunchSecretBytes) {
    LogWarning("launch secret: %s holds %s; sending none", path.c_str(),
               got == 0 ? "nothing" : "more than the protocol allows");
    return {};
  }
  secret.resize(got);
  return secret;
}

OpResult<HelloData> HandleHello(const DaemonContext& ctx, uint32_t host_protocol_version,
                                std::string_view host_version) {
  const auto ours = static_cast<uint32_t>(proto::ProtocolVersion::V0);
  if (host_protocol_version != ours) {
    return OpError{EPROTO, "protocol version mismatch: host " + std::string(host_version) +
                               " speaks version " + std::to_string(host_protocol_version) +
                               ", daemon " DISKFERRY_VERSION " speaks version " +
                               std::to_string(ours)};
  }
  HelloData hello;
  hello.protocol_version = ours;
  hello.daemon_version = DISKFERRY_VERSION;
  hello.kernel_release = ctx.kernel_release;
  hello.filesystems = ctx.filesystems;
  hello.shm_size = ctx.shm_size;
  hello.boot_ms = static_cast<uint32_t>(std::min<uint64_t>(UptimeMs(), UINT32_MAX));
  hello.launch_secret = ReadLaunchSecret(ctx.launch_secret_path);
  LogDebug("hello from host %.*s at %u ms (daemon started at %llu ms)",
           static_cast<int>(host_version.size()), host_version.data(), hello.boot_ms,
           static_cast<unsigned long long>(ctx.started_ms));
  return hello;
}

}  // namespace diskferry::daemon
