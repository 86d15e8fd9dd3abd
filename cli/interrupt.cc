#include "cli/interrupt.h"

#include <pthread.h>
#include <unistd.h>

#include <ctime>

#include "appliance/child_registry.h"

namespace diskferry {

InterruptWatch::InterruptWatch(std::function<void(int)> on_first)
    : on_first_(std::move(on_first)) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  thread_ = std::thread([this] { Watch(); });
}

InterruptWatch::~InterruptWatch() {
  done_ = true;
  thread_.join();
  // A signal that came after the run ended is still pending: it ends the program now, as
  // it would have without us.
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

void InterruptWatch::Watch() {
  const timespec tick{0, 100 * 1000 * 1000};
  while (!done_) {
    const int sig = sigtimedwait(&signals_, nullptr, &tick);
    if (sig <= 0) continue;
    if (interrupted_.exchange(true)) {
      // The second one: no more waiting for a clean stop.
      KillRegisteredChildren();
      UnlinkRegisteredFiles();
      _exit(128 + sig);
    }
    if (on_first_) on_first_(sig);
  }
}

}  // namespace diskferry
