#include "daemon/handlers_session.h"

#include <algorithm>
#include <cerrno>

#include "daemon/log.h"
#include "protocol/diskferry_generated.h"

namespace diskferry::daemon {

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
  LogDebug("hello from host %.*s at %u ms (daemon started at %llu ms)",
           static_cast<int>(host_version.size()), host_version.data(), hello.boot_ms,
           static_cast<unsigned long long>(ctx.started_ms));
  return hello;
}

}  // namespace diskferry::daemon
