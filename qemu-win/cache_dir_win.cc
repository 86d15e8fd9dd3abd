// The Windows half of appliance/cache_dir.h: LOCALAPPDATA, where an exported appliance is
// conveniently kept; diskferry itself writes nothing there on Windows.
#include <cstdlib>

#include "appliance/cache_dir.h"

namespace diskferry {

std::string DefaultCacheDir() {
  const char* local = std::getenv("LOCALAPPDATA");
  return WindowsCacheDir(local != nullptr ? local : "");
}

}  // namespace diskferry
