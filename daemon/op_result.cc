#include "daemon/op_result.h"

#include <cstring>

namespace diskferry::daemon {

OpError ErrnoError(int err, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return OpError{err, std::move(message)};
}

}  // namespace diskferry::daemon
