// Ctrl-C for long commands: the first interruption sets a flag the runner polls (it then
// stops cleanly and keeps its journal); a second one ends diskferry at once, killing the
// appliances first. The exit status is then 128 + the signal number (130 for Ctrl-C).
//
// Linux (interrupt.cc): SIGINT, SIGTERM and SIGHUP. Construct it on the main thread
// before any other thread starts: it blocks those signals in the calling thread, so every
// thread started later inherits the mask and one thread of its own takes them with
// sigtimedwait. Children unblock them (spawn_posix.cc).
// Windows (qemu-win/interrupt_win.cc): a console control handler. Ctrl-C and Ctrl-Break
// count as SIGINT; closing the console, logoff and shutdown as SIGTERM, and since Windows
// ends the process soon after those, they kill the appliances at once. At most one
// InterruptWatch exists at a time there.
#ifndef DISKFERRY_CLI_INTERRUPT_H_
#define DISKFERRY_CLI_INTERRUPT_H_

#include <atomic>
#include <functional>
#include <memory>

namespace diskferry {

class InterruptWatch {
 public:
  // `on_first` runs on a thread of the watch after the flag is set (to print a message).
  explicit InterruptWatch(std::function<void(int signal)> on_first);
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  const std::atomic<bool>* flag() const { return &interrupted_; }
  bool interrupted() const { return interrupted_.load(); }

 private:
  struct Platform;  // the host's half: interrupt.cc, qemu-win/interrupt_win.cc

  // Called by the host's half for each interruption: the first sets the flag and calls
  // on_first_; a second kills the registered children and exits with 128 + signal.
  void Interrupted(int signal);

  std::function<void(int)> on_first_;
  std::atomic<bool> interrupted_{false};
  std::unique_ptr<Platform> platform_;
};

}  // namespace diskferry

#endif  // DISKFERRY_CLI_INTERRUPT_H_
