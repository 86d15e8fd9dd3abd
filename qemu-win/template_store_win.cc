// The Windows half of template_store.h: no appliance templates. A restore maps the
// template's RAM file copy-on-write, which QEMU's Windows build does not offer; every
// launch boots cold.
#include "appliance/template_store.h"

namespace diskferry {

Result<std::unique_ptr<TemplateStore>> OpenTemplateStore(const std::string& dir) {
  return Status(Code::kUnavailable,
                "appliance templates need a Linux host (" + dir + " is not used)");
}

std::string DefaultTemplateDir() { return std::string(); }

Status SaveVmState(const std::string&, const std::string&, std::chrono::steady_clock::time_point) {
  return Status(Code::kUnavailable, "appliance templates need a Linux host");
}

Status RestoreVmState(const std::string&, const std::string&,
                      std::chrono::steady_clock::time_point) {
  return Status(Code::kUnavailable, "appliance templates need a Linux host");
}

}  // namespace diskferry
