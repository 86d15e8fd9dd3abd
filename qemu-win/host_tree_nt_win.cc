#include "qemu-win/host_tree_nt_win.h"

#include <winternl.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>

#include "qemu-win/files_win.h"

namespace diskferry::internal {
namespace {

// NTSTATUS values used here (<ntstatus.h> clashes with <windows.h>).
constexpr LONG kStatusFileIsADirectory = static_cast<LONG>(0xC00000BA);
constexpr LONG kStatusNotADirectory = static_cast<LONG>(0xC0000103);
constexpr LONG kStatusInvalidParameter = static_cast<LONG>(0xC000000D);
constexpr LONG kStatusInvalidInfoClass = static_cast<LONG>(0xC0000003);
constexpr LONG kStatusNotImplemented = static_cast<LONG>(0xC0000002);
constexpr LONG kStatusNotSupported = static_cast<LONG>(0xC00000BB);
constexpr LONG kStatusCannotDelete = static_cast<LONG>(0xC0000121);

// FILE_INFORMATION_CLASS FileDispositionInformationEx and its flags (Windows 10 1709+;
// winternl.h stops at the classic FileDispositionInformation).
constexpr int kFileDispositionInformationEx = 64;
constexpr ULONG kDispositionDelete = 0x1;
constexpr ULONG kDispositionPosixSemantics = 0x2;
constexpr ULONG kDispositionIgnoreReadOnly = 0x10;
constexpr int kFileDispositionInformation = 13;

// Seconds from 1601-01-01 to 1970-01-01, in FILETIME ticks of 100 ns.
constexpr int64_t kUnixEpochTicks = 116444736000000000;

constexpr size_t kMaxNameUnits = 255;

bool IsReservedDeviceName(std::string_view base) {
  std::string upper(base);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  static constexpr std::array<std::string_view, 6> kNames = {"CON", "PRN",    "AUX",
                                                             "NUL", "CONIN$", "CONOUT$"};
  for (std::string_view name : kNames) {
    if (upper == name) return true;
  }
  if (upper.size() < 4 || (upper.compare(0, 3, "COM") != 0 && upper.compare(0, 3, "LPT") != 0)) {
    return false;
  }
  const std::string_view digit = std::string_view(upper).substr(3);
  // COM0-9 and LPT0-9, and with the superscripts the Latin-1 code page has: U+00B9, U+00B2,
  // U+00B3, which Windows also maps to the ports.
  return (digit.size() == 1 && digit[0] >= '0' && digit[0] <= '9') || digit == "\xC2\xB9" ||
         digit == "\xC2\xB2" || digit == "\xC2\xB3";
}

std::string Quoted(std::string_view name) {
  std::string out = "\"";
  for (const char c : name.substr(0, 200)) {
    if (static_cast<unsigned char>(c) < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::optional<std::string> WindowsNameProblem(std::string_view name) {
  const Result<std::wstring> wide = Utf8ToWide(name, "name");
  if (!wide.ok()) return Quoted(name) + " is not valid UTF-8, which Windows names must be";
  if (wide->size() > kMaxNameUnits) {
    return Quoted(name) + " is longer than the 255 UTF-16 units of a Windows name";
  }
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return Quoted(name) + " holds a control character, which Windows names cannot";
    }
    if (std::string_view("<>:\"\\|?*").find(c) != std::string_view::npos) {
      return Quoted(name) + " holds '" + c + "', which Windows names cannot";
    }
  }
  if (!name.empty() && (name.back() == '.' || name.back() == ' ')) {
    return Quoted(name) + " ends in a dot or a space, which Windows drops";
  }
  std::string_view base = name.substr(0, name.find('.'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (IsReservedDeviceName(base)) return Quoted(name) + " is a reserved device name on Windows";
  return std::nullopt;
}

std::optional<std::string> WindowsPathProblem(std::string_view path) {
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (auto problem = WindowsNameProblem(path.substr(0, slash))) return problem;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return std::nullopt;
}

int ErrnoFromNtStatus(LONG status) {
  if (status == kStatusFileIsADirectory) return EISDIR;
  if (status == kStatusNotADirectory) return ENOTDIR;
  return ErrnoFromWinError(::RtlNtStatusToDosError(status));
}

int OpenBeneath(HANDLE dir, std::string_view name, ACCESS_MASK access, ULONG disposition,
                ULONG options, UniqueHandle* out) {
  const Result<std::wstring> wide = Utf8ToWide(name, "name");
  if (!wide.ok()) return EILSEQ;
  if (wide->empty() || wide->size() > kMaxNameUnits) return wide->empty() ? EINVAL : ENAMETOOLONG;
  UNICODE_STRING object_name;
  object_name.Buffer = const_cast<wchar_t*>(wide->data());
  object_name.Length = static_cast<USHORT>(wide->size() * sizeof(wchar_t));
  object_name.MaximumLength = object_name.Length;
  // Case-insensitive, as Win32 opens are: NTFS directories are, unless marked otherwise.
  OBJECT_ATTRIBUTES attributes;
  InitializeObjectAttributes(&attributes, &object_name, OBJ_CASE_INSENSITIVE, dir, nullptr);
  IO_STATUS_BLOCK io{};
  HANDLE h = nullptr;
  const NTSTATUS status =
      ::NtCreateFile(&h, access | SYNCHRONIZE, &attributes, &io, nullptr, FILE_ATTRIBUTE_NORMAL,
                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, disposition,
                     options | FILE_OPEN_REPARSE_POINT | FILE_SYNCHRONOUS_IO_NONALERT, nullptr, 0);
  if (!NT_SUCCESS(status)) return ErrnoFromNtStatus(status);
  out->Reset(h);
  return 0;
}

int QueryFile(HANDLE h, BY_HANDLE_FILE_INFORMATION* info) {
  return ::GetFileInformationByHandle(h, info) ? 0 : ErrnoFromWinError(::GetLastError());
}

int DeleteOpenFile(HANDLE h) {
  IO_STATUS_BLOCK io{};
  ULONG flags = kDispositionDelete | kDispositionPosixSemantics | kDispositionIgnoreReadOnly;
  NTSTATUS status =
      ::NtSetInformationFile(h, &io, &flags, sizeof flags,
                             static_cast<FILE_INFORMATION_CLASS>(kFileDispositionInformationEx));
  if (NT_SUCCESS(status)) return 0;
  if (status != kStatusInvalidParameter && status != kStatusInvalidInfoClass &&
      status != kStatusNotImplemented && status != kStatusNotSupported) {
    return ErrnoFromNtStatus(status);
  }
  // Before Windows 10 1809, a filesystem without POSIX deletes (FAT), or wine: the classic
  // disposition, which refuses a read-only file until its attribute is cleared.
  // FILE_DISPOSITION_INFORMATION, whose member <windows.h> renames to DeleteFileW.
  struct {
    BOOLEAN delete_file;
  } classic{TRUE};
  const auto info_class = static_cast<FILE_INFORMATION_CLASS>(kFileDispositionInformation);
  status = ::NtSetInformationFile(h, &io, &classic, sizeof classic, info_class);
  if (status == kStatusCannotDelete) {
    FILE_BASIC_INFO basic{};
    if (::GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic) &&
        (basic.FileAttributes & FILE_ATTRIBUTE_READONLY) != 0) {
      basic.FileAttributes &= ~DWORD{FILE_ATTRIBUTE_READONLY};
      if (basic.FileAttributes == 0) basic.FileAttributes = FILE_ATTRIBUTE_NORMAL;
      if (::SetFileInformationByHandle(h, FileBasicInfo, &basic, sizeof basic)) {
        status = ::NtSetInformationFile(h, &io, &classic, sizeof classic, info_class);
      }
    }
  }
  return NT_SUCCESS(status) ? 0 : ErrnoFromNtStatus(status);
}

FILETIME FileTimeFromNs(int64_t ns) {
  int64_t ticks = ns / 100;
  if (ns % 100 < 0) --ticks;  // round down before the epoch too
  // At least 1677 - 1601 years of ticks: positive, so never the 0 that SetFileTime reads as
  // "leave unchanged".
  const uint64_t value = static_cast<uint64_t>(ticks + kUnixEpochTicks);
  FILETIME time;
  time.dwLowDateTime = static_cast<DWORD>(value & 0xffffffffu);
  time.dwHighDateTime = static_cast<DWORD>(value >> 32);
  return time;
}

int64_t NsFromFileTime(const FILETIME& time) {
  const uint64_t value = (uint64_t{time.dwHighDateTime} << 32) | time.dwLowDateTime;
  // Nanoseconds since 1970 in an int64_t span 1677 to 2262: clamp the FILETIMEs outside.
  const int64_t ticks =
      value > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(value);
  const int64_t since_epoch = ticks - kUnixEpochTicks;
  if (since_epoch > INT64_MAX / 100) return INT64_MAX;
  if (since_epoch < INT64_MIN / 100) return INT64_MIN;  // before 1677
  return since_epoch * 100;
}

}  // namespace diskferry::internal
