// OpError and OpResult<T>: what a request handler returns. A failure carries an errno value
// (sent to the host as its symbolic name, see protocol/errno_names.h) and a message that
// names the path or device that failed ("/etc/shadowx: No such file or directory").
//
// Handlers never build replies; the Dispatcher turns an OpResult into exactly one Response.
// Plain values; thread-compatible.
#ifndef DISKFERRY_DAEMON_OP_RESULT_H_
#define DISKFERRY_DAEMON_OP_RESULT_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace diskferry::daemon {

struct OpError {
  int err = 0;          // errno value; EPROTO for a malformed request
  std::string message;  // what failed, naming the path or device
};

// "what: strerror(err)" with err kept for the symbolic code.
OpError ErrnoError(int err, std::string_view what);

template <typename T>
class [[nodiscard]] OpResult {
 public:
  OpResult(T value) : v_(std::move(value)) {}       // NOLINT: implicit by design
  OpResult(OpError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const OpError& error() const { return std::get<OpError>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, OpError> v_;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_OP_RESULT_H_
