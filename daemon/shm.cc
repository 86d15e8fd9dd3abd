#include "daemon/shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "daemon/log.h"
#include "daemon/sys_files.h"

namespace diskferry::daemon {

std::optional<std::string> FindIvshmemBar(const std::string& pci_devices_dir) {
  for (const std::string& address : ListDirectory(pci_devices_dir)) {
    const std::string dir = pci_devices_dir + "/" + address;
    const std::optional<std::string> vendor = ReadFirstLine(dir + "/vendor");
    const std::optional<std::string> device = ReadFirstLine(dir + "/device");
    if (!vendor || !device) continue;
    if (ParseSysfsNumber(*vendor) == kIvshmemVendor &&
        ParseSysfsNumber(*device) == kIvshmemDevice) {
      return dir + "/resource2";
    }
  }
  return std::nullopt;
}

ShmRegion::ShmRegion(ShmRegion&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}

ShmRegion& ShmRegion::operator=(ShmRegion&& other) noexcept {
  if (this != &other) {
    Reset();
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

ShmRegion::~ShmRegion() { Reset(); }

void ShmRegion::Reset() {
  if (addr_ != nullptr) ::munmap(addr_, size_);
  addr_ = nullptr;
  size_ = 0;
}

OpResult<ShmRegion> ShmRegion::Map(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(err, path);
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < kShmHeaderSize) {
    ::close(fd);
    return OpError{EINVAL, path + ": " + std::to_string(size) +
                               " bytes is too small for the shared-memory header"};
  }
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping keeps the BAR referenced
  if (addr == MAP_FAILED) return ErrnoError(err, path);
  return ShmRegion(addr, size);
}

std::optional<ShmLayout> ShmRegion::StampHeader() {
  const std::optional<ShmLayout> layout = ComputeShmLayout(size_);
  ShmHeader* h = header();
  h->version = kShmLayoutVersion;
  h->reserved0 = 0;
  h->region_size = size_;
  h->layout = layout.value_or(ShmLayout{});
  h->guest_heartbeat.store(0, std::memory_order_relaxed);
  std::atomic_ref<uint64_t>(h->magic).store(kShmMagic, std::memory_order_release);
  return layout;
}

void AttachShm(ShmRegion* region, DaemonContext* ctx) {
  const std::optional<ShmLayout> layout = region->StampHeader();
  if (!layout) {
    LogWarning("shared memory of %llu bytes has no valid lane layout; not using it",
               static_cast<unsigned long long>(region->size()));
    return;
  }
  ctx->shm_size = region->size();
  ctx->shm_base = region->data();
  ctx->shm_layout = layout;
}

Heartbeat::Heartbeat(ShmHeader* header, std::chrono::milliseconds interval)
    : thread_([header, interval](std::stop_token stop) {
        std::mutex mu;
        std::condition_variable_any cv;
        std::unique_lock lock(mu);
        for (;;) {
          // Wakes at the interval or as soon as a stop is requested, whichever is first.
          cv.wait_for(lock, stop, interval, [] { return false; });
          if (stop.stop_requested()) return;
          header->guest_heartbeat.fetch_add(1, std::memory_order_relaxed);
        }
      }) {}

Heartbeat::~Heartbeat() {
  thread_.request_stop();
  thread_.join();
}

}  // namespace diskferry::daemon
