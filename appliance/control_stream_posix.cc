#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <string>

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

Status WriteStreamWithin(int fd, std::span<const uint8_t> bytes,
                         std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  size_t done = 0;
  while (done < bytes.size()) {
    // MSG_DONTWAIT: a blocking send of a large frame would wait for the reader however long
    // it takes; poll() below is the only place that waits, and it knows the deadline.
    const ssize_t n =
        ::send(fd, bytes.data() + done, bytes.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return ErrnoStatus(errno, "write to control channel");
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd, POLLOUT, 0};
    const int ready =
        left.count() <= 0
            ? 0
            : ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), INT32_MAX)));
    if (ready < 0 && errno != EINTR) return ErrnoStatus(errno, "poll control channel");
    if (ready == 0 && Clock::now() >= deadline) {
      return Status(Code::kTimeout, "the appliance did not read a request of " +
                                        std::to_string(bytes.size()) + " bytes within " +
                                        std::to_string(timeout.count()) + " ms (" +
                                        std::to_string(done) + " sent)");
    }
  }
  return Status::Ok();
}

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
