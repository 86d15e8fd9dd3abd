// The portable part of host_system.h: reading what the platform halves fetch.
#include "sinks/host_system.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace diskferry {

std::optional<uint64_t> ParseMemAvailableMib(std::string_view meminfo) {
  constexpr std::string_view kField = "MemAvailable:";
  size_t at = meminfo.find(kField);
  while (at != std::string_view::npos && at != 0 && meminfo[at - 1] != '\n') {
    at = meminfo.find(kField, at + 1);
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = meminfo.substr(at + kField.size());
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  uint64_t kib = 0;
  const auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
  if (err != std::errc() ||
      std::string_view(end, rest.data() + rest.size()).substr(0, 3) != " kB") {
    return std::nullopt;
  }
  return kib / 1024;
}

}  // namespace diskferry
