#include "jobs/host_files.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "host/host_path.h"

namespace diskferry {

// std::filesystem::status is stat(2) on Linux (ENOENT and ENOTDIR give not_found) and
// _wstat on Windows, which has no block devices to report.
HostFileKind StatHostFile(const std::string& path) {
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  if (!fs_path.ok()) return HostFileKind::kUnknown;
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(*fs_path, ec);
  if (st.type() == std::filesystem::file_type::not_found) return HostFileKind::kMissing;
  if (ec) return HostFileKind::kUnknown;
  switch (st.type()) {
    case std::filesystem::file_type::regular:
      return HostFileKind::kFile;
    case std::filesystem::file_type::directory:
      return HostFileKind::kDirectory;
    case std::filesystem::file_type::block:
      return HostFileKind::kBlockDevice;
    default:
      return HostFileKind::kOther;
  }
}

int OpenHostFileForReading(const std::string& path) {
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  if (!fs_path.ok()) return EINVAL;
  errno = 0;
  std::ifstream in(*fs_path, std::ios::binary);
  if (in.is_open()) return 0;
  return errno != 0 ? errno : EACCES;
}

}  // namespace diskferry
