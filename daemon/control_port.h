// The guest end of the control channel: the virtio-serial port the host named (by default
// org.diskferry.ctl.0), found through sysfs once virtio_console is loaded.
//
// Stateless functions; call them from the init thread.
#ifndef DISKFERRY_DAEMON_CONTROL_PORT_H_
#define DISKFERRY_DAEMON_CONTROL_PORT_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace diskferry::daemon {

inline constexpr char kDefaultPortName[] = "org.diskferry.ctl.0";
inline constexpr char kVirtioPortsDir[] = "/sys/class/virtio-ports";

// The kernel name ("vport0p1") of the port whose `sys_ports_dir`/<vportNpM>/name reads
// `port_name`; nullopt if none does (yet).
std::optional<std::string> FindVirtioPort(const std::string& sys_ports_dir,
                                          std::string_view port_name);

// Waits up to `timeout` for the port to appear in sysfs and for devtmpfs to create its
// /dev node, then opens it O_RDWR. Returns the fd (the caller owns it), or kTimeout
// naming the port and what was missing.
Result<int> OpenControlPort(std::string_view port_name, std::chrono::milliseconds timeout);

// Waits up to `timeout` until the host end of the port is connected and has data (its
// Hello). Until then the port polls as hung up and reads return EOF at once, which Serve
// would take for the host leaving. kTimeout when the host never shows up.
Status WaitForHost(int fd, std::chrono::milliseconds timeout);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_CONTROL_PORT_H_
