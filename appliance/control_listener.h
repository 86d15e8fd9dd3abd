// ControlListener: the listening end of an appliance's control channel, which QEMU's
// virtio-serial chardev connects to (`server=off`), chosen per host:
//   - Linux: an AF_UNIX socket in the appliance's private 0700 directory (UnixListener);
//   - Windows: a loopback TCP port (TcpListener). QEMU for Windows has AF_UNIX chardevs
//     only since 7.2 and wine, where the Windows build is tested, has none; TCP works with
//     every QEMU for Windows. Any local process could race QEMU to the port: the daemon's
//     Hello reply is checked (protocol version, shared-memory stamp) before anything else
//     is sent, and docs/windows.md says so.
// Both have the same shape: move-only, Accept(timeout, check_interval, keep_waiting),
// Close(). Thread-compatible.
#ifndef DISKFERRY_APPLIANCE_CONTROL_LISTENER_H_
#define DISKFERRY_APPLIANCE_CONTROL_LISTENER_H_

#if defined(_WIN32)
#include "appliance/tcp_listener.h"
#else
#include "appliance/unix_listener.h"
#endif

namespace diskferry {

#if defined(_WIN32)
using ControlListener = TcpListener;
// Windows hosts have no ivshmem (upstream QEMU builds none there): the socket lane only.
inline constexpr bool kHostHasIvshmem = false;
#else
using ControlListener = UnixListener;
inline constexpr bool kHostHasIvshmem = true;
#endif

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CONTROL_LISTENER_H_
