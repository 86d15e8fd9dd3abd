// Internal to the Windows halves of the host tree writer and reader (beneath_dir_win.cc,
// host_tree_writer_win.cc, host_tree_reader_win.cc): the openat() of Windows, which names
// Windows can hold, file identity and times.
//
// Win32 opens whole paths, and a junction or symlink on the way is followed wherever it
// points. NtCreateFile instead takes a directory handle (OBJECT_ATTRIBUTES::RootDirectory)
// and a name relative to it, and with FILE_OPEN_REPARSE_POINT opens a reparse point itself
// rather than its target: one component at a time from DEST's handle, nothing outside DEST
// can be reached, as with openat(O_NOFOLLOW) on Linux. The same call does not apply Win32's
// name rules, so "CON" or "a." would be created as such, names that Win32 programs could
// then not open: WindowsNameProblem() refuses them first.
//
// Wine (as of 8.0) follows the host's Unix symlinks even under FILE_OPEN_REPARSE_POINT and
// cannot create NTFS reparse points; the guarantees above hold on Windows.
//
// Thread-safe: pure functions over the handles given.
#ifndef DISKFERRY_QEMU_WIN_HOST_TREE_NT_WIN_H_
#define DISKFERRY_QEMU_WIN_HOST_TREE_NT_WIN_H_

#include <windows.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qemu-win/win_util.h"

namespace diskferry::internal {

// Why Windows cannot hold `name`, one path component in UTF-8, or nullopt. Refused: what
// is not UTF-8; more than 255 UTF-16 units; a control character or one of <>:"\|?*; a
// trailing dot or space (Win32 drops them); a reserved device name, whatever follows its
// first dot (CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9, LPT0-9, COM and LPT with a
// superscript 1-3). The message quotes the name ("\"aux.c\" is a reserved device name on
// Windows"), control characters as \xNN.
std::optional<std::string> WindowsNameProblem(std::string_view name);
// The first problem of the '/'-separated components of `path`, or nullopt.
std::optional<std::string> WindowsPathProblem(std::string_view path);

// Opens `name` (one component) in the directory open as `dir` with NtCreateFile: never
// following a reparse point at `name` (FILE_OPEN_REPARSE_POINT), synchronous I/O
// (FILE_SYNCHRONOUS_IO_NONALERT; SYNCHRONIZE is added to `access`), shared for read, write
// and delete as a POSIX descriptor would be. `disposition` is FILE_OPEN or FILE_CREATE
// (which fails with EEXIST on any existing entry, a reparse point included); `options`
// adds FILE_DIRECTORY_FILE or FILE_NON_DIRECTORY_FILE. Returns 0 or an errno: ENOENT,
// EEXIST, ENOTDIR, EISDIR, EACCES, EILSEQ for a name that is not UTF-8, ...
int OpenBeneath(HANDLE dir, std::string_view name, ACCESS_MASK access, ULONG disposition,
                ULONG options, UniqueHandle* out);

// The errno value closest to an NTSTATUS (through its Win32 error).
int ErrnoFromNtStatus(LONG status);

// GetFileInformationByHandle: 0 or an errno.
int QueryFile(HANDLE h, BY_HANDLE_FILE_INFORMATION* info);
inline bool IsReparsePoint(const BY_HANDLE_FILE_INFORMATION& info) {
  return (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
}
// A real directory: not a junction or a directory symlink, which carry the directory
// attribute as well.
inline bool IsPlainDirectory(const BY_HANDLE_FILE_INFORMATION& info) {
  return (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 && !IsReparsePoint(info);
}
inline uint64_t FileIndex(const BY_HANDLE_FILE_INFORMATION& info) {
  return (uint64_t{info.nFileIndexHigh} << 32) | info.nFileIndexLow;
}

// Removes the entry open as `h` (opened with DELETE and FILE_WRITE_ATTRIBUTES access): with
// POSIX semantics where the system has them (Windows 10 1809 and later: the name goes at
// once even if others hold the file open), else the classic way (the name goes when the
// last handle closes). A read-only file is removed too, as unlink() would. Returns 0 or an
// errno (ENOTEMPTY, EACCES, ...).
int DeleteOpenFile(HANDLE h);

// Nanoseconds since the Unix epoch as a FILETIME (100 ns units since 1601), rounded down.
// The years an int64_t of nanoseconds spans, 1677 to 2262, all fit.
FILETIME FileTimeFromNs(int64_t ns);
// The reverse, clamped to those years.
int64_t NsFromFileTime(const FILETIME& time);

}  // namespace diskferry::internal

#endif  // DISKFERRY_QEMU_WIN_HOST_TREE_NT_WIN_H_
