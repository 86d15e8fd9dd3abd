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

#include "protocol/status.h"

namespace diskferry::daemon {

struct OpError {
  int err = 0;          // errno value; EPROTO for a malformed request
  std::string message;  // what failed, naming the path or device
};

// "what: strerror(err)" with err kept for the symbolic code.
OpError ErrnoError(int err, std::string_view what);

// protocol/status.h's Result over OpError: error() is the failure, value() the answer.
template <typename T>
using OpResult = Result<T, OpError>;

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_OP_RESULT_H_
