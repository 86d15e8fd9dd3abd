// Whether the host's hypervisor can actually boot an appliance. A hypervisor whose probe
// succeeds (/dev/kvm answers KVM_GET_API_VERSION) may still fail to run a guest: on nested
// cloud hosts QEMU aborts at the first vCPU start ("failed to set MSR 0x10a") or the vCPU
// spins without the guest printing a line. When the accelerator was chosen by probing
// (AccelChoice::probed), the launcher tries the hypervisor once with a short deadline and,
// if the guest never showed a sign of life, records the failure here and boots under TCG
// (appliance.h). A demanded hypervisor (--accel kvm, DISKFERRY_ACCEL=kvm) is never
// replaced: its failure is the error.
//
// A failure is remembered for the process and, where the host has a boot id, in a file in
// the cache directory for the rest of this boot, so later processes go straight to TCG
// instead of paying the trial deadline again. A success is remembered for the process.
//
// Thread-safe: every method takes the object's mutex.
#ifndef DISKFERRY_APPLIANCE_HYPERVISOR_VERDICT_H_
#define DISKFERRY_APPLIANCE_HYPERVISOR_VERDICT_H_

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "appliance/accelerator.h"

namespace diskferry {

// How long a probed hypervisor gets to say hello before the launch falls back to TCG (at
// most half the launch timeout). A working KVM boots the appliance in about a second.
inline constexpr std::chrono::seconds kHypervisorTrialTimeout(20);
inline constexpr char kHypervisorVerdictFile[] = "hypervisor-failed";

class HypervisorVerdicts {
 public:
  // `file`: where failures persist ("" keeps them in memory only). `boot_id`: identifies
  // this boot of the host ("" keeps failures in memory only, as a stale file could
  // otherwise outlive the problem).
  HypervisorVerdicts(std::string file, std::string boot_id);

  // The process-wide instance: DefaultCacheDir()/kHypervisorVerdictFile and the host's
  // boot id (/proc/sys/kernel/random/boot_id; none on Windows).
  // The file holds one line per failure: "<boot id>\t<accel> <qemu binary>\t<reason>";
  // lines of another boot are ignored and dropped at the next write.
  static HypervisorVerdicts& Shared();

  // The recorded reason `accel` cannot boot guests with `qemu_binary`, or std::nullopt.
  std::optional<std::string> KnownFailure(Accelerator accel, const std::string& qemu_binary);
  // True once an appliance booted under `accel` with `qemu_binary` in this process.
  bool Proven(Accelerator accel, const std::string& qemu_binary);

  void RecordSuccess(Accelerator accel, const std::string& qemu_binary);
  // Remembers `reason` (one line) and writes the file. A file that cannot be written only
  // loses the memory across processes: the result is the same, later launches are slower.
  void RecordFailure(Accelerator accel, const std::string& qemu_binary, const std::string& reason);

 private:
  std::string Key(Accelerator accel, const std::string& qemu_binary) const;
  void LoadLocked();

  std::mutex mu_;
  const std::string file_;
  const std::string boot_id_;
  bool loaded_ = false;
  std::set<std::string> proven_;
  std::map<std::string, std::string> failures_;  // Key() -> reason
};

// The host's boot id, or "" where there is none.
std::string HostBootId();

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_HYPERVISOR_VERDICT_H_
