#include "daemon/boot_options.h"

namespace diskferry::daemon {
namespace {

constexpr std::string_view kPort = "diskferry.port=";
constexpr std::string_view kDebug = "diskferry.debug";

bool IsTrue(std::string_view value) {
  return value == "1" || value == "y" || value == "yes" || value == "on" || value == "true";
}

}  // namespace

BootOptions ParseKernelCmdline(std::string_view cmdline) {
  BootOptions options;
  while (!cmdline.empty()) {
    const auto start = cmdline.find_first_not_of(" \t\n");
    if (start == std::string_view::npos) break;
    const auto end = cmdline.find_first_of(" \t\n", start);
    const std::string_view word =
        cmdline.substr(start, end == std::string_view::npos ? end : end - start);
    cmdline = end == std::string_view::npos ? std::string_view() : cmdline.substr(end);
    if (word.starts_with(kPort)) {
      if (word.size() > kPort.size()) options.port_name = std::string(word.substr(kPort.size()));
    } else if (word == kDebug) {
      options.debug = true;
    } else if (word.starts_with(kDebug) && word[kDebug.size()] == '=') {
      options.debug = IsTrue(word.substr(kDebug.size() + 1));
    }
  }
  return options;
}

}  // namespace diskferry::daemon
