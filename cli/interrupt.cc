// The Linux half of interrupt.h: SIGINT, SIGTERM and SIGHUP, taken by one thread with
// sigtimedwait while every other thread blocks them.
#include "cli/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <thread>

namespace diskferry {

struct InterruptWatch::Platform {
  sigset_t signals;
  sigset_t previous;
  std::atomic<bool> done{false};
  std::thread thread;
};

InterruptWatch::InterruptWatch(std::function<void(int)> on_first)
    : on_first_(std::move(on_first)), platform_(std::make_unique<Platform>()) {
  Platform& p = *platform_;
  sigemptyset(&p.signals);
  sigaddset(&p.signals, SIGINT);
  sigaddset(&p.signals, SIGTERM);
  sigaddset(&p.signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &p.signals, &p.previous);
  p.thread = std::thread([this] {
    const timespec tick{0, 100 * 1000 * 1000};
    while (!platform_->done) {
      const int sig = sigtimedwait(&platform_->signals, nullptr, &tick);
      if (sig > 0) Interrupted(sig);
    }
  });
}

InterruptWatch::~InterruptWatch() {
  platform_->done = true;
  platform_->thread.join();
  // A signal that came after the run ended is still pending: it ends the program now, as
  // it would have without us.
  pthread_sigmask(SIG_SETMASK, &platform_->previous, nullptr);
}

}  // namespace diskferry
