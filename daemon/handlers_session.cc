#include "daemon/handlers_session.h"

#include <algorithm>
#include <cerrno>

#include "daemon/log.h"
#include "daemon/sys_files.h"
#include "protocol/diskferry_generated.h"
#include "protocol/launch_secret.h"

namespace diskferry::daemon {

std::vector<uint8_t> ReadLaunchSecret(const std::string& path) {
  if (path.empty()) return {};
  OpResult<std::string> text = ReadSmallFile(path);
  if (!text.ok()) {
    if (text.error().err != ENOENT) LogWarning("launch secret: %s", text.error().message.c_str());
    return {};
  }
  const std::string& secret = text.value();
  if (secret.empty() || secret.size() > kMaxLaunchSecretBytes) {
    LogWarning("launch secret: %s holds %s; sending none", path.c_str(),
               secret.empty() ? "nothing" : "more than the protocol allows");
    return {};
  }
  return std::vector<uint8_t>(secret.begin(), secret.end());
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
