// AcceptDaemon: the launch's accept-and-verify step. Accepts QEMU's connection on the
// control listener, sends Hello, and takes the connection only when the reply proves it
// is our daemon's: on the tcp transport (control_listener.h), where any local process can
// connect first, the reply must echo the launch secret (launch_secret.h), compared in
// constant time before anything else is sent. A connection whose reply carries no secret
// or another one is closed, and the wait goes on for the next connection within the
// launch deadline (QEMU's is waiting in the listen queue). The unix transport's socket
// is in a private directory: there the secret is not asked for.
//
// A peer can still make a launch fail (by connecting and never answering, or by breaking
// the protocol: Hello's error ends the launch as any boot failure does); it can never
// take the appliance's place.
//
// Thread-compatible: called by the launching thread.
#ifndef DISKFERRY_APPLIANCE_CONTROL_GREETING_H_
#define DISKFERRY_APPLIANCE_CONTROL_GREETING_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "appliance/control_client.h"
#include "appliance/control_listener.h"
#include "appliance/guest_types.h"
#include "appliance/launch_secret.h"
#include "protocol/status.h"

namespace diskferry {

struct GreetingOptions {
  // The secret QEMU was given, or nullptr when none.
  const LaunchSecret* secret = nullptr;
  // Drop a connection whose Hello does not echo `secret`: the tcp transport.
  bool require_secret = false;
  std::chrono::milliseconds call_timeout = kDefaultCallTimeout;
  // How often a wait for a connection calls keep_waiting (as ControlListener::Accept).
  std::chrono::milliseconds check_interval{50};
  // What is left of the launch deadline; read before each accept and each Hello.
  std::function<std::chrono::milliseconds()> time_left;
  // Called while waiting for a connection; a non-ok Status ends the wait with it.
  std::function<Status()> keep_waiting;
  // What the Hello asks for (a template build, a restored appliance's disks).
  HelloOptions hello;
};

struct DaemonGreeting {
  std::unique_ptr<ControlClient> client;  // open, Hello answered
  HelloInfo hello;
  int dropped = 0;  // connections closed before this one for lacking the secret
};

// "a process other than the appliance connected to the control port ADDRESS; dropped"
std::string DroppedPeerNote(const std::string& address);

// Accepts and greets until a connection passes (see above). Does not close the listener.
// Errors: those of ControlListener::Accept and ControlClient::Hello (the latter with
// context "hello"); when a connection was dropped before, the error ends with
// "; " + DroppedPeerNote(listener's address), once however many were.
// Precondition: require_secret implies secret != nullptr.
Result<DaemonGreeting> AcceptDaemon(ControlListener* listener, const GreetingOptions& options);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_CONTROL_GREETING_H_
