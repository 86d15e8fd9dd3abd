#include "qemu-win/win_util.h"

#include <climits>
#include <cwctype>

namespace diskferry::internal {

std::string SystemErrorText(DWORD error) {
  wchar_t buffer[512];
  DWORD n = ::FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                             error, 0, buffer, sizeof buffer / sizeof buffer[0], nullptr);
  // System messages end in ".\r\n"; strerror() style has neither.
  while (n > 0 && (std::iswspace(buffer[n - 1]) || buffer[n - 1] == L'.')) --n;
  return n > 0 ? WideToUtf8(std::wstring_view(buffer, n)) : std::string();
}

Status WinErrorStatus(DWORD error, std::string_view context) {
  std::string text = SystemErrorText(error);
  if (text.empty()) text = "unknown error";
  text += " (error " + std::to_string(error) + ")";
  Code code = Code::kIoError;
  if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) code = Code::kNotFound;
  if (error == WAIT_TIMEOUT) code = Code::kTimeout;
  return Status(code, std::string(context) + ": " + text);
}

Result<std::wstring> Utf8ToWide(std::string_view utf8, std::string_view what) {
  if (utf8.find('\0') != std::string_view::npos) {
    return Status(Code::kInvalidArgument, std::string(what) + ": contains a NUL character");
  }
  if (utf8.empty()) return std::wstring();
  if (utf8.size() > INT_MAX) return Status(Code::kInvalidArgument, std::string(what) + ": too long");
  const int size = static_cast<int>(utf8.size());
  const int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), size, nullptr, 0);
  if (n <= 0) return Status(Code::kInvalidArgument, std::string(what) + ": not valid UTF-8");
  std::wstring wide(static_cast<size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), size, wide.data(), n);
  return wide;
}

std::string WideToUtf8(std::wstring_view wide) {
  if (wide.empty() || wide.size() > INT_MAX) return {};
  const int size = static_cast<int>(wide.size());
  const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), size, nullptr, 0, nullptr, nullptr);
  if (n <= 0) return {};
  std::string utf8(static_cast<size_t>(n), '\0');
  ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), size, utf8.data(), n, nullptr, nullptr);
  return utf8;
}

}  // namespace diskferry::internal
