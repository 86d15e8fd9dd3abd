#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "appliance/tcp_listener.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<TcpListener> TcpListener::Listen() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, "socket for the control channel");
  TcpListener listener(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoStatus(errno, std::string("bind ") + kLoopbackHost);
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoStatus(errno, "getsockname of the control listener");
  }
  listener.port_ = ntohs(addr.sin_port);
  // A backlog above 1: a stray local connection must not keep QEMU's out of the queue.
  if (::listen(fd, 4) != 0) return ErrnoStatus(errno, "listen on " + listener.address());
  return listener;
}

TcpListener::TcpListener(TcpListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(std::exchange(other.port_, 0)) {}

TcpListener& TcpListener::operator=(TcpListener&& other) noexcept {
  if (this == &other) return *this;
  Close();
  fd_ = std::exchange(other.fd_, -1);
  port_ = std::exchange(other.port_, 0);
  return *this;
}

void TcpListener::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  port_ = 0;
}

Result<int> TcpListener::Accept(std::chrono::milliseconds timeout,
                                std::chrono::milliseconds check_interval,
                                const std::function<Status()>& keep_waiting) {
  if (fd_ < 0) return Status(Code::kFailedPrecondition, "accept on a closed listener");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (Status s = keep_waiting(); !s.ok()) return s;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return Status(Code::kTimeout, "nobody connected to " + address() + " within " +
                                        std::to_string(timeout.count()) + " ms");
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min(left, check_interval).count()));
    if (r < 0 && errno != EINTR) return ErrnoStatus(errno, "poll " + address());
    if (r <= 0) continue;
    sockaddr_in peer = {};
    socklen_t len = sizeof peer;
    const int conn = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        return ErrnoStatus(errno, "accept on " + address());
      }
      continue;
    }
    if (len != sizeof peer || peer.sin_family != AF_INET ||
        peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
      ::close(conn);
      continue;
    }
    // Requests and replies are small frames sent one at a time: Nagle would hold each
    // back until the previous one was acknowledged.
    const int one = 1;
    if (::setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
      const int err = errno;
      ::close(conn);
      return ErrnoStatus(err, "TCP_NODELAY on a connection to " + address());
    }
    return conn;
  }
}

}  // namespace diskferry
