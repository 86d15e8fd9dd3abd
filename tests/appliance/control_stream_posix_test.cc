// WriteGuard on Linux: SIGPIPE raised by a write to a vanished peer is swallowed, the
// signal mask is restored, and a SIGPIPE pending before the guard is left alone.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>

#include "appliance/control_stream.h"
#include "protocol/fd_io.h"

namespace diskferry {
namespace {

bool SigpipePending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

bool SigpipeBlocked() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

sigset_t SigpipeSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  return set;
}

// An AF_UNIX stream whose peer is closed: the first write raises SIGPIPE (EPIPE).
int OrphanedStream() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  ::close(fds[1]);
  return fds[0];
}

TEST(WriteGuardTest, SwallowsTheSigpipeOfItsWriteAndRestoresTheMask) {
  ASSERT_FALSE(SigpipeBlocked());
  const int fd = OrphanedStream();
  Status written;
  {
    WriteGuard guard;
    EXPECT_TRUE(SigpipeBlocked());
    written = WriteAll(fd, std::vector<uint8_t>(16, 1));  // SIGPIPE would end this binary
    EXPECT_TRUE(SigpipePending());
  }
  EXPECT_FALSE(written.ok());
  EXPECT_NE(written.message().find("Broken pipe"), std::string::npos) << written.message();
  EXPECT_FALSE(SigpipePending());
  EXPECT_FALSE(SigpipeBlocked());
  CloseStream(fd);
}

TEST(WriteGuardTest, LeavesSigpipeBlockedWhenItWasAndAnEarlierOnePending) {
  const sigset_t pipe = SigpipeSet();
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &pipe, nullptr), 0);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGPIPE), 0);
  ASSERT_TRUE(SigpipePending());
  const int fd = OrphanedStream();
  {
    WriteGuard guard;
    EXPECT_FALSE(WriteAll(fd, std::vector<uint8_t>(16, 1)).ok());
  }
  EXPECT_TRUE(SigpipeBlocked());
  EXPECT_TRUE(SigpipePending()) << "the guard swallowed a SIGPIPE that was not its own";
  const timespec zero = {0, 0};
  EXPECT_EQ(sigtimedwait(&pipe, nullptr, &zero), SIGPIPE);
  ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr), 0);
  CloseStream(fd);
}

TEST(WriteGuardTest, NestedGuardsRestoreTheMaskOnlyAtTheOutermost) {
  ASSERT_FALSE(SigpipeBlocked());
  {
    WriteGuard outer;
    {
      WriteGuard inner;
      EXPECT_TRUE(SigpipeBlocked());
    }
    EXPECT_TRUE(SigpipeBlocked());
  }
  EXPECT_FALSE(SigpipeBlocked());
}

}  // namespace
}  // namespace diskferry
