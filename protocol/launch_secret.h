// The launch secret: what the daemon proves itself with on the control channel
// (docs/security.md, "Control channel on loopback TCP"). The host draws kLaunchSecretBytes
// random bytes per launch and hands them to QEMU as the fw_cfg file kLaunchSecretFwCfgName
// (from a file only the user can read, never on a command line); the daemon reads them
// from kLaunchSecretSysfsPath (the qemu_fw_cfg module) at each Hello and echoes them in
// HelloReply.launch_secret. A reply carrying more than kMaxLaunchSecretBytes is a
// protocol error on the host.
//
// Constants only; thread-safe.
#ifndef DISKFERRY_PROTOCOL_LAUNCH_SECRET_H_
#define DISKFERRY_PROTOCOL_LAUNCH_SECRET_H_

#include <cstddef>

namespace diskferry {

inline constexpr size_t kLaunchSecretBytes = 32;
inline constexpr size_t kMaxLaunchSecretBytes = 64;
// QEMU wants user-supplied fw_cfg names under "opt/".
inline constexpr char kLaunchSecretFwCfgName[] = "opt/diskferry/secret";
inline constexpr char kLaunchSecretSysfsPath[] =
    "/sys/firmware/qemu_fw_cfg/by_name/opt/diskferry/secret/raw";

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_LAUNCH_SECRET_H_
