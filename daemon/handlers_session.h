// Session request handlers: the Hello handshake. (Ping and Shutdown carry no logic beyond
// the Dispatcher.)
//
// Stateless; thread-safe.
#ifndef DISKFERRY_DAEMON_HANDLERS_SESSION_H_
#define DISKFERRY_DAEMON_HANDLERS_SESSION_H_

#include <cstdint>
#include <span>
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
  int64_t guest_time_ns = 0;           // CLOCK_REALTIME after the clock was set
  bool restored = false;               // the first Hello after a restore from a template
};

// What the host's HelloRequest asks for (protocol/diskferry.fbs).
struct HelloInput {
  uint32_t protocol_version = 0;
  std::string_view host_version;
  int64_t host_time_ns = 0;
  std::span<const uint8_t> entropy;
  bool template_point = false;
  uint32_t disks = 0;
};

// Hello's state across one connection's requests: whether the VM was saved as a template
// after the last Hello, so that the next one comes from a restored appliance.
struct HelloSession {
  bool awaiting_restore = false;
};

// At most this many bytes of host entropy per Hello.
inline constexpr size_t kMaxHelloEntropyBytes = 64;

// The launch secret in the file at `path` (the fw_cfg entry's sysfs file): its bytes, or
// none (empty) when `path` is empty or the file is missing (a launch without a secret, or
// a kernel without qemu_fw_cfg). A file that cannot be read, is empty or holds more than
// kMaxLaunchSecretBytes gives none too, with a console warning: the host then drops the
// connection on the tcp transport, and says so.
std::vector<uint8_t> ReadLaunchSecret(const std::string& path);

// Checks the host's protocol version against ours (proto::ProtocolVersion::V0) and
// describes this appliance, with the launch secret read now from ctx.launch_secret_path.
// A mismatch is EPROTO naming both versions; more than kMaxHelloEntropyBytes of entropy is
// EPROTO too. In the VM it first sets the clock and mixes in the entropy (after_restore.h;
// a failure is a console warning), and, when `session` awaits a restore, rescans the PCI
// bus, waits for input.disks virtio-blk disks (ETIMEDOUT when they do not come) and
// re-stamps the shared-memory header, the region being this launch's new one. With
// input.template_point, `session` then awaits a restore.
OpResult<HelloData> HandleHello(const DaemonContext& ctx, const HelloInput& input,
                                HelloSession* session);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_HANDLERS_SESSION_H_
