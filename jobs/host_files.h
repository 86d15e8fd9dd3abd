// What a host path is, for the few cheap checks validation and planning make (does the
// source image exist; is an upload source a directory). Injected so tests need no files.
#ifndef DISKFERRY_JOBS_HOST_FILES_H_
#define DISKFERRY_JOBS_HOST_FILES_H_

#include <functional>
#include <string>

namespace diskferry {

enum class HostFileKind {
  kMissing,  // ENOENT or ENOTDIR
  kFile,     // a regular file
  kDirectory,
  kBlockDevice,
  kOther,    // fifo, socket, character device
  kUnknown,  // stat failed otherwise (EACCES, ...): left to the runner to report
};

using HostFileProbe = std::function<HostFileKind(const std::string& path)>;

// stat(2) (Windows: _wstat) of a UTF-8 path, following symlinks. Thread-safe.
HostFileKind StatHostFile(const std::string& path);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_HOST_FILES_H_
