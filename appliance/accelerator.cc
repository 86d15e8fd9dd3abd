#include "appliance/accelerator.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace diskferry {

std::string_view AccelName(Accelerator accel) { return accel == Accelerator::kKvm ? "kvm" : "tcg"; }

std::optional<AccelRequest> ParseAccelRequest(std::string_view text) {
  if (text == "auto") return AccelRequest::kAuto;
  if (text == "kvm") return AccelRequest::kKvm;
  if (text == "tcg") return AccelRequest::kTcg;
  return std::nullopt;
}

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

namespace {

Result<AccelChoice> ProbeKvm(const std::string& kvm_device, bool demanded) {
  int api_version = 0;
  const std::optional<std::string> why_not = KvmUnusableReason(kvm_device, &api_version);
  if (!why_not) {
    return AccelChoice{Accelerator::kKvm, "KVM: " + kvm_device + " usable (API version " +
                                              std::to_string(api_version) + ")"};
  }
  if (demanded) return Status(Code::kUnavailable, "KVM was requested but " + *why_not);
  return AccelChoice{Accelerator::kTcg, "TCG: " + *why_not};
}

}  // namespace

Result<AccelChoice> ChooseAccelerator(AccelRequest requested, std::string_view env_value,
                                      const std::string& kvm_device) {
  std::string origin = "requested";
  if (requested == AccelRequest::kAuto && !env_value.empty()) {
    const std::optional<AccelRequest> from_env = ParseAccelRequest(env_value);
    if (!from_env) {
      return Status(
          Code::kInvalidArgument,
          std::string(kAccelEnvVar) + "=" + std::string(env_value) + ": expected tcg, kvm or auto");
    }
    requested = *from_env;
    origin = std::string("set by ") + kAccelEnvVar;
  }
  switch (requested) {
    case AccelRequest::kTcg:
      return AccelChoice{Accelerator::kTcg, "TCG: " + origin};
    case AccelRequest::kKvm:
      return ProbeKvm(kvm_device, /*demanded=*/true);
    case AccelRequest::kAuto:
      break;
  }
  return ProbeKvm(kvm_device, /*demanded=*/false);
}

Result<AccelChoice> ChooseAccelerator(AccelRequest requested) {
  const char* env = std::getenv(kAccelEnvVar);
  return ChooseAccelerator(requested, env ? env : "", kKvmDevice);
}

}  // namespace diskferry
