// The Windows half of overlay.h: CREATE_NEW, which fails on anything already there; with
// FILE_FLAG_OPEN_REPARSE_POINT a symlink or junction at the path is that thing, never its
// target.
#include <windows.h>

#include <cerrno>

#include "appliance/overlay.h"
#include "qemu-win/win_util.h"

namespace diskferry {

int CreateNewFile(const std::string& path) {
  auto wide = internal::Utf8ToWide(path, "overlay path");
  if (!wide.ok()) return EINVAL;
  const HANDLE h = ::CreateFileW(wide->c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                                 FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_FILE_EXISTS || err == ERROR_ALREADY_EXISTS) return EEXIST;
    if (err == ERROR_PATH_NOT_FOUND || err == ERROR_FILE_NOT_FOUND) return ENOENT;
    if (err == ERROR_ACCESS_DENIED) return EACCES;
    return EIO;
  }
  ::CloseHandle(h);
  return 0;
}

}  // namespace diskferry
