// QmpClient: QEMU's machine protocol (QMP) on a Unix socket, as far as building an
// appliance template needs it (template_store.h): the greeting, qmp_capabilities, and
// commands answered by one "return" or "error" line. Asynchronous events that arrive
// between are skipped. Every read is bounded by the caller's deadline. Linux only: QMP is
// reached through the 0700 directory of the appliance being saved.
//
// Move-only; thread-compatible.
#ifndef DISKFERRY_APPLIANCE_QMP_CLIENT_H_
#define DISKFERRY_APPLIANCE_QMP_CLIENT_H_

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "protocol/status.h"

namespace diskferry {

// A QMP reply line longer than this ends the session (kProtocolError).
inline constexpr size_t kMaxQmpLineBytes = 1 << 20;

class QmpClient {
 public:
  // Connects to `socket_path` (retrying while QEMU has not bound it yet), reads the
  // greeting and negotiates capabilities, all before `deadline`. Errors: kTimeout,
  // kIoError, kProtocolError for a peer that does not speak QMP.
  static Result<QmpClient> Connect(const std::string& socket_path,
                                   std::chrono::steady_clock::time_point deadline);

  QmpClient() = default;
  QmpClient(QmpClient&& other) noexcept;
  QmpClient& operator=(QmpClient&& other) noexcept;
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;
  ~QmpClient();

  // Sends {"execute": command, "arguments": arguments} (arguments omitted when null) and
  // returns the "return" member of the reply. A QMP error is kUnavailable with QEMU's
  // description, naming the command.
  Result<nlohmann::json> Execute(const std::string& command, const nlohmann::json& arguments,
                                 std::chrono::steady_clock::time_point deadline);

 private:
  explicit QmpClient(int fd) : fd_(fd) {}
  Result<nlohmann::json> ReadMessage(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_QMP_CLIENT_H_
