// Host files that diskferry writes and reads for itself (run reports, journals, spool
// files, tar archives): the platform interface under them. host_file_posix.cc is the Linux
// half, qemu-win/host_file_win.cc the Windows one, whose descriptors are CRT descriptors
// over CreateFileW handles (so UniqueFd, libarchive's archive_write_open_fd and
// protocol/source_file.h's ReadSourceAt take them as they are). Extracted and injected
// trees go through host_tree_*.h instead.
//
// Paths are UTF-8. Every call returns 0 or an errno value (Windows errors are mapped to the
// nearest one: ERROR_ACCESS_DENIED is EACCES, ERROR_DISK_FULL is ENOSPC); callers make the
// Status with ErrnoStatus, naming what they were doing. Reads: ReadSourceAt.
//
// Thread-compatible: distinct descriptors may be used from distinct threads. WriteFileAt
// (like ReadSourceAt) never moves a descriptor's file position; FileDataExtents may.
#ifndef DISKFERRY_SINKS_HOST_FILE_H_
#define DISKFERRY_SINKS_HOST_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sinks/unique_fd.h"

namespace diskferry {

struct Extent {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool operator==(const Extent&) const = default;
};

enum class HostOpen {
  kRead,              // an existing file, read-only
  kTruncate,          // write-only; created (mode 0644 before umask) or truncated
  kTruncateNoFollow,  // kTruncate, but a symlink (Windows: reparse point) at `path` is ELOOP
  kUpdate,            // read-write; created (0644) if missing, kept otherwise
  kCreateNew,         // write-only; created (0644); EEXIST if anything is at `path`, a
                      // symlink (Windows: reparse point) included, which is not followed
};

// Opens `path`; the descriptor is not inherited by child processes.
int OpenHostFile(const std::string& path, HostOpen how, UniqueFd* out);

// A new file in `dir` that has no name once this returns (or, where the filesystem cannot
// drop the name of an open file, whose name goes when it is closed, however the process
// ends), read-write, empty. Holes are allowed where the filesystem has them.
int CreateUnnamedFile(const std::string& dir, UniqueFd* out);

// Writes all of `data` at `offset`, growing the file as needed.
int WriteFileAt(int fd, uint64_t offset, std::span<const uint8_t> data);
// Writes all of `data` to a stream (standard output: a pipe, a file, a terminal) at its
// current position, in binary mode. A pipe whose reader has gone is EPIPE, never a SIGPIPE
// that would end the process: on Linux the signal is blocked on the calling thread for the
// call and one it raised is consumed (other threads' signals are left alone).
int WriteToStream(int fd, std::span<const uint8_t> data);
// Sets the file's size; growing it leaves a hole where the filesystem has them.
int ResizeFile(int fd, uint64_t size);
int FileSize(int fd, uint64_t* size);
// The ranges of [0, size) that hold data, in order (see SpoolFile::DataExtents): the whole
// range where the filesystem cannot tell holes from data.
int FileDataExtents(int fd, uint64_t size, std::vector<Extent>* out);
// Opens a source image (a file or a block device) to be read once, front to back, and
// says so to the kernel (POSIX_FADV_SEQUENTIAL); `*size` is its size (a block device's
// from BLKGETSIZE64). Windows: OpenHostFile(kRead) and FileSize.
int OpenImageForReading(const std::string& path, UniqueFd* out, uint64_t* size);
// Tells the kernel that [offset, offset + length) of `fd` will not be read again, so its
// pages leave the page cache (POSIX_FADV_DONTNEED); nothing on Windows.
void DropCachedRange(int fd, uint64_t offset, uint64_t length);
// Flushes the file to the device, data and metadata (fsync / FlushFileBuffers).
int SyncFile(int fd);
// Closes the descriptor (if any), reporting the close's own error (a late write failure
// on NFS, a full disk on some Windows filesystems). `fd` is empty afterwards either way.
int CloseFile(UniqueFd* fd);

// mkdir(path, 0755); EEXIST when something is already there.
int MakeHostDirectory(const std::string& path);
// rename(2): `to`, if it exists and is a file, is replaced in one step.
int RenameHostFile(const std::string& from, const std::string& to);
// unlink(2) of a file (not a directory).
int RemoveHostFile(const std::string& path);

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_FILE_H_
