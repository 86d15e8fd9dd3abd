// SpoolFile: an anonymous temporary file that holds one stream file's bytes until all of
// them have arrived, for sinks that can only write a file in one piece (TarSink). The file
// is sized first, so ranges never written stay holes on filesystems that have them, and
// DataExtents() can tell them apart from data afterwards. It has no name (host_file.h's
// CreateUnnamedFile: O_TMPFILE, else mkstemp then unlink; on Windows a sparse file deleted
// with POSIX semantics, else on close), so nothing is left behind however the process ends.
//
// Failures are kIoError naming the directory or the operation (ENOSPC included).
// Thread-compatible; movable, not copyable.
#ifndef DISKFERRY_SINKS_SPOOL_FILE_H_
#define DISKFERRY_SINKS_SPOOL_FILE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "sinks/host_file.h"
#include "sinks/unique_fd.h"

namespace diskferry {

class SpoolFile {
 public:
  // An unnamed file of `size` bytes in `dir`, all hole. kInvalidArgument if `size` is
  // larger than the largest file offset.
  static Result<SpoolFile> Create(const std::string& dir, uint64_t size);

  // Writes `data` at `offset`; the range must lie inside size() (checked, overflow-safe:
  // kInvalidArgument otherwise).
  Status Write(uint64_t offset, std::span<const uint8_t> data);
  // Reads exactly out.size() bytes at `offset` (holes read as zeros).
  Status Read(uint64_t offset, std::span<uint8_t> out) const;
  // The ranges that hold data, in order, found with SEEK_DATA/SEEK_HOLE (Windows:
  // FSCTL_QUERY_ALLOCATED_RANGES). On a filesystem without hole support this is one extent
  // covering the whole file; an all-hole file has none. Extents are in filesystem blocks
  // (Windows: sparse allocation units of 64 KiB), so a data extent may include some zeros.
  Result<std::vector<Extent>> DataExtents() const;

  uint64_t size() const { return size_; }

 private:
  SpoolFile(UniqueFd fd, uint64_t size) : fd_(std::move(fd)), size_(size) {}

  UniqueFd fd_;
  uint64_t size_ = 0;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_SPOOL_FILE_H_
