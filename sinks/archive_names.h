// How TarSink hands entry names to libarchive so that pax headers carry them as UTF-8: the
// platform interface under tar_sink*.cc. archive_names_posix.cc is the Linux half,
// qemu-win/archive_names_win.cc the Windows one.
//
// Linux: libarchive converts a name from the current locale's charset to UTF-8; in the "C"
// locale every non-ASCII name fails and is stored with hdrcharset=BINARY, which GNU tar
// 1.34 warns about on extraction. So every libarchive call runs with C.UTF-8 as the
// thread's locale (uselocale), and only names that are not UTF-8 are stored raw.
// Windows: no C runtime locale of msvcrt is UTF-8, so names go in as UTF-16
// (archive_entry_copy_*_w), which libarchive turns into UTF-8 itself. libarchive 3.6 still
// insists on a path it can render in the current locale, and in the "C" locale that fails
// for every character past U+00FF; so the first ArchiveCharset switches the process's
// LC_CTYPE from "C" to the user's default (the ANSI code page, where unmappable characters
// become '?' in that rendering only). msvcrt has no per-thread locales to confine it to
// (wine's has none at all); diskferry's own text goes through Win32 calls in UTF-8, which
// no CRT locale affects. A name that is not UTF-8 goes in as bytes of the ANSI code page.
//
// Thread-compatible: an ArchiveCharset may be entered from any thread, one scope at a time
// per thread.
#ifndef DISKFERRY_SINKS_ARCHIVE_NAMES_H_
#define DISKFERRY_SINKS_ARCHIVE_NAMES_H_

#include <string_view>

struct archive_entry;

namespace diskferry {

// What names need while libarchive runs. Linux: the C.UTF-8 locale (none if glibc lacks
// it, and then entering is a no-op); Windows: a process LC_CTYPE other than "C" (above).
class ArchiveCharset {
 public:
  ArchiveCharset();
  ~ArchiveCharset();
  ArchiveCharset(const ArchiveCharset&) = delete;
  ArchiveCharset& operator=(const ArchiveCharset&) = delete;

 private:
  friend class ArchiveCharsetScope;
  void* locale_ = nullptr;  // Linux: the locale_t
};

// Makes `charset` the calling thread's for libarchive calls until the scope ends.
class ArchiveCharsetScope {
 public:
  explicit ArchiveCharsetScope(const ArchiveCharset& charset);
  ~ArchiveCharsetScope();
  ArchiveCharsetScope(const ArchiveCharsetScope&) = delete;
  ArchiveCharsetScope& operator=(const ArchiveCharsetScope&) = delete;

 private:
  void* old_ = nullptr;  // Linux: the thread's locale_t before, restored at the end
};

// The entry's path, symlink target and hard link target, from UTF-8 (or raw) bytes.
void SetEntryPath(archive_entry* entry, std::string_view name);
void SetEntrySymlink(archive_entry* entry, std::string_view target);
void SetEntryHardlink(archive_entry* entry, std::string_view target);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_ARCHIVE_NAMES_H_
