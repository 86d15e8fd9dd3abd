#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "appliance/control_stream.h"

namespace diskferry {
namespace {

sigset_t SigpipeSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  return set;
}

bool SigpipePending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

}  // namespace

void CloseStream(int fd) {
  if (fd >= 0) ::close(fd);
}

bool StreamPeerGone(int fd) {
  // POLLRDHUP: the peer shut down its end (a closed AF_UNIX peer or a TCP FIN); POLLHUP
  // and POLLERR: both directions are gone (a reset).
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

// fd_io writes with write(2), which raises SIGPIPE on a stream whose peer is gone; with
// the signal blocked it stays pending instead and the write fails with EPIPE.
WriteGuard::WriteGuard() {
  const sigset_t pipe = SigpipeSet();
  was_pending_ = SigpipePending();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &pipe, &old);
  was_blocked_ = sigismember(&old, SIGPIPE) == 1;
}

WriteGuard::~WriteGuard() {
  const sigset_t pipe = SigpipeSet();
  if (!was_pending_ && SigpipePending()) {
    const timespec zero = {0, 0};
    while (sigtimedwait(&pipe, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  if (!was_blocked_) pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr);
}

}  // namespace diskferry
