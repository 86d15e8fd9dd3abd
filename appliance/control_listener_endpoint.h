// Internal to ControlListener (control_listener.cc and its platform halves): the
// interface both transports implement, and the pieces each host supplies.
//
// Thread-compatible, as ControlListener.
#ifndef DISKFERRY_APPLIANCE_CONTROL_LISTENER_ENDPOINT_H_
#define DISKFERRY_APPLIANCE_CONTROL_LISTENER_ENDPOINT_H_

#include <memory>
#include <optional>
#include <string>

#include "appliance/control_listener.h"

namespace diskferry {

class ControlListener::Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual Result<int> Accept(std::chrono::milliseconds timeout,
                             std::chrono::milliseconds check_interval,
                             const std::function<Status()>& keep_waiting) = 0;
  virtual void Close() = 0;
  virtual void ConnectQemu(QemuCommand* cmd) const = 0;
  virtual std::string Address() const = 0;
};

namespace internal {

// Why this host cannot use the unix transport, or std::nullopt when it can. Linux:
// control_listener_posix.cc; Windows: qemu-win/control_listener_win.cc.
std::optional<std::string> UnixControlUnavailableReason();

// Listens on the AF_UNIX socket `path`. Only called when UnixControlUnavailableReason()
// is nullopt; the Windows half returns kInvalidArgument with that reason.
Result<std::unique_ptr<ControlListener::Endpoint>> ListenUnixControl(const std::string& path);

}  // namespace internal
}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CONTROL_LISTENER_ENDPOINT_H_
