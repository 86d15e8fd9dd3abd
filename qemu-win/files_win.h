// Internal to the Windows halves of the file interfaces (source_file_win.cc,
// host_file_win.cc, host_system_win.cc, ...): Win32 errors as errno values (these
// interfaces report errno, as their POSIX halves do) and CRT descriptors over HANDLEs.
// UTF-8 <-> UTF-16 and Win32 errors as Status are win_util.h's. Part of df_protocol, so
// every library above it may use it.
//
// Thread-safe: pure functions.
#ifndef DISKFERRY_QEMU_WIN_FILES_WIN_H_
#define DISKFERRY_QEMU_WIN_FILES_WIN_H_

#include <windows.h>

#include "qemu-win/win_util.h"

namespace diskferry::internal {

// The errno value closest to a Win32 error (ERROR_FILE_NOT_FOUND -> ENOENT,
// ERROR_ACCESS_DENIED -> EACCES, ERROR_DISK_FULL -> ENOSPC, ...); EIO for one with none.
int ErrnoFromWinError(DWORD error);

// The HANDLE of a CRT descriptor, or INVALID_HANDLE_VALUE for one that is not open.
HANDLE HandleOfFd(int fd);

// Wraps `handle` in a CRT descriptor (binary mode) that owns it: the descriptor, or
// -errno after closing `handle` (EMFILE when the CRT's table is full).
int FdOfHandle(HANDLE handle, int crt_flags);

}  // namespace diskferry::internal

#endif  // DISKFERRY_QEMU_WIN_FILES_WIN_H_
