// TarSink: records and gathered stream files turned into libarchive entries.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "host/file_mode.h"
#include "protocol/check.h"
#include "sinks/tar_sink_impl.h"

namespace diskferry {
namespace {

constexpr int64_t kNsPerSecond = 1000000000;

// The entry type a record becomes; nullopt for what tar cannot hold (sockets) or a special
// record whose mode names no special type.
std::optional<unsigned> EntryType(const RecordMeta& meta) {
  switch (meta.type) {
    case RecordType::kFile:
    case RecordType::kStreamFile:
    case RecordType::kHardlink:
      return AE_IFREG;
    case RecordType::kDirectory:
      return AE_IFDIR;
    case RecordType::kSymlink:
      return AE_IFLNK;
    case RecordType::kSpecial:
      break;
    case RecordType::kError:
      return std::nullopt;
  }
  // libarchive's AE_IF* are the Linux values, on every host.
  const unsigned type = ModeType(meta.mode);
  if (type == kModeCharDevice || type == kModeBlockDevice || type == kModeFifo) return type;
  return std::nullopt;
}

std::string UnstorableProblem(const RecordMeta& meta) {
  if (ModeType(meta.mode) == kModeSocket) return "not stored: tar cannot hold sockets";
  char mode[16];
  std::snprintf(mode, sizeof mode, "%o", meta.mode);
  return std::string("not stored: special file of unknown type (mode ") + mode + ")";
}

bool HasHoles(const std::vector<Extent>& extents, uint64_t size) {
  uint64_t data = 0;
  for (const Extent& e : extents) data += e.length;
  return data < size;
}

}  // namespace

EntryPtr TarSink::Impl::NewEntry(std::string_view path, const RecordMeta& meta, uint32_t perm,
                                 unsigned filetype, const Xattrs& xattrs) const {
  EntryPtr entry(archive_entry_new());
  DF_CHECK(entry != nullptr);
  SetEntryPath(entry.get(), path);
  archive_entry_set_filetype(entry.get(), filetype);
  uint32_t shown = perm & kModePermissionMask;
  if (!options.mode && filetype != AE_IFLNK) shown = filetype == AE_IFDIR ? 0755 : 0644;
  archive_entry_set_perm(entry.get(), shown);
  archive_entry_set_uid(entry.get(), meta.uid);
  archive_entry_set_gid(entry.get(), meta.gid);
  // Floor division: times before 1970 keep a non-negative nanosecond part.
  const int64_t mtime_ns = options.times ? meta.mtime_ns : opened_ns;
  int64_t sec = mtime_ns / kNsPerSecond;
  int64_t nsec = mtime_ns % kNsPerSecond;
  if (nsec < 0) {
    sec -= 1;
    nsec += kNsPerSecond;
  }
  archive_entry_set_mtime(entry.get(), static_cast<time_t>(sec), static_cast<long>(nsec));
  for (const auto& [name, value] : xattrs) {
    archive_entry_xattr_add_entry(entry.get(), name.c_str(), value.data(), value.size());
  }
  return entry;
}

Status TarSink::Impl::WriteRecord(const Record& r, const Xattrs& xattrs) {
  const std::optional<unsigned> type = EntryType(r.meta);
  if (!type) {
    report.problems.Add({std::string(r.path), UnstorableProblem(r.meta)});
    return Status::Ok();
  }
  const uint32_t perm = *type == AE_IFREG
                            ? SafeFileMode(r.path, r.meta.mode, options.safety, &report.withheld)
                            : r.meta.mode;
  EntryPtr entry = NewEntry(r.path, r.meta, perm, *type, xattrs);
  if (*type == AE_IFLNK) SetEntrySymlink(entry.get(), r.target);
  if (*type == AE_IFREG) archive_entry_set_size(entry.get(), static_cast<int64_t>(r.data.size()));
  if (*type == AE_IFCHR || *type == AE_IFBLK) archive_entry_set_rdev(entry.get(), r.meta.rdev);
  bool written = false;
  if (Status st = WriteHeader(entry.get(), r.path, &written); !st.ok() || !written) return st;
  if (*type == AE_IFREG) {
    if (Status st = WriteData(r.data); !st.ok()) return st;
  }
  Count(*type, r.data.size());
  return EndEntry(r.path);
}

void TarSink::Impl::Count(unsigned filetype, uint64_t bytes) {
  switch (filetype) {
    case AE_IFREG:
      ++stats.files;
      stats.bytes += bytes;
      break;
    case AE_IFDIR:
      ++stats.dirs;
      break;
    case AE_IFLNK:
      ++stats.symlinks;
      break;
    default:
      ++stats.specials;
  }
}

Status TarSink::Impl::WriteHardlink(std::string_view path, const std::string& target,
                                    const RecordMeta& meta) {
  // A hard link entry's mode is its target's; tar readers take the target's file, but a
  // naive one could apply this mode too: withheld bits stay withheld (not counted again).
  Withheld counted_with_target;
  EntryPtr entry =
      NewEntry(path, meta, SafeFileMode(path, meta.mode, options.safety, &counted_with_target),
               AE_IFREG, {});
  SetEntryHardlink(entry.get(), target);
  archive_entry_set_size(entry.get(), 0);
  bool written = false;
  if (Status st = WriteHeader(entry.get(), path, &written); !st.ok() || !written) return st;
  ++stats.hardlinks;
  return EndEntry(path);
}

Status TarSink::Impl::WriteDeferredLinks(const std::string& target) {
  auto node = deferred_links.extract(target);
  if (node.empty()) return Status::Ok();
  for (const DeferredLink& link : node.mapped()) {
    held.Give(link.path.size() + link.target.size());
    if (Status st = WriteHardlink(link.path, link.target, link.meta); !st.ok()) return st;
  }
  return Status::Ok();
}

Status TarSink::Impl::WriteStreamEntry(const PendingStream& stream) {
  Result<std::vector<Extent>> extents = stream.spool.DataExtents();
  if (!extents.ok()) return Fail(extents.status().WithContext(QuotedText(stream.path)));
  const uint64_t size = stream.meta.size;
  const uint32_t perm =
      SafeFileMode(stream.path, stream.meta.mode, options.safety, &report.withheld);
  EntryPtr entry = NewEntry(stream.path, stream.meta, perm, AE_IFREG, stream.xattrs);
  archive_entry_set_size(entry.get(), static_cast<int64_t>(size));
  const bool sparse = options.sparse && HasHoles(*extents, size);
  std::vector<Extent> blocks = sparse ? std::move(*extents) : std::vector<Extent>{{0, size}};
  // GNU tar's map for a file that is all hole: one empty block at its end.
  if (blocks.empty()) blocks.push_back({size, 0});
  if (sparse) {
    for (const Extent& e : blocks) {
      archive_entry_sparse_add_entry(entry.get(), static_cast<int64_t>(e.offset),
                                     static_cast<int64_t>(e.length));
    }
  }
  bool written = false;
  if (Status st = WriteHeader(entry.get(), stream.path, &written); !st.ok() || !written) return st;
  if (Status st = CopySpool(stream.spool, blocks); !st.ok()) return st;
  Count(AE_IFREG, size);
  return EndEntry(stream.path);
}

// libarchive's pax writer takes a sparse entry's bytes in logical order, holes included,
// and drops the hole bytes itself; it ignores anything past the last data block.
Status TarSink::Impl::CopySpool(const SpoolFile& spool, const std::vector<Extent>& extents) {
  copy_buffer.resize(kCopyChunk);
  uint64_t pos = 0;
  for (const Extent& e : extents) {
    if (Status st = WriteZeros(e.offset - pos); !st.ok()) return st;
    for (uint64_t done = 0; done < e.length;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kCopyChunk, e.length - done));
      const std::span<uint8_t> chunk(copy_buffer.data(), n);
      if (Status st = spool.Read(e.offset + done, chunk); !st.ok()) return Fail(st);
      if (Status st = WriteData(chunk); !st.ok()) return st;
      done += n;
    }
    pos = e.offset + e.length;
  }
  return Status::Ok();
}

