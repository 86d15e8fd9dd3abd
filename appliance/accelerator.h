// Choosing the QEMU accelerator: the host's hypervisor when it is usable, else TCG
// (docs/design-notes.md, "Accelerator"). The hypervisor is KVM on Linux (/dev/kvm) and WHPX, the
// Windows Hypervisor Platform, on Windows (WinHvPlatform.dll, present once that Windows
// feature is on). The choice and the reason behind it are reported to the user
// (`diskferry appliance check`, launch errors), so every outcome carries a sentence.
// The probes live in platform halves: accelerator_posix.cc, qemu-win/accelerator_win.cc.
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

enum class Accelerator { kKvm, kTcg, kWhpx };

// What the caller asks for. kAuto probes the host's hypervisor.
enum class AccelRequest { kAuto, kKvm, kTcg, kWhpx };

inline constexpr char kAccelEnvVar[] = "DISKFERRY_ACCEL";
inline constexpr char kKvmDevice[] = "/dev/kvm";

struct AccelChoice {
  Accelerator accel = Accelerator::kTcg;
  // One line for the user, e.g. "TCG: KVM: /dev/kvm not present" or
  // "KVM: /dev/kvm usable (API version 12)".
  std::string reason;
  // True when the host's hypervisor was chosen by probing (kAuto and no DISKFERRY_ACCEL
  // demand): the launcher may then fall back to TCG if it cannot boot a guest
  // (hypervisor_verdict.h).
  bool probed = false;
};

// "kvm", "tcg" or "whpx": the QEMU spelling, also used in messages.
std::string_view AccelName(Accelerator accel);

// Parses "auto", "kvm", "whpx" or "tcg" (the CLI flag and the environment variable).
std::optional<AccelRequest> ParseAccelRequest(std::string_view text);

// The hypervisor kAuto probes on this host: kKvm on Linux, kWhpx on Windows.
Accelerator HostHypervisor();

// Why KVM cannot be used through `kvm_device`, or std::nullopt when it can (the device
// opens O_RDWR and answers KVM_GET_API_VERSION). `api_version` receives the version.
// On Windows always a reason (KVM is Linux's).
std::optional<std::string> KvmUnusableReason(const std::string& kvm_device, int* api_version);

// Why WHPX cannot be used, or std::nullopt when it can (WinHvPlatform.dll loads and
// reports a hypervisor present). On Linux always a reason (WHPX is Windows's).
std::optional<std::string> WhpxUnusableReason();

// Decides the accelerator. Precedence: an explicit `requested` (kKvm/kWhpx/kTcg) wins;
// else a non-empty `env_value` ("auto", "kvm", "whpx", "tcg"); else probing the host's
// hypervisor (`kvm_device` on Linux). Errors: kInvalidArgument for a malformed env_value;
// kUnavailable when a hypervisor is demanded (by `requested` or `env_value`) but
// unusable, with the reason.
Result<AccelChoice> ChooseAccelerator(AccelRequest requested, std::string_view env_value,
                                      const std::string& kvm_device);

// ChooseAccelerator(requested, getenv(kAccelEnvVar), kKvmDevice).
Result<AccelChoice> ChooseAccelerator(AccelRequest requested);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_ACCELERATOR_H_
