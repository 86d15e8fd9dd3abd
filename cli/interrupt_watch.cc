// What an interruption does, on every host (interrupt.h); the hosts' halves deliver them.
#include <cstdlib>

#include "appliance/child_registry.h"
#include "cli/interrupt.h"

namespace diskferry {

void InterruptWatch::Interrupted(int signal) {
  if (interrupted_.exchange(true)) {
    // The second one: no more waiting for a clean stop.
    KillRegisteredChildren();
    UnlinkRegisteredFiles();
    std::_Exit(128 + signal);
  }
  if (on_first_) on_first_(signal);
}

}  // namespace diskferry
