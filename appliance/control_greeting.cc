#include "appliance/control_greeting.h"

#include <utility>

#include "protocol/check.h"

namespace diskferry {
namespace {

Status WithDroppedNote(const Status& why, int dropped, const std::string& address) {
  if (dropped == 0) return why;
  return Status(why.code(), why.message() + "; " + DroppedPeerNote(address));
}

}  // namespace

std::string DroppedPeerNote(const std::string& address) {
  return "a process other than the appliance connected to the control port " + address +
         "; dropped";
}

Result<DaemonGreeting> AcceptDaemon(ControlListener* listener, const GreetingOptions& options) {
  DF_CHECK(!options.require_secret || options.secret != nullptr);
  const std::string address = listener->address();
  DaemonGreeting greeting;
  for (;;) {
    Result<int> fd =
        listener->Accept(options.time_left(), options.check_interval, options.keep_waiting);
    if (!fd.ok()) return WithDroppedNote(fd.status(), greeting.dropped, address);
    auto client = std::make_unique<ControlClient>(*fd, options.call_timeout);
    Result<HelloInfo> hello = client->Hello(options.time_left(), options.hello);
    if (!hello.ok()) {
      return WithDroppedNote(hello.status().WithContext("hello"), greeting.dropped, address);
    }
    if (options.require_secret && !options.secret->Matches(hello->launch_secret)) {
      // Not our daemon: nothing more goes to it.
      client->Close();
      ++greeting.dropped;
      continue;
    }
    greeting.client = std::move(client);
    greeting.hello = std::move(*hello);
    return greeting;
  }
}

}  // namespace diskferry
