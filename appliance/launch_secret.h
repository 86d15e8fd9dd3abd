// LaunchSecret: the per-launch secret the daemon proves itself with on the control channel
// (docs/security.md, "Control channel on loopback TCP"; protocol/launch_secret.h). The
// host draws it from the OS's CSPRNG (getrandom(2) on Linux, BCryptGenRandom on Windows),
// writes it to a new file in the appliance's private directory that only this user can
// read (mode 0600 on Linux; on Windows the ACL inherited from the per-user temporary
// directory), and QEMU reads that file into the fw_cfg entry kLaunchSecretFwCfgName
// (QemuCommand::FirmwareFile). It never appears on a command line or the kernel's.
//
// The Linux half of the OS calls is launch_secret_posix.cc, the Windows half
// qemu-win/launch_secret_win.cc.
//
// A plain value; thread-compatible. The bytes are never printed.
#ifndef DISKFERRY_APPLIANCE_LAUNCH_SECRET_H_
#define DISKFERRY_APPLIANCE_LAUNCH_SECRET_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "protocol/launch_secret.h"
#include "protocol/status.h"

namespace diskferry {

class LaunchSecret {
 public:
  using Bytes = std::array<uint8_t, kLaunchSecretBytes>;

  // kLaunchSecretBytes fresh random bytes. Errors: kIoError naming the OS call.
  static Result<LaunchSecret> Draw();

  explicit LaunchSecret(const Bytes& bytes) : bytes_(bytes) {}

  // Writes the bytes to `path`, a new file (an existing file or link there is an error)
  // readable and writable by this user only. Errors: kIoError naming the path.
  Status WriteTo(const std::string& path) const;

  // True when `echoed` holds exactly these bytes. The time taken depends on the lengths
  // only, never on where the bytes first differ.
  bool Matches(std::span<const uint8_t> echoed) const;

  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

namespace internal {
// Platform halves: fills `out` from the OS's CSPRNG; creates `path` (new, owner-only)
// holding `bytes`. Errors: kIoError naming the call or the path.
Status FillRandom(std::span<uint8_t> out);
Status WritePrivateFile(const std::string& path, std::span<const uint8_t> bytes);
}  // namespace internal

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_LAUNCH_SECRET_H_
