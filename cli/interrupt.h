// Ctrl-C for long commands: the first SIGINT, SIGTERM or SIGHUP sets a flag the runner
// polls (it then stops cleanly and keeps its journal); a second one ends diskferry at once,
// killing the appliances first.
//
// Construct it on the main thread before any other thread starts: it blocks those signals
// in the calling thread, so every thread started later inherits the mask and one thread
// of its own takes them with sigtimedwait. Children unblock them (spawn_posix.cc).
#ifndef DISKFERRY_CLI_INTERRUPT_H_
#define DISKFERRY_CLI_INTERRUPT_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace diskferry {

class InterruptWatch {
 public:
  // `on_first` runs on the watch thread after the flag is set (to print a message).
  explicit InterruptWatch(std::function<void(int signal)> on_first);
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  const std::atomic<bool>* flag() const { return &interrupted_; }
  bool interrupted() const { return interrupted_.load(); }

 private:
  void Watch();

  std::function<void(int)> on_first_;
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> done_{false};
  sigset_t signals_;
  sigset_t previous_;
  std::thread thread_;
};

}  // namespace diskferry

#endif  // DISKFERRY_CLI_INTERRUPT_H_
