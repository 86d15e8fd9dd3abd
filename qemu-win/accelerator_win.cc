// The Windows half of the accelerator probes (accelerator.h): WHPX, the Windows
// Hypervisor Platform that QEMU for Windows uses with `-accel whpx`.
//
// WinHvPlatform.dll exists only once the "Windows Hypervisor Platform" optional feature
// is on, so it is loaded at run time rather than linked: diskferry.exe must start on
// every Windows 10+ machine and fall back to TCG where the feature is off.
#include <windows.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "appliance/accelerator.h"

namespace diskferry {
namespace {

// WHvGetCapability(WHvCapabilityCodeHypervisorPresent, ...) from WinHvPlatform.h, declared
// here with its documented ABI: mingw-w64 ships the header, but the DLL is optional.
constexpr int kCapabilityCodeHypervisorPresent = 0;
using GetCapabilityFn = HRESULT(WINAPI*)(int code, void* buffer, UINT32 size, UINT32* written);

std::string HresultText(HRESULT hr) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lx", static_cast<unsigned long>(hr));
  return buf;
}

}  // namespace

Accelerator HostHypervisor() { return Accelerator::kWhpx; }

std::optional<std::string> KvmUnusableReason(const std::string& kvm_device, int* api_version) {
  (void)api_version;
  return "KVM: " + kvm_device + " is Linux's; this is a Windows host (use whpx)";
}

std::optional<std::string> WhpxUnusableReason() {
  HMODULE dll = LoadLibraryExW(L"WinHvPlatform.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (dll == nullptr) {
    return std::string(
        "WHPX: WinHvPlatform.dll not found (turn on the Windows feature \"Windows Hypervisor "
        "Platform\" and reboot)");
  }
  auto get = reinterpret_cast<GetCapabilityFn>(
      reinterpret_cast<void*>(GetProcAddress(dll, "WHvGetCapability")));
  std::optional<std::string> why;
  if (get == nullptr) {
    why = "WHPX: WinHvPlatform.dll has no WHvGetCapability";
  } else {
    BOOL present = FALSE;
    UINT32 written = 0;
    const HRESULT hr = get(kCapabilityCodeHypervisorPresent, &present, sizeof present, &written);
    if (FAILED(hr)) {
      why = "WHPX: WHvGetCapability failed with " + HresultText(hr);
    } else if (!present) {
      why = std::string(
          "WHPX: no hypervisor present (virtualization off in the firmware, or Hyper-V not "
          "running)");
    }
  }
  FreeLibrary(dll);
  return why;
}

}  // namespace diskferry