Status TarSink::Impl::WriteZeros(uint64_t count) {
  if (count > 0) zeros.resize(kCopyChunk);
  while (count > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kCopyChunk, count));
    if (Status st = WriteData(std::span<const uint8_t>(zeros.data(), n)); !st.ok()) return st;
    count -= n;
  }
  return Status::Ok();
}

Status TarSink::Impl::WriteHeader(archive_entry* entry, std::string_view path, bool* written) {
  const int r = archive_write_header(ar.get(), entry);
  *written = r >= ARCHIVE_WARN;  // WARN: e.g. a name not valid in the locale, stored raw
  if (r >= ARCHIVE_WARN) return Status::Ok();
  if (r == ARCHIVE_FAILED) {
    const char* why = archive_error_string(ar.get());
    report.problems.Add({std::string(path), std::string("not stored: ") + (why ? why : "refused")});
    return Status::Ok();
  }
  return ArchiveFailure("writing " + QuotedText(path) + " to " + partial_path);
}

Status TarSink::Impl::WriteData(std::span<const uint8_t> data) {
  while (!data.empty()) {
    const la_ssize_t n = archive_write_data(ar.get(), data.data(), data.size());
    if (n < 0) return ArchiveFailure("writing file data to " + partial_path);
    if (n == 0) break;  // past what the entry stores (a sparse file's trailing hole)
    data = data.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status TarSink::Impl::EndEntry(std::string_view path) {
  if (archive_write_finish_entry(ar.get()) < ARCHIVE_WARN) {
    return ArchiveFailure("writing " + QuotedText(path) + " to " + partial_path);
  }
  return Status::Ok();
}

Status TarSink::Impl::ArchiveFailure(std::string_view what) {
  const int err = archive_errno(ar.get());
  const char* message = archive_error_string(ar.get());
  std::string text = std::string(what) + ": " + (message ? message : "libarchive failed");
  if (err > 0 && message == nullptr) text += std::string(": ") + std::strerror(err);
  // A stream's reader sees the archive break off: say so once, not per entry.
  if (stream_fd >= 0 && stream_errno != 0) {
    text = partial_path + ": " +
           (stream_errno == EPIPE ? std::string("the reader went away (broken pipe)")
                                  : std::string(std::strerror(stream_errno))) +
           "; the archive is incomplete";
  }
  return Fail(Status(Code::kIoError, std::move(text)));
}

}  // namespace diskferry
