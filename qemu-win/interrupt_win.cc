// The Windows half of cli/interrupt.h: a console control handler. The system runs it on a
// thread of its own for each event; Ctrl-C and Ctrl-Break go through
// InterruptWatch::Interrupted like SIGINT on Linux. Closing the console, logoff and
// shutdown end the process shortly after the handler returns, whatever it does, so for
// those the appliances are killed at once and the default handling goes on.
#include <windows.h>

#include <csignal>
#include <mutex>

#include "appliance/child_registry.h"
#include "cli/interrupt.h"

namespace diskferry {

struct InterruptWatch::Platform {
  static BOOL WINAPI OnConsoleEvent(DWORD event);

  // The watch the handler serves; the mutex keeps the destructor from finishing while
  // the handler uses it.
  static std::mutex mu;
  static InterruptWatch* active;
};

std::mutex InterruptWatch::Platform::mu;
InterruptWatch* InterruptWatch::Platform::active = nullptr;

BOOL WINAPI InterruptWatch::Platform::OnConsoleEvent(DWORD event) {
  std::lock_guard<std::mutex> lock(mu);
  if (active == nullptr) return FALSE;
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      active->Interrupted(SIGINT);
      return TRUE;
    default:
      KillRegisteredChildren();
      UnlinkRegisteredFiles();
      return FALSE;
  }
}

InterruptWatch::InterruptWatch(std::function<void(int)> on_first)
    : on_first_(std::move(on_first)), platform_(std::make_unique<Platform>()) {
  {
    std::lock_guard<std::mutex> lock(Platform::mu);
    Platform::active = this;
  }
  // Added last, so it runs before the child registry's own handler.
  ::SetConsoleCtrlHandler(Platform::OnConsoleEvent, TRUE);
}

InterruptWatch::~InterruptWatch() {
  ::SetConsoleCtrlHandler(Platform::OnConsoleEvent, FALSE);
  std::lock_guard<std::mutex> lock(Platform::mu);
  if (Platform::active == this) Platform::active = nullptr;
}

}  // namespace diskferry
