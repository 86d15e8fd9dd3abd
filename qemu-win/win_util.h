// Small Windows helpers every qemu-win/ file uses: Win32 errors as Status, UTF-8 <->
// UTF-16 (diskferry's strings are UTF-8; Windows APIs take UTF-16), and UniqueHandle, the
// owner of one kernel HANDLE. Tests: qemu-win/tests/win_util_test.cc.
//
// Thread-safe: pure functions; a UniqueHandle is thread-compatible.
#ifndef DISKFERRY_QEMU_WIN_WIN_UTIL_H_
#define DISKFERRY_QEMU_WIN_WIN_UTIL_H_

#include <windows.h>

#include <string>
#include <string_view>
#include <utility>

#include "protocol/status.h"

namespace diskferry::internal {

// "context: <system message> (error N)" for a Win32 error code: kNotFound for a missing
// file or path, kTimeout for WAIT_TIMEOUT, kIoError otherwise.
Status WinErrorStatus(DWORD error, std::string_view context);

// The system's text for a Win32 or Winsock error code, UTF-8, without the trailing
// ".\r\n"; "" if the system has none.
std::string SystemErrorText(DWORD error);

// UTF-8 -> UTF-16. kInvalidArgument naming `what` for invalid UTF-8 or an embedded NUL
// (which no Windows string can carry).
Result<std::wstring> Utf8ToWide(std::string_view utf8, std::string_view what);
// UTF-16 -> UTF-8; an unpaired surrogate becomes U+FFFD.
std::string WideToUtf8(std::wstring_view wide);

// Owns one HANDLE and closes it. nullptr and INVALID_HANDLE_VALUE both mean "none" (Win32
// APIs return one or the other on failure). Move-only.
class UniqueHandle {
 public:
  explicit UniqueHandle(HANDLE h = nullptr) : h_(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
  UniqueHandle(UniqueHandle&& other) noexcept : h_(other.Release()) {}
  // Closes the handle this object owned, then takes `other`'s. Self-move keeps it.
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { Reset(); }

  HANDLE get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  // Gives up ownership without closing.
  HANDLE Release() { return std::exchange(h_, nullptr); }
  // Closes what it owns and takes `h`.
  void Reset(HANDLE h = nullptr) {
    if (h_ != nullptr) ::CloseHandle(h_);
    h_ = h == INVALID_HANDLE_VALUE ? nullptr : h;
  }

 private:
  HANDLE h_;
};

}  // namespace diskferry::internal

#endif  // DISKFERRY_QEMU_WIN_WIN_UTIL_H_
