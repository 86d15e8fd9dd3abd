// Session request handlers: the Hello handshake. (Ping and Shutdown carry no logic beyond
// the Dispatcher.)
//
// Stateless; thread-safe.
#ifndef DISKFERRY_DAEMON_HANDLERS_SESSION_H_
#define DISKFERRY_DAEMON_HANDLERS_SESSION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/daemon_context.h"
#include "daemon/op_result.h"

namespace diskferry::daemon {

struct HelloData {
  uint32_t protocol_version = 0;
  std::string daemon_version;
  std::string kernel_release;
  std::vector<std::string> filesystems;
  uint64_t shm_size = 0;
  uint32_t boot_ms = 0;                // guest uptime now, saturated at UINT32_MAX
  std::vector<uint8_t> launch_secret;  // ReadLaunchSecret(ctx.launch_secret_path)
};

// The launch secret in the file at `path` (the fw_cfg entry's sysfs file): its bytes, or
// none (empty) when `path` is empty or the file is missing (a launch without a secret, or
// a kernel without qemu_fw_cfg). A file that cannot be read, is empty or holds more than
// kMaxLaunchSecretBytes gives none too, with a console warning: the host then drops the
// connection on the tcp transport, and says so.
std::vector<uint8_t> ReadLaunchSecret(const std::string& path);

// Checks the host's protocol version against ours (proto::ProtocolVersion::V0) and
// describes this appliance, with the launch secret read now from ctx.launch_secret_path.
// A mismatch is EPROTO naming both versions.
OpResult<HelloData> HandleHello(const DaemonContext& ctx, uint32_t host_protocol_version,
                                std::string_view host_version);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_HANDLERS_SESSION_H_
