#include "appliance/control_listener.h"

#include <cstdlib>
#include <utility>

#include "appliance/control_listener_endpoint.h"
#include "appliance/tcp_listener.h"
#include "protocol/check.h"

namespace diskferry {
namespace {

class TcpControl : public ControlListener::Endpoint {
 public:
  explicit TcpControl(TcpListener listener) : listener_(std::move(listener)) {}
  Result<int> Accept(std::chrono::milliseconds timeout, std::chrono::milliseconds check_interval,
                     const std::function<Status()>& keep_waiting) override {
    return listener_.Accept(timeout, check_interval, keep_waiting);
  }
  void Close() override { listener_.Close(); }
  void ConnectQemu(QemuCommand* cmd) const override {
    cmd->SerialPortTcp(listener_.port(), kControlPortName);
  }
  std::string Address() const override { return listener_.address(); }

 private:
  TcpListener listener_;
};

}  // namespace

std::string_view ControlTransportName(ControlTransport transport) {
  return transport == ControlTransport::kUnix ? "unix" : "tcp";
}

ControlTransport DefaultControlTransport() {
  return internal::UnixControlUnavailableReason() ? ControlTransport::kTcp
                                                  : ControlTransport::kUnix;
}

Result<ControlTransport> ParseControlTransport(std::string_view env_value) {
  if (env_value.empty()) return DefaultControlTransport();
  if (env_value == "tcp") return ControlTransport::kTcp;
  if (env_value == "unix") {
    if (std::optional<std::string> why = internal::UnixControlUnavailableReason()) {
      return Status(Code::kInvalidArgument,
                    std::string(kControlEnvVar) + "=unix: " + *why + "; use tcp or unset it");
    }
    return ControlTransport::kUnix;
  }
  return Status(Code::kInvalidArgument, std::string(kControlEnvVar) + "=" + std::string(env_value) +
                                            ": expected \"unix\" or \"tcp\"");
}

Result<ControlTransport> ChooseControlTransport() {
  const char* env = std::getenv(kControlEnvVar);
  return ParseControlTransport(env == nullptr ? "" : env);
}

Result<ControlListener> ControlListener::Listen(const std::string& dir) {
  Result<ControlTransport> transport = ChooseControlTransport();
  if (!transport.ok()) return transport.status();
  return Listen(*transport, dir);
}

Result<ControlListener> ControlListener::Listen(ControlTransport transport,
                                                const std::string& dir) {
  if (transport == ControlTransport::kUnix) {
    Result<std::unique_ptr<Endpoint>> unix_end =
        internal::ListenUnixControl(dir + "/" + kControlSocketName);
    if (!unix_end.ok()) return unix_end.status();
    return ControlListener(transport, std::move(*unix_end));
  }
  Result<TcpListener> tcp = TcpListener::Listen();
  if (!tcp.ok()) return tcp.status();
  return ControlListener(transport, std::make_unique<TcpControl>(std::move(*tcp)));
}

ControlListener::ControlListener() = default;
ControlListener::ControlListener(ControlTransport transport, std::unique_ptr<Endpoint> endpoint)
    : transport_(transport), endpoint_(std::move(endpoint)) {}
ControlListener::ControlListener(ControlListener&& other) noexcept = default;
ControlListener& ControlListener::operator=(ControlListener&& other) noexcept {
  if (this == &other) return *this;
  Close();
  transport_ = other.transport_;
  endpoint_ = std::move(other.endpoint_);
  return *this;
}
ControlListener::~ControlListener() = default;

Result<int> ControlListener::Accept(std::chrono::milliseconds timeout,
                                    std::chrono::milliseconds check_interval,
                                    const std::function<Status()>& keep_waiting) {
  if (endpoint_ == nullptr) {
    return Status(Code::kFailedPrecondition, "accept on a closed control listener");
  }
  return endpoint_->Accept(timeout, check_interval, keep_waiting);
}

void ControlListener::Close() {
  if (endpoint_ != nullptr) endpoint_->Close();
  endpoint_.reset();
}

std::string ControlListener::address() const {
  return endpoint_ == nullptr ? std::string() : endpoint_->Address();
}

void ControlListener::ConnectQemu(QemuCommand* cmd) const {
  DF_CHECK(endpoint_ != nullptr);
  endpoint_->ConnectQemu(cmd);
}

}  // namespace diskferry
