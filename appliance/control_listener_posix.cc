// The Linux half of the unix control transport (control_listener_endpoint.h).
#include <utility>

#include "appliance/control_listener_endpoint.h"
#include "appliance/unix_listener.h"

namespace diskferry::internal {
namespace {

class UnixControl : public ControlListener::Endpoint {
 public:
  explicit UnixControl(UnixListener listener) : listener_(std::move(listener)) {}
  Result<int> Accept(std::chrono::milliseconds timeout, std::chrono::milliseconds check_interval,
                     const std::function<Status()>& keep_waiting) override {
    return listener_.Accept(timeout, check_interval, keep_waiting);
  }
  void Close() override { listener_.Close(); }
  void ConnectQemu(QemuCommand* cmd) const override {
    cmd->SerialPort(listener_.path(), kControlPortName);
  }
  std::string Address() const override { return listener_.path(); }

 private:
  UnixListener listener_;
};

}  // namespace

std::optional<std::string> UnixControlUnavailableReason() { return std::nullopt; }

Result<std::unique_ptr<ControlListener::Endpoint>> ListenUnixControl(const std::string& path) {
  Result<UnixListener> listener = UnixListener::Listen(path);
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<ControlListener::Endpoint>(
      std::make_unique<UnixControl>(std::move(*listener)));
}

}  // namespace diskferry::internal
