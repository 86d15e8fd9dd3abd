// The Linux half of host_system.h.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sinks/host_system.h"

namespace diskferry {

std::string HostName() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// RssAnon, not VmRSS: the lanes' shared memory, which the host maps, does not grow with
// files and would hide what does.
uint64_t AnonymousMemoryKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::strtoull(line.c_str() + 8, nullptr, 10);
  }
  return 0;
}

std::optional<uint64_t> AvailableMemoryMib() {
  std::ifstream in("/proc/meminfo");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseMemAvailableMib(text.str());
}

void KillProcessNow(int64_t pid) {
  if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
}

std::optional<size_t> TerminalColumns(FILE* stream) {
  struct winsize ws {};
  if (::ioctl(fileno(stream), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return std::nullopt;
}

bool EnableTerminalEscapes(FILE* stream) { return ::isatty(fileno(stream)) != 0; }

}  // namespace diskferry
