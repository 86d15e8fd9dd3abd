// ControlListener: the listening end of an appliance's control channel, which QEMU's
// virtio-serial chardev connects to (`server=off`). Two transports, chosen at run time by
// DISKFERRY_CONTROL:
//   - unix (Linux's default): an AF_UNIX socket, ctl.sock in the appliance's private
//     0700 directory (UnixListener). Nobody else can connect to it.
//   - tcp (the only one on Windows hosts): a loopback TCP port (TcpListener). QEMU for
//     Windows has AF_UNIX chardevs only since 7.2 and wine, where the Windows build is
//     tested, has none; TCP works with every QEMU for Windows. Any local process could
//     race QEMU to the port: the daemon proves itself with the launch's secret in its
//     Hello reply before anything else is sent, and a connection without it is dropped
//     (control_greeting.h; docs/security.md, "Control channel on loopback TCP").
//     On Linux it serves to run the Windows code path, and with a QEMU built without
//     AF_UNIX chardevs.
// The Linux half of the unix transport is control_listener_posix.cc; Windows hosts refuse
// it in qemu-win/control_listener_win.cc.
//
// Move-only; thread-compatible. ChooseControlTransport() reads the environment, which
// must not race with setenv().
#ifndef DISKFERRY_APPLIANCE_CONTROL_LISTENER_H_
#define DISKFERRY_APPLIANCE_CONTROL_LISTENER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "appliance/qemu_command.h"
#include "protocol/status.h"

namespace diskferry {

#if defined(_WIN32)
// Windows hosts have no ivshmem (upstream QEMU builds none there): the socket lane only.
inline constexpr bool kHostHasIvshmem = false;
#else
inline constexpr bool kHostHasIvshmem = true;
#endif

enum class ControlTransport { kUnix, kTcp };

inline constexpr char kControlEnvVar[] = "DISKFERRY_CONTROL";
// The unix transport's socket, inside the directory given to Listen().
inline constexpr char kControlSocketName[] = "ctl.sock";

// "unix" or "tcp", as DISKFERRY_CONTROL spells them.
std::string_view ControlTransportName(ControlTransport transport);

// The transport without DISKFERRY_CONTROL: kUnix on Linux, kTcp on Windows.
ControlTransport DefaultControlTransport();

// Parses a DISKFERRY_CONTROL value: "" gives DefaultControlTransport(), else "unix" or
// "tcp". Errors: kInvalidArgument naming DISKFERRY_CONTROL for any other value, and for
// "unix" on Windows (which has only tcp).
Result<ControlTransport> ParseControlTransport(std::string_view env_value);

// ParseControlTransport(getenv(kControlEnvVar)).
Result<ControlTransport> ChooseControlTransport();

class ControlListener {
 public:
  // One way of listening; defined in control_listener.cc.
  class Endpoint;

  // Listens with ChooseControlTransport()'s transport. `dir` is the appliance's private
  // directory (the unix transport's socket goes there; tcp ignores it).
  // Errors: those of ChooseControlTransport(), UnixListener::Listen(), TcpListener::Listen().
  static Result<ControlListener> Listen(const std::string& dir);
  static Result<ControlListener> Listen(ControlTransport transport, const std::string& dir);

  ControlListener();
  ControlListener(ControlListener&& other) noexcept;
  ControlListener& operator=(ControlListener&& other) noexcept;  // closes what it owned
  ControlListener(const ControlListener&) = delete;
  ControlListener& operator=(const ControlListener&) = delete;
  ~ControlListener();

  // As UnixListener::Accept / TcpListener::Accept: one connection within `timeout`,
  // calling `keep_waiting` every `check_interval`. The caller owns the returned stream
  // socket. Errors: kTimeout, kIoError, what `keep_waiting` returned, and
  // kFailedPrecondition when not listening (default-constructed, moved from or closed).
  Result<int> Accept(std::chrono::milliseconds timeout, std::chrono::milliseconds check_interval,
                     const std::function<Status()>& keep_waiting);

  // Stops listening (the unix transport also unlinks its socket). Idempotent.
  void Close();

  // Points QEMU's control chardev at this listener: SerialPort(path) for unix,
  // SerialPortTcp(port) for tcp, both with kControlPortName. Precondition (DF_CHECK):
  // listening.
  void ConnectQemu(QemuCommand* cmd) const;

  // Where QEMU connects, for messages: the socket path (unix) or "127.0.0.1:PORT" (tcp);
  // "" when not listening.
  std::string address() const;

  bool listening() const { return endpoint_ != nullptr; }
  ControlTransport transport() const { return transport_; }

 private:
  ControlListener(ControlTransport transport, std::unique_ptr<Endpoint> endpoint);

  ControlTransport transport_ = ControlTransport::kUnix;
  std::unique_ptr<Endpoint> endpoint_;  // null: not listening
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CONTROL_LISTENER_H_
