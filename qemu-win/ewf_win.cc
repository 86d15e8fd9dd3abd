// The Windows half of appliance/ewf.h: E01 images are served by nbdkit with a libewf
// plugin, which diskferry builds and runs on Linux hosts only (docs/windows.md).
#include "appliance/ewf.h"

namespace diskferry {
namespace {

Status NotOnWindows() {
  return Status(Code::kUnavailable,
                "format ewf: E01 images are read on Linux hosts only (docs/windows.md); "
                "convert one with ewfexport -f raw first");
}

}  // namespace

Status EwfSupported() { return NotOnWindows(); }

Result<std::string> FindEwfHelper(std::string_view) { return NotOnWindows(); }

Result<EwfServer> EwfServer::Start(const std::string&, const std::string&, const std::string&,
                                   std::chrono::milliseconds) {
  return NotOnWindows();
}

}  // namespace diskferry
