// The POSIX half of cache_dir.h: the environment and the password database.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "appliance/cache_dir.h"

namespace diskferry {

std::string DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0') {
    const passwd* pw = getpwuid(getuid());
    home = pw != nullptr ? pw->pw_dir : "/tmp";
  }
  return PosixCacheDir(xdg != nullptr ? xdg : "", home);
}

}  // namespace diskferry
