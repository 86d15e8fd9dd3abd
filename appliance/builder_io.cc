#include "appliance/builder_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace diskferry {
namespace {

struct ArchiveReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadCloser>;

Status ArchiveError(archive* a, const std::string& path) {
  const char* message = archive_error_string(a);
  return Status(Code::kIoError, path + ": " + (message ? message : "libarchive error"));
}

}  // namespace

Result<std::string> ReadFileToString(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path);
  std::string data;
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus(err, path);
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

Result<std::string> ReadOptionalFile(const std::string& path) {
  Result<std::string> data = ReadFileToString(path);
  if (!data.ok() && data.status().code() == Code::kNotFound) return std::string();
  return data;
}

Result<std::string> ReadDecompressed(const std::string& path) {
  // The "raw" format hands back the filtered stream as one entry; filter_all lets
  // libarchive recognise xz, zstd and gzip by their magic, not by the file name.
  ArchiveReader a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return ArchiveError(a.get(), path);
  }
  archive_entry* entry = nullptr;
  if (archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) return ArchiveError(a.get(), path);
  if (archive_filter_code(a.get(), 0) == ARCHIVE_FILTER_NONE) {
    return Status(Code::kInvalidArgument, path + ": not compressed in a format libarchive knows");
  }
  std::string data;
  char buffer[1 << 16];
  while (true) {
    la_ssize_t n = archive_read_data(a.get(), buffer, sizeof(buffer));
    if (n < 0) return ArchiveError(a.get(), path);
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  return data;
}

Status WriteNewFile(const std::string& path, std::string_view data, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus(errno, path);
  int err = 0;
  while (!data.empty() && err == 0) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno != EINTR) err = errno;
    if (n > 0) data.remove_prefix(static_cast<size_t>(n));
  }
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  return err == 0 ? Status::Ok() : ErrnoStatus(err, path);
}

Result<FileStamp> StampFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path);
  return FileStamp{static_cast<uint64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

}  // namespace diskferry
