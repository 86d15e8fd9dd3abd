// The Windows half of the unix control transport (appliance/control_listener_endpoint.h):
// Windows hosts use loopback TCP only.
#include "appliance/control_listener_endpoint.h"

namespace diskferry::internal {

std::optional<std::string> UnixControlUnavailableReason() {
  return "Windows hosts have only the tcp control channel (AF_UNIX chardevs need QEMU 7.2 "
         "or later, and wine has no AF_UNIX)";
}

Result<std::unique_ptr<ControlListener::Endpoint>> ListenUnixControl(const std::string& path) {
  return Status(Code::kInvalidArgument,
                "unix control socket " + path + ": " + *UnixControlUnavailableReason());
}

}  // namespace diskferry::internal
