#include "pipeline/spool_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace diskferry {
namespace {

// O_TMPFILE needs filesystem support (ext4, xfs, btrfs and tmpfs have it; some network and
// FUSE filesystems do not): fall back to a named file unlinked at once.
Result<UniqueFd> OpenUnnamed(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd.valid()) return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return ErrnoStatus(errno, "spool file in " + dir);
  }
  std::string name = dir + "/.diskferry-spool-XXXXXX";
  fd.reset(mkostemp(name.data(), O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "spool file in " + dir);
  unlink(name.c_str());
  return fd;
}

bool InRange(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

}  // namespace

Result<SpoolFile> SpoolFile::Create(const std::string& dir, uint64_t size) {
  if (size > static_cast<uint64_t>(INT64_MAX)) {
    return Status(Code::kInvalidArgument, "spool file of " + std::to_string(size) + " bytes");
  }
  Result<UniqueFd> fd = OpenUnnamed(dir.empty() ? "." : dir);
  if (!fd.ok()) return fd.status();
  if (ftruncate(fd->get(), static_cast<off_t>(size)) != 0) {
    return ErrnoStatus(errno, "sizing a spool file in " + dir);
  }
  return SpoolFile(std::move(*fd), size);
}

Status SpoolFile::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (!InRange(offset, data.size(), size_)) {
    return Status(Code::kInvalidArgument, "spool write of " + std::to_string(data.size()) +
                                              " bytes at " + std::to_string(offset) +
                                              " past its size " + std::to_string(size_));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = pwrite(fd_.get(), data.data() + done, data.size() - done,
                             static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "writing a spool file");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SpoolFile::Read(uint64_t offset, std::span<uint8_t> out) const {
  if (!InRange(offset, out.size(), size_)) {
    return Status(Code::kInvalidArgument, "spool read past its size");
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "reading a spool file");
    if (n == 0) return Status(Code::kIoError, "spool file shorter than its size");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::vector<Extent>> SpoolFile::DataExtents() const {
  std::vector<Extent> extents;
  off_t pos = 0;
  const auto end = static_cast<off_t>(size_);
  while (pos < end) {
    const off_t data = lseek(fd_.get(), pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // only a hole is left
    if (data < 0) return ErrnoStatus(errno, "finding data in a spool file");
    if (data >= end) break;
    off_t hole = lseek(fd_.get(), data, SEEK_HOLE);
    if (hole < 0) return ErrnoStatus(errno, "finding holes in a spool file");
    if (hole > end) hole = end;
    extents.push_back({static_cast<uint64_t>(data), static_cast<uint64_t>(hole - data)});
    pos = hole;
  }
  return extents;
}

}  // namespace diskferry
