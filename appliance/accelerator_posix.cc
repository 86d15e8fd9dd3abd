// The Linux half of the accelerator probes (accelerator.h): KVM through /dev/kvm.
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "appliance/accelerator.h"

namespace diskferry {

Accelerator HostHypervisor() { return Accelerator::kKvm; }

std::optional<std::string> KvmUnusableReason(const std::string& kvm_device, int* api_version) {
  const int fd = ::open(kvm_device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return "KVM: " + kvm_device + " not present";
    return "KVM: cannot open " + kvm_device + " read-write: " + std::strerror(err);
  }
  const int version = ::ioctl(fd, KVM_GET_API_VERSION, 0);
  ::close(fd);
  if (version < 0) return "KVM: " + kvm_device + " is not a KVM device";
  if (version != KVM_API_VERSION) {
    return "KVM: " + kvm_device + " speaks API version " + std::to_string(version) + ", expected " +
           std::to_string(KVM_API_VERSION);
  }
  *api_version = version;
  return std::nullopt;
}

std::optional<std::string> WhpxUnusableReason() {
  return std::string("WHPX: the Windows Hypervisor Platform exists only on Windows hosts");
}

}  // namespace diskferry
