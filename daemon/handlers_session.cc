#include "daemon/handlers_session.h"

#include <time.h>

#include <algorithm>
#include <cerrno>

#include "daemon/after_restore.h"
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

namespace {

int64_t RealtimeNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A restored appliance's disks and shared memory are this launch's: find the disks the
// host attached and stamp the new region, as a cold boot did at start.
OpResult<bool> TakeOverRestoredVm(const DaemonContext& ctx, uint32_t disks) {
  if (!ctx.pci_rescan_file.empty()) {
    OpResult<bool> rescanned = RescanPciBus(ctx.pci_rescan_file);
    if (!rescanned.ok()) return rescanned;
  }
  if (!ctx.sys_block_dir.empty()) {
    OpResult<bool> seen = WaitForVirtioDisks(ctx.sys_block_dir, disks, kDiskWaitTimeout);
    if (!seen.ok()) return seen;
  }
  if (ctx.attach_restored_devices) ctx.attach_restored_devices();
  return true;
}

}  // namespace

OpResult<HelloData> HandleHello(const DaemonContext& ctx, const HelloInput& input,
                                HelloSession* session) {
  const auto ours = static_cast<uint32_t>(proto::ProtocolVersion::V0);
  if (input.protocol_version != ours) {
    return OpError{EPROTO, "protocol version mismatch: host " + std::string(input.host_version) +
                               " speaks version " + std::to_string(input.protocol_version) +
                               ", daemon " DISKFERRY_VERSION " speaks version " +
                               std::to_string(ours)};
  }
  if (input.entropy.size() > kMaxHelloEntropyBytes) {
    return OpError{EPROTO, "Hello carries " + std::to_string(input.entropy.size()) +
                               " bytes of entropy, at most " +
                               std::to_string(kMaxHelloEntropyBytes) + " are taken"};
  }
  if (ctx.in_vm && input.host_time_ns > 0) {
    OpResult<bool> set = SetGuestClock(input.host_time_ns);
    if (!set.ok()) LogWarning("%s", set.error().message.c_str());
  }
  if (!ctx.random_device.empty() && !input.entropy.empty()) {
    OpResult<bool> mixed = MixHostEntropy(input.entropy, ctx.random_device);
    if (!mixed.ok()) LogWarning("%s", mixed.error().message.c_str());
  }
  HelloData hello;
  if (session->awaiting_restore) {
    OpResult<bool> taken = TakeOverRestoredVm(ctx, input.disks);
    if (!taken.ok()) return taken.error();
    session->awaiting_restore = false;
    hello.restored = true;
  }
  hello.protocol_version = ours;
  hello.daemon_version = DISKFERRY_VERSION;
  hello.kernel_release = ctx.kernel_release;
  hello.filesystems = ctx.filesystems;
  hello.shm_size = ctx.shm_size;
  hello.boot_ms = static_cast<uint32_t>(std::min<uint64_t>(UptimeMs(), UINT32_MAX));
  hello.launch_secret = ReadLaunchSecret(ctx.launch_secret_path);
  hello.guest_time_ns = RealtimeNs();
  if (input.template_point) session->awaiting_restore = true;
  LogDebug("hello from host %.*s at %u ms (daemon started at %llu ms)%s%s",
           static_cast<int>(input.host_version.size()), input.host_version.data(), hello.boot_ms,
           static_cast<unsigned long long>(ctx.started_ms), hello.restored ? ", restored" : "",
           input.template_point ? ", saving as a template" : "");
  return hello;
}

}  // namespace diskferry::daemon
