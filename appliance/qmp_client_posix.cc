#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "appliance/qmp_client.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kConnectRetry(10);

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

}  // namespace

QmpClient::QmpClient(QmpClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

QmpClient& QmpClient::operator=(QmpClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

QmpClient::~QmpClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<QmpClient> QmpClient::Connect(const std::string& socket_path, Clock::time_point deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return Status(Code::kInvalidArgument, "QMP socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  for (;;) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ErrnoStatus(errno, "QMP socket");
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
      QmpClient client(fd);
      Result<nlohmann::json> greeting = client.ReadMessage(deadline);
      if (!greeting.ok()) return greeting.status();
      if (!greeting->is_object() || !greeting->contains("QMP")) {
        return Status(Code::kProtocolError, "QMP socket " + socket_path + " sent no QMP greeting");
      }
      Result<nlohmann::json> caps = client.Execute("qmp_capabilities", nullptr, deadline);
      if (!caps.ok()) return caps.status();
      return client;
    }
    const int err = errno;
    ::close(fd);
    if (err != ENOENT && err != ECONNREFUSED) return ErrnoStatus(err, "connect " + socket_path);
    if (Clock::now() >= deadline) {
      return Status(Code::kTimeout, "QEMU did not open its QMP socket " + socket_path);
    }
    std::this_thread::sleep_for(kConnectRetry);
  }
}

Result<nlohmann::json> QmpClient::Execute(const std::string& command,
                                          const nlohmann::json& arguments,
                                          Clock::time_point deadline) {
  nlohmann::json request = {{"execute", command}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  const std::string line = request.dump() + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "QMP " + command);
    sent += static_cast<size_t>(n);
  }
  for (;;) {
    Result<nlohmann::json> message = ReadMessage(deadline);
    if (!message.ok())
      return Status(message.status().code(), "QMP " + command + ": " + message.status().message());
    if (!message->is_object()) continue;
    if (auto it = message->find("return"); it != message->end()) return *it;
    if (auto it = message->find("error"); it != message->end()) {
      const std::string desc = it->is_object() && it->contains("desc") && (*it)["desc"].is_string()
                                   ? (*it)["desc"].get<std::string>()
                                   : it->dump();
      return Status(Code::kUnavailable, "QMP " + command + ": " + desc);
    }
    // An event ({"event": ...}): not ours.
  }
}

Result<nlohmann::json> QmpClient::ReadMessage(Clock::time_point deadline) {
  for (;;) {
    if (const size_t eol = buffer_.find('\n'); eol != std::string::npos) {
      std::string line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 1);
      nlohmann::json message = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (message.is_discarded()) {
        return Status(Code::kProtocolError, "QEMU sent a QMP line that is not JSON");
      }
      return message;
    }
    if (buffer_.size() > kMaxQmpLineBytes) {
      return Status(Code::kProtocolError, "QEMU sent a QMP line of more than 1 MiB");
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, MillisLeft(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoStatus(errno, "poll QMP");
    if (ready == 0) return Status(Code::kTimeout, "no answer from QEMU's QMP in time");
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "read QMP");
    if (n == 0) return Status(Code::kUnavailable, "QEMU closed its QMP socket");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace diskferry
