// The Windows half of appliance/temp_dir.h. Windows has no mkdtemp(): we draw a random
// name and let CreateDirectoryW, which fails on an existing name, settle races.
#include <windows.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <utility>

#include "appliance/temp_dir.h"
#include "qemu-win/spawn_win.h"

namespace diskferry {
namespace {

// Each attempt draws 64 random bits: more than one collision in a row means something
// other than chance (a full directory, a name squatter) and we give up.
constexpr int kCreateAttempts = 16;

std::wstring RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  wchar_t suffix[17];
  std::swprintf(suffix, sizeof suffix / sizeof suffix[0], L"%016llx",
                static_cast<unsigned long long>(rng()));
  return suffix;
}

// GetTempPathW: %TMP%, else %TEMP%, else %USERPROFILE%, else the Windows directory;
// always ends in a backslash.
Result<std::wstring> TempBase() {
  const DWORD needed = ::GetTempPathW(0, nullptr);
  if (needed == 0) return internal::WinErrorStatus(::GetLastError(), "GetTempPathW");
  std::wstring base(needed, L'\0');
  const DWORD n = ::GetTempPathW(needed, base.data());
  if (n == 0 || n >= needed) return internal::WinErrorStatus(::GetLastError(), "GetTempPathW");
  base.resize(n);
  if (base.back() != L'\\' && base.back() != L'/') base.push_back(L'\\');
  return base;
}

// Our paths are UTF-8; std::filesystem converts a char8_t path to UTF-16 itself.
std::filesystem::path NativePath(const std::string& utf8) {
  return std::filesystem::path(std::u8string(utf8.begin(), utf8.end()));
}

}  // namespace

Result<TempDir> TempDir::Create(std::string_view prefix) {
  Result<std::wstring> base = TempBase();
  if (!base.ok()) return base.status();
  Result<std::wstring> wide_prefix = internal::Utf8ToWide(prefix, "temporary directory prefix");
  if (!wide_prefix.ok()) return wide_prefix.status();
  const std::string base_utf8 = internal::WideToUtf8(*base);
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    const std::wstring path = *base + *wide_prefix + RandomSuffix();
    // Default security: the new directory inherits the ACL of the user's temp directory.
    if (::CreateDirectoryW(path.c_str(), nullptr)) return TempDir(internal::WideToUtf8(path));
    const DWORD error = ::GetLastError();
    if (error != ERROR_ALREADY_EXISTS) {
      return internal::WinErrorStatus(error, "create a directory in " + base_utf8);
    }
  }
  return Status(Code::kIoError, "create a directory in " + base_utf8 + ": " +
                                    std::to_string(kCreateAttempts) +
                                    " random names were all taken");
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, std::string())) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this == &other) return *this;
  Remove();
  path_ = std::exchange(other.path_, std::string());
  return *this;
}

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(NativePath(path_), ec);  // best effort, as on Linux
  path_.clear();
}

void TempDir::RemoveAllBut(std::string_view keep) {
  if (path_.empty()) return;
  const std::u8string keep_name(keep.begin(), keep.end());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(NativePath(path_), ec)) {
    if (entry.path().filename().u8string() != keep_name) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
  path_.clear();  // the directory now belongs to the user
}

std::string TempDir::File(std::string_view name) const { return path_ + "\\" + std::string(name); }

}  // namespace diskferry
