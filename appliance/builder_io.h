// Small file helpers for the image builder: whole-file reads and writes, file stamps,
// and decompression of module files. Failures are Status values naming the path.
// Thread-safe (no shared state).
#ifndef DISKFERRY_APPLIANCE_BUILDER_IO_H_
#define DISKFERRY_APPLIANCE_BUILDER_IO_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace diskferry {

// The whole content of `path`.
Result<std::string> ReadFileToString(const std::string& path);

// Like ReadFileToString, but a missing file reads as "" (optional index files).
Result<std::string> ReadOptionalFile(const std::string& path);

// The content of a compressed file (xz, zstd, gzip, ...: whatever libarchive's filters
// know), decompressed. Errors: kInvalidArgument when no filter recognises the data.
Result<std::string> ReadDecompressed(const std::string& path);

// Creates `path` (O_EXCL: it must not exist) with `data` and `mode`, then fsyncs it so a
// cache entry published afterwards never holds a short file after a crash.
Status WriteNewFile(const std::string& path, std::string_view data, mode_t mode);

// Size and modification time: cheap evidence that a file changed, without reading it.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};
Result<FileStamp> StampFile(const std::string& path);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_BUILDER_IO_H_
