// PID 1 duties: the daemon is /init of the appliance's initramfs (README.md). It mounts
// the pseudo-filesystems, loads the boot modules, finds the control port and the shared
// memory, serves the host, and powers the VM off when the host leaves or asks it to.
//
// PID 1 must never exit (the kernel would panic): every fatal error prints one line
// "diskferry-daemon: FATAL: ..." to the console and powers off.
#ifndef DISKFERRY_DAEMON_INIT_H_
#define DISKFERRY_DAEMON_INIT_H_

namespace diskferry::daemon {

// Runs the appliance: everything above, in order. Never returns. Call only as PID 1.
[[noreturn]] void RunAsInit();

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_INIT_H_
