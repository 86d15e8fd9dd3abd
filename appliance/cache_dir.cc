#include "appliance/cache_dir.h"

namespace diskferry {

std::string PosixCacheDir(std::string_view xdg_cache_home, std::string_view home) {
  if (!xdg_cache_home.empty() && xdg_cache_home.front() == '/') {
    return std::string(xdg_cache_home) + "/diskferry";
  }
  return std::string(home) + "/.cache/diskferry";
}

std::string WindowsCacheDir(std::string_view local_app_data) {
  if (local_app_data.empty()) return "diskferry-cache";
  return std::string(local_app_data) + "\\diskferry";
}

}  // namespace diskferry
