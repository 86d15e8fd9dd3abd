// Choosing the QEMU accelerator: KVM when /dev/kvm is usable, else TCG (DESIGN.md,
// "Accelerator"). The choice and the reason behind it are reported to the user
// (`diskferry appliance check`, launch errors), so every outcome carries a sentence.
//
// Thread-safe: pure functions over their arguments and the file system; the variant that
// reads DISKFERRY_ACCEL calls getenv(), which must not race with setenv().
#ifndef DISKFERRY_APPLIANCE_ACCELERATOR_H_
#define DISKFERRY_APPLIANCE_ACCELERATOR_H_

#include <optional>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace diskferry {

enum class Accelerator { kKvm, kTcg };

// What the caller asks for. kAuto probes the device.
enum class AccelRequest { kAuto, kKvm, kTcg };

inline constexpr char kAccelEnvVar[] = "DISKFERRY_ACCEL";
inline constexpr char kKvmDevice[] = "/dev/kvm";

struct AccelChoice {
  Accelerator accel = Accelerator::kTcg;
  // One line for the user, e.g. "TCG: KVM: /dev/kvm not present" or
  // "KVM: /dev/kvm usable (API version 12)".
  std::string reason;
};

// "kvm" or "tcg": the QEMU spelling, also used in messages.
std::string_view AccelName(Accelerator accel);

// Parses "auto", "kvm" or "tcg" (the CLI flag and the environment variable).
std::optional<AccelRequest> ParseAccelRequest(std::string_view text);

// Why KVM cannot be used through `kvm_device`, or std::nullopt when it can (the device
// opens O_RDWR and answers KVM_GET_API_VERSION). `api_version` receives the version.
std::optional<std::string> KvmUnusableReason(const std::string& kvm_device, int* api_version);

// Decides the accelerator. Precedence: an explicit `requested` (kKvm/kTcg) wins; else a
// non-empty `env_value` ("auto", "kvm", "tcg"); else probing `kvm_device`.
// Errors: kInvalidArgument for a malformed env_value; kUnavailable when KVM is demanded
// (by `requested` or `env_value`) but unusable, with the reason.
Result<AccelChoice> ChooseAccelerator(AccelRequest requested, std::string_view env_value,
                                      const std::string& kvm_device);

// ChooseAccelerator(requested, getenv(kAccelEnvVar), kKvmDevice).
Result<AccelChoice> ChooseAccelerator(AccelRequest requested);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_ACCELERATOR_H_
