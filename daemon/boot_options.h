// Options the host passes to the appliance on the kernel command line (/proc/cmdline).
// Words with a dot are module parameters to the kernel, which ignores the unknown
// "diskferry" module, so they reach only us.
//
// Pure; thread-safe.
#ifndef DISKFERRY_DAEMON_BOOT_OPTIONS_H_
#define DISKFERRY_DAEMON_BOOT_OPTIONS_H_

#include <string>
#include <string_view>

#include "daemon/control_port.h"

namespace diskferry::daemon {

struct BootOptions {
  std::string port_name = kDefaultPortName;  // diskferry.port=NAME
  bool debug = false;  // diskferry.debug, diskferry.debug=1 (or y, yes, on, true)
};

// The diskferry.* words of `cmdline`; every other word is ignored, and so is an empty
// diskferry.port=. A later word overrides an earlier one.
BootOptions ParseKernelCmdline(std::string_view cmdline);

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_BOOT_OPTIONS_H_
