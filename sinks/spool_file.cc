#include "sinks/spool_file.h"

#include <cstdint>

#include "protocol/source_file.h"

namespace diskferry {
namespace {

bool InRange(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

}  // namespace

Result<SpoolFile> SpoolFile::Create(const std::string& dir, uint64_t size) {
  if (size > static_cast<uint64_t>(INT64_MAX)) {
    return Status(Code::kInvalidArgument, "spool file of " + std::to_string(size) + " bytes");
  }
  const std::string where = dir.empty() ? "." : dir;
  UniqueFd fd;
  if (int err = CreateUnnamedFile(where, &fd); err != 0) {
    return ErrnoStatus(err, "spool file in " + where);
  }
  if (int err = ResizeFile(fd.get(), size); err != 0) {
    return ErrnoStatus(err, "sizing a spool file in " + dir);
  }
  return SpoolFile(std::move(fd), size);
}

Status SpoolFile::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (!InRange(offset, data.size(), size_)) {
    return Status(Code::kInvalidArgument, "spool write of " + std::to_string(data.size()) +
                                              " bytes at " + std::to_string(offset) +
                                              " past its size " + std::to_string(size_));
  }
  if (int err = WriteFileAt(fd_.get(), offset, data); err != 0) {
    return ErrnoStatus(err, "writing a spool file");
  }
  return Status::Ok();
}

Status SpoolFile::Read(uint64_t offset, std::span<uint8_t> out) const {
  if (!InRange(offset, out.size(), size_)) {
    return Status(Code::kInvalidArgument, "spool read past its size");
  }
  const int64_t n = ReadSourceAt(fd_.get(), offset, out.data(), out.size());
  if (n < 0) return ErrnoStatus(static_cast<int>(-n), "reading a spool file");
  if (static_cast<uint64_t>(n) < out.size()) {
    return Status(Code::kIoError, "spool file shorter than its size");
  }
  return Status::Ok();
}

Result<std::vector<Extent>> SpoolFile::DataExtents() const {
  std::vector<Extent> extents;
  if (int err = FileDataExtents(fd_.get(), size_, &extents); err != 0) {
    return ErrnoStatus(err, "finding data in a spool file");
  }
  return extents;
}

}  // namespace diskferry
