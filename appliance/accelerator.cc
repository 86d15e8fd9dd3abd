#include "appliance/accelerator.h"

#include <cstdlib>

namespace diskferry {

std::string_view AccelName(Accelerator accel) {
  switch (accel) {
    case Accelerator::kKvm:
      return "kvm";
    case Accelerator::kWhpx:
      return "whpx";
    case Accelerator::kTcg:
      break;
  }
  return "tcg";
}

std::optional<AccelRequest> ParseAccelRequest(std::string_view text) {
  if (text == "auto") return AccelRequest::kAuto;
  if (text == "kvm") return AccelRequest::kKvm;
  if (text == "tcg") return AccelRequest::kTcg;
  if (text == "whpx") return AccelRequest::kWhpx;
  return std::nullopt;
}

namespace {

Result<AccelChoice> ProbeKvm(const std::string& kvm_device, bool demanded) {
  int api_version = 0;
  const std::optional<std::string> why_not = KvmUnusableReason(kvm_device, &api_version);
  if (!why_not) {
    return AccelChoice{Accelerator::kKvm,
                       "KVM: " + kvm_device + " usable (API version " +
                           std::to_string(api_version) + ")",
                       !demanded};
  }
  if (demanded) return Status(Code::kUnavailable, "KVM was requested but " + *why_not);
  return AccelChoice{Accelerator::kTcg, "TCG: " + *why_not, true};
}

Result<AccelChoice> ProbeWhpx(bool demanded) {
  const std::optional<std::string> why_not = WhpxUnusableReason();
  if (!why_not) {
    return AccelChoice{Accelerator::kWhpx, "WHPX: Windows Hypervisor Platform usable", !demanded};
  }
  if (demanded) return Status(Code::kUnavailable, "WHPX was requested but " + *why_not);
  return AccelChoice{Accelerator::kTcg, "TCG: " + *why_not, true};
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
          std::string(kAccelEnvVar) + "=" + std::string(env_value) + ": expected tcg, kvm, whpx or auto");
    }
    requested = *from_env;
    origin = std::string("set by ") + kAccelEnvVar;
  }
  switch (requested) {
    case AccelRequest::kTcg:
      return AccelChoice{Accelerator::kTcg, "TCG: " + origin};
    case AccelRequest::kKvm:
      return ProbeKvm(kvm_device, /*demanded=*/true);
    case AccelRequest::kWhpx:
      return ProbeWhpx(/*demanded=*/true);
    case AccelRequest::kAuto:
      break;
  }
  if (HostHypervisor() == Accelerator::kWhpx) return ProbeWhpx(/*demanded=*/false);
  return ProbeKvm(kvm_device, /*demanded=*/false);
}

Result<AccelChoice> ChooseAccelerator(AccelRequest requested) {
  const char* env = std::getenv(kAccelEnvVar);
  return ChooseAccelerator(requested, env ? env : "", kKvmDevice);
}

}  // namespace diskferry
