// Reading a source file of a tree transfer (SourceEntry::fd, protocol/tree_io.h) at an
// offset, with its holes: the platform interface under LanePacker. source_file_posix.cc is
// the half the guest daemon and Linux hosts use; qemu-win/source_file_win.cc serves
// Windows hosts, whose CRT descriptors come from _wopen.
//
// Thread-compatible: distinct descriptors may be read from distinct threads.
#ifndef DISKFERRY_PROTOCOL_SOURCE_FILE_H_
#define DISKFERRY_PROTOCOL_SOURCE_FILE_H_

#include <cstdint>
#include <string>

namespace diskferry {

// Opens `path` (UTF-8) for reading as a source descriptor, following symlinks; directories
// open too (reading one fails with EISDIR). The descriptor, or -errno (-EILSEQ on Windows
// for a path that is not UTF-8). Close it with CloseSourceFd().
int OpenSourceFile(const std::string& path);

// Closes `*fd` if it is open and sets it to -1.
void CloseSourceFd(int* fd);

// From now on, ReadSourceAt and CloseSourceFd drop the pages they read from the page cache
// (POSIX_FADV_DONTNEED; nothing on Windows). The appliance's daemon sets it: a file it has
// sent is not read again, and a guest's page cache is host memory that, once touched,
// stays with the appliance (docs/architecture.md, "Appliance templates"). Process-wide.
void DropSourcePagesAfterReading();

// Reads [offset, offset + length) into `out`: the bytes read (fewer at EOF) or -errno.
// A descriptor that cannot seek (a pipe) is read from where it stands, whatever `offset`:
// the caller reads it in order, once. It has no holes (NextSourceData/Hole below).
int64_t ReadSourceAt(int fd, uint64_t offset, uint8_t* out, uint64_t length);

// The first data byte at or after `from`, `size` when there is none before it. A file
// whose holes cannot be asked about is all data.
uint64_t NextSourceData(int fd, uint64_t from, uint64_t size);
// The first hole at or after `from` (holes of such files: none, so `size`).
uint64_t NextSourceHole(int fd, uint64_t from, uint64_t size);

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_SOURCE_FILE_H_
