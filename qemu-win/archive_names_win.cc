// The Windows half of sinks/archive_names.h: names as UTF-16, and an LC_CTYPE other
// than "C" for libarchive 3.6's check that a path renders in the current locale.
#include <archive_entry.h>

#include <clocale>
#include <cstring>
#include <mutex>
#include <string>

#include "sinks/archive_names.h"
#include "qemu-win/win_util.h"

namespace diskferry {
namespace {

// `name` as UTF-16 through `set_wide`, or as bytes through `set_bytes` when it is not UTF-8.
void SetName(archive_entry* entry, std::string_view name,
             void (*set_wide)(archive_entry*, const wchar_t*),
             void (*set_bytes)(archive_entry*, const char*)) {
  const Result<std::wstring> wide = internal::Utf8ToWide(name, "name");
  if (wide.ok()) {
    set_wide(entry, wide->c_str());
  } else {
    set_bytes(entry, std::string(name).c_str());
  }
}

}  // namespace

// Once per process: setlocale is process-wide in msvcrt, and a program that chose a
// locale of its own keeps it.
ArchiveCharset::ArchiveCharset() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* current = std::setlocale(LC_CTYPE, nullptr);
    if (current != nullptr && std::strcmp(current, "C") == 0) std::setlocale(LC_CTYPE, "");
  });
}

ArchiveCharset::~ArchiveCharset() = default;
ArchiveCharsetScope::ArchiveCharsetScope(const ArchiveCharset&) {}
ArchiveCharsetScope::~ArchiveCharsetScope() = default;

void SetEntryPath(archive_entry* entry, std::string_view name) {
  SetName(entry, name, archive_entry_copy_pathname_w, archive_entry_copy_pathname);
}

void SetEntrySymlink(archive_entry* entry, std::string_view target) {
  SetName(entry, target, archive_entry_copy_symlink_w, archive_entry_copy_symlink);
}

void SetEntryHardlink(archive_entry* entry, std::string_view target) {
  SetName(entry, target, archive_entry_copy_hardlink_w, archive_entry_copy_hardlink);
}

}  // namespace diskferry
