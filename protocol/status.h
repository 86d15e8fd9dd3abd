// Status and Result<T, E = Status>: expected failures as values (docs/style.md, "Errors: three
// tiers").
//
// Shared by host and guest, so it depends on nothing but the standard library.
// Thread-compatible: values, no shared state.
#ifndef DISKFERRY_PROTOCOL_STATUS_H_
#define DISKFERRY_PROTOCOL_STATUS_H_

#include <concepts>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace diskferry {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // the user asked for something malformed
  kNotFound,            // a file, image, kernel or filesystem does not exist
  kIoError,             // a system call failed
  kProtocolError,       // the peer sent a frame we refuse
  kTimeout,             // a wait passed its deadline
  kUnavailable,         // QEMU, KVM or the appliance cannot be used
  kFailedPrecondition,  // the object is in the wrong state for the call
  kGuestError,          // the daemon answered with an error (see message)
  kCancelled,           // interrupted by a signal or by the caller
  kInternal,            // a bug in diskferry
};

std::string_view CodeName(Code code);

class Status;
// How every message about a guest that broke the protocol starts, whichever layer found
// it (docs/security.md); the CLI exits 70 on kProtocolError.
inline constexpr std::string_view kMisbehavedPrefix = "protocol error: the appliance misbehaved: ";
// kProtocolError "<kMisbehavedPrefix><what>".
Status GuestMisbehaved(std::string_view what);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "prefix: message", same code. Used to add the file, line or path that failed.
  Status WithContext(std::string_view prefix) const;
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A message's first line is what a person reads first; the lines after it are details
// (an appliance's QEMU output, console tail and command line) that terminals show with
// --verbose and run reports keep whole. Returns the first line.
std::string_view MessageSummary(std::string_view message);

// Status for a failed system call: "context: strerror(err)", code kIoError
// (kNotFound for ENOENT, kTimeout for ETIMEDOUT).
Status ErrnoStatus(int err, std::string_view context);

// A value or an error: Result<T> for the host's Status, Result<T, E> for another error
// type (the daemon's OpError, daemon/op_result.h). Built implicitly from either; `E` must
// not be built from a `T` or the other way round.
template <typename T, typename E = Status>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::move(error)) {}  // NOLINT: implicit by design; a Status must not be ok

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; a default-constructed E when there is a value (for Status: ok).
  const E& error() const {
    static const E kNoError{};
    return ok() ? kNoError : std::get<E>(v_);
  }
  const Status& status() const requires std::same_as<E, Status> { return error(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> v_;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_STATUS_H_
