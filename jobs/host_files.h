// What a host path is, for the few cheap checks validation and planning make (does the
// source image exist; is an upload source a directory; can a key file be read). Injected
// so tests need no files.
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

// 0 when the file at `path` can be opened for reading, else the errno that opening gave
// (EACCES, ...).
using HostFileOpenCheck = std::function<int(const std::string& path)>;

// Opens the file for reading and closes it again: nothing is read. For regular files
// (opening a fifo could block). Thread-safe.
int OpenHostFileForReading(const std::string& path);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_HOST_FILES_H_
