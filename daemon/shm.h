// The guest end of the ivshmem shared-memory region: find the device, map its BAR2, stamp
// the header (protocol/shm_layout.h) and keep the heartbeat ticking.
//
// ShmRegion is a move-only owner of one mapping (thread-compatible). Heartbeat runs its
// own thread; construct and destroy it from one thread.
#ifndef DISKFERRY_DAEMON_SHM_H_
#define DISKFERRY_DAEMON_SHM_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "daemon/daemon_context.h"
#include "daemon/op_result.h"
#include "protocol/shm_layout.h"

namespace diskferry::daemon {

inline constexpr char kPciDevicesDir[] = "/sys/bus/pci/devices";
inline constexpr uint32_t kIvshmemVendor = 0x1af4;
inline constexpr uint32_t kIvshmemDevice = 0x1110;

// "<dir>/<address>/resource2" of the first PCI device under `pci_devices_dir` whose
// vendor and device are ivshmem's; nullopt when there is none.
std::optional<std::string> FindIvshmemBar(const std::string& pci_devices_dir);

class ShmRegion {
 public:
  ShmRegion() = default;
  ShmRegion(ShmRegion&& other) noexcept;
  ShmRegion& operator=(ShmRegion&& other) noexcept;
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;
  ~ShmRegion();

  // Maps all of `path` (sysfs resource2, or a plain file in tests) shared and writable.
  // Its size is st_size, which must hold at least kShmHeaderSize. Errors name the path.
  static OpResult<ShmRegion> Map(const std::string& path);

  bool mapped() const { return addr_ != nullptr; }
  uint8_t* data() const { return static_cast<uint8_t*>(addr_); }
  uint64_t size() const { return size_; }
  ShmHeader* header() const { return static_cast<ShmHeader*>(addr_); }

  // Writes version, region_size, the lane layout (ComputeShmLayout(size()), all zero when
  // the size gives none) and a zero heartbeat, then the magic with release order, so a
  // host that sees the magic sees the rest. Returns the layout; nullopt means the lanes
  // cannot be used and the daemon reports no shm (shm_size 0).
  std::optional<ShmLayout> StampHeader();

 private:
  ShmRegion(void* addr, uint64_t size) : addr_(addr), size_(size) {}
  void Reset();

  void* addr_ = nullptr;
  uint64_t size_ = 0;
};

// Stamps `region`'s header and records it in `ctx`: shm_base and shm_layout, and shm_size
// (Hello's) only when the size gives a valid lane layout; otherwise a console warning and
// shm_size 0, so the host uses the socket lane. `region` must outlive the serving.
void AttachShm(ShmRegion* region, DaemonContext* ctx);

// Increments header->guest_heartbeat every `interval` on its own thread until destroyed.
// `header` must stay mapped for the Heartbeat's lifetime.
class Heartbeat {
 public:
  Heartbeat(ShmHeader* header, std::chrono::milliseconds interval);
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;
  ~Heartbeat();  // stops and joins the thread (within one tick's wake-up)

 private:
  std::jthread thread_;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_SHM_H_
