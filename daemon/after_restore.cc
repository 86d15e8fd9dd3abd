#include "daemon/after_restore.h"

#include <fcntl.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "daemon/scoped_fd.h"
#include "daemon/sys_files.h"

namespace diskferry::daemon {
namespace {

constexpr std::chrono::milliseconds kDiskPollInterval(5);

bool IsVirtioDiskName(const std::string& name) {
  if (name.size() < 3 || name.compare(0, 2, "vd") != 0) return false;
  for (size_t i = 2; i < name.size(); ++i) {
    if (name[i] < 'a' || name[i] > 'z') return false;
  }
  return true;
}

}  // namespace

OpResult<bool> SetGuestClock(int64_t realtime_ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(realtime_ns / 1000000000);
  ts.tv_nsec = static_cast<long>(realtime_ns % 1000000000);
  if (::clock_settime(CLOCK_REALTIME, &ts) != 0) return ErrnoError(errno, "set the clock");
  return true;
}

OpResult<bool> MixHostEntropy(std::span<const uint8_t> bytes, const std::string& random_device) {
  ScopedFd fd(::open(random_device.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, random_device);
  // struct rand_pool_info ends in a flexible array: one buffer holds the header and bytes.
  std::vector<uint8_t> buffer(sizeof(rand_pool_info) + bytes.size());
  auto* info = reinterpret_cast<rand_pool_info*>(buffer.data());
  info->entropy_count = static_cast<int>(bytes.size() * 8);
  info->buf_size = static_cast<int>(bytes.size());
  std::memcpy(buffer.data() + sizeof(rand_pool_info), bytes.data(), bytes.size());
  if (::ioctl(fd.get(), RNDADDENTROPY, info) != 0) {
    return ErrnoError(errno, "add entropy through " + random_device);
  }
  if (::ioctl(fd.get(), RNDRESEEDCRNG) != 0) return ErrnoError(errno, "reseed the CRNG");
  return true;
}

namespace {

OpResult<bool> WriteOne(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, path);
  if (::write(fd.get(), "1", 1) != 1) return ErrnoError(errno, "write " + path);
  return true;
}

}  // namespace

OpResult<bool> RescanPciBus(const std::string& rescan_file) { return WriteOne(rescan_file); }

OpResult<bool> EnablePciDevice(const std::string& device_dir) {
  return WriteOne(device_dir + "/enable");
}

int CountVirtioDisks(const std::string& sys_block_dir) {
  int count = 0;
  for (const std::string& name : ListDirectory(sys_block_dir)) count += IsVirtioDiskName(name);
  return count;
}

OpResult<bool> WaitForVirtioDisks(const std::string& sys_block_dir, uint32_t disks,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const int seen = CountVirtioDisks(sys_block_dir);
    if (seen >= 0 && static_cast<uint32_t>(seen) >= disks) return true;
    if (std::chrono::steady_clock::now() >= deadline) {
      return OpError{ETIMEDOUT, "the host attached " + std::to_string(disks) +
                                    " disks, the appliance sees " + std::to_string(seen) +
                                    " after " + std::to_string(timeout.count()) + " ms"};
    }
    std::this_thread::sleep_for(kDiskPollInterval);
  }
}

}  // namespace diskferry::daemon
