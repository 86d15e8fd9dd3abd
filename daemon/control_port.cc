#include "daemon/control_port.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "daemon/log.h"
#include "daemon/sys_files.h"

namespace diskferry::daemon {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(50);

}  // namespace

std::optional<std::string> FindVirtioPort(const std::string& sys_ports_dir,
                                          std::string_view port_name) {
  for (const std::string& port : ListDirectory(sys_ports_dir)) {
    if (ReadFirstLine(sys_ports_dir + "/" + port + "/name") == port_name) return port;
  }
  return std::nullopt;
}

Result<int> OpenControlPort(std::string_view port_name, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::optional<std::string> port;
  // virtio_console registers ports asynchronously after the host announces them, so the
  // sysfs entry and then the devtmpfs node show up some time after the module loads.
  while (!(port = FindVirtioPort(kVirtioPortsDir, port_name))) {
    if (Clock::now() >= deadline) {
      return Status(Code::kTimeout, "no virtio-serial port named " + std::string(port_name) +
                                        " under " + kVirtioPortsDir);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  const std::string node = "/dev/" + *port;
  for (;;) {
    const int fd = ::open(node.c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      LogDebug("control port %.*s is %s", static_cast<int>(port_name.size()), port_name.data(),
               node.c_str());
      return fd;
    }
    if (errno != ENOENT) return ErrnoStatus(errno, node);
    if (Clock::now() >= deadline) {
      return Status(Code::kTimeout, node + " (port " + std::string(port_name) +
                                        ") never appeared in devtmpfs");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Status WaitForHost(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(kPollInterval.count()));
    if (r < 0 && errno != EINTR) return ErrnoStatus(errno, "poll control port");
    // virtio_console reports POLLHUP while the host end is closed (and POLLIN too, as a
    // read would not block: it returns 0).
    if (r > 0 && (p.revents & POLLIN) && !(p.revents & POLLHUP)) return Status::Ok();
    if (Clock::now() >= deadline) {
      return Status(Code::kTimeout, "the host never connected to the control port");
    }
    if (r > 0) std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace diskferry::daemon
