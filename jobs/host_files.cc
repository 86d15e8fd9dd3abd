#include "jobs/host_files.h"

#include <sys/stat.h>

#include <cerrno>

namespace diskferry {

HostFileKind StatHostFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return (errno == ENOENT || errno == ENOTDIR) ? HostFileKind::kMissing : HostFileKind::kUnknown;
  }
  if (S_ISREG(st.st_mode)) return HostFileKind::kFile;
  if (S_ISDIR(st.st_mode)) return HostFileKind::kDirectory;
  if (S_ISBLK(st.st_mode)) return HostFileKind::kBlockDevice;
  return HostFileKind::kOther;
}

}  // namespace diskferry
