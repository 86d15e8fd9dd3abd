// The Windows half of appliance/launch_secret.h: BCryptGenRandom with the system's
// preferred RNG, and a new file (CREATE_NEW) in the appliance's directory. The file takes
// the ACL it inherits from that directory, which inherits the per-user temporary
// directory's (%TEMP% under the user's profile: the user, SYSTEM and Administrators; no
// other user). FILE_FLAG_OPEN_REPARSE_POINT: a link planted at the path is that link,
// never its target, and CREATE_NEW fails on it.
#include <windows.h>
// After windows.h, which it needs.
#include <bcrypt.h>

#include "appliance/launch_secret.h"
#include "qemu-win/win_util.h"

namespace diskferry::internal {

Status FillRandom(std::span<uint8_t> out) {
  const NTSTATUS st = ::BCryptGenRandom(nullptr, out.data(), static_cast<ULONG>(out.size()),
                                        BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (!BCRYPT_SUCCESS(st)) {
    return Status(Code::kIoError, "BCryptGenRandom: NTSTATUS " + std::to_string(st));
  }
  return Status::Ok();
}

Status WritePrivateFile(const std::string& path, std::span<const uint8_t> bytes) {
  Result<std::wstring> wide = Utf8ToWide(path, "launch secret path");
  if (!wide.ok()) return wide.status();
  UniqueHandle h(::CreateFileW(wide->c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                               FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
  if (!h) return WinErrorStatus(::GetLastError(), path);
  DWORD written = 0;
  const BOOL ok =
      ::WriteFile(h.get(), bytes.data(), static_cast<DWORD>(bytes.size()), &written, nullptr);
  const DWORD err = ::GetLastError();
  h.Reset();
  if (!ok || written != bytes.size()) {
    ::DeleteFileW(wide->c_str());
    return ok ? Status(Code::kIoError, path + ": short write") : WinErrorStatus(err, path);
  }
  return Status::Ok();
}

}  // namespace diskferry::internal
