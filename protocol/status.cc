#include "protocol/status.h"

#include <cerrno>
#include <cstring>

namespace diskferry {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kIoError: return "I/O error";
    case Code::kProtocolError: return "protocol error";
    case Code::kTimeout: return "timeout";
    case Code::kUnavailable: return "unavailable";
    case Code::kFailedPrecondition: return "failed precondition";
    case Code::kGuestError: return "guest error";
    case Code::kCancelled: return "cancelled";
    case Code::kInternal: return "internal error";
  }
  return "unknown";
}

Status GuestMisbehaved(std::string_view what) {
  std::string m(kMisbehavedPrefix);
  m += what;
  return Status(Code::kProtocolError, std::move(m));
}

std::string_view MessageSummary(std::string_view message) {
  return message.substr(0, message.find('\n'));
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return *this;
  std::string m(prefix);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return message_;
}

Status ErrnoStatus(int err, std::string_view context) {
  Code code = Code::kIoError;
  if (err == ENOENT) code = Code::kNotFound;
  if (err == ETIMEDOUT) code = Code::kTimeout;
  std::string m(context);
  m += ": ";
  m += std::strerror(err);
  return Status(code, std::move(m));
}

}  // namespace diskferry
