// The Linux half of archive_names.h: C.UTF-8 as the thread's locale.
#include <archive_entry.h>
#include <locale.h>

#include <string>

#include "sinks/archive_names.h"

namespace diskferry {

ArchiveCharset::ArchiveCharset() : locale_(newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr)) {}

ArchiveCharset::~ArchiveCharset() {
  if (locale_ != nullptr) freelocale(static_cast<locale_t>(locale_));
}

ArchiveCharsetScope::ArchiveCharsetScope(const ArchiveCharset& charset)
    : old_(charset.locale_ != nullptr ? uselocale(static_cast<locale_t>(charset.locale_))
                                      : nullptr) {}

ArchiveCharsetScope::~ArchiveCharsetScope() {
  if (old_ != nullptr) uselocale(static_cast<locale_t>(old_));
}

void SetEntryPath(archive_entry* entry, std::string_view name) {
  archive_entry_copy_pathname(entry, std::string(name).c_str());
}

void SetEntrySymlink(archive_entry* entry, std::string_view target) {
  archive_entry_copy_symlink(entry, std::string(target).c_str());
}

void SetEntryHardlink(archive_entry* entry, std::string_view target) {
  archive_entry_copy_hardlink(entry, std::string(target).c_str());
}

}  // namespace diskferry
