// TarSink: opening and finishing the archive, checking records, gathering stream files.
#include "sinks/tar_sink.h"

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "host/host_path.h"
#include "protocol/check.h"
#include "sinks/host_file.h"
#include "sinks/tar_sink_impl.h"

namespace diskferry {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string TemporaryDirectory() {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  return ec ? std::string(".") : Utf8Of(dir);
}

Status ProtocolError(std::string message) {
  return Status(Code::kProtocolError, std::move(message));
}

}  // namespace

Result<TarCompression> TarSink::CompressionFor(std::string_view path) {
  if (EndsWith(path, ".tar")) return TarCompression::kNone;
  if (EndsWith(path, ".tar.gz")) return TarCompression::kGzip;
  if (EndsWith(path, ".tar.zst")) return TarCompression::kZstd;
  return Status(Code::kInvalidArgument,
                std::string(path) + ": unknown archive type; use .tar, .tar.gz or .tar.zst");
}

TarSink::Impl::Impl(const std::string& path, const TarOptions& opts, int stream)
    : final_path(path),
      partial_path(stream >= 0 ? path : path + ".partial"),
      spool_dir(!opts.spool_dir.empty() ? opts.spool_dir
                : stream >= 0           ? TemporaryDirectory()
                                        : DirectoryOf(path)),
      options(opts),
      stream_fd(stream),
      held("hard links waiting for their target, symlinks and ended stream files remembered",
           opts.held),
      opened_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count()) {}

TarSink::Impl::~Impl() {
  abandoned = stream_fd >= 0 && state != State::kFinished;
  {
    ArchiveCharsetScope utf8(charset);
    ar.reset();  // before `fd` closes: freeing an unfinished archive still flushes into it
  }
  fd.reset();  // Windows removes no file that is still open
  if (created && state != State::kFinished) (void)RemoveHostFile(partial_path);
}

Status TarSink::Impl::OpenPartial() {
  // A stale PATH.partial (an earlier run's, or a symlink or hard link someone put there)
  // is removed, never opened: the archive goes into a file this run created.
  int err = OpenHostFile(partial_path, HostOpen::kCreateNew, &fd);
  if (err == EEXIST) {
    if (int removed = RemoveHostFile(partial_path); removed != 0 && removed != ENOENT) {
      return ErrnoStatus(removed, "removing the stale " + partial_path);
    }
    err = OpenHostFile(partial_path, HostOpen::kCreateNew, &fd);
  }
  if (err != 0) return ErrnoStatus(err, partial_path);
  created = true;
  return Status::Ok();
}

la_ssize_t TarSink::Impl::WriteStreamCallback(archive* a, void* self, const void* buffer,
                                              size_t size) {
  auto* impl = static_cast<Impl*>(self);
  if (impl->abandoned) {
    archive_set_error(a, ECANCELED, "abandoned");
    return -1;
  }
  const int err =
      WriteToStream(impl->stream_fd, std::span(static_cast<const uint8_t*>(buffer), size));
  if (err == 0) return static_cast<la_ssize_t>(size);
  impl->stream_errno = err;
  archive_set_error(a, err, "%s",
                    err == EPIPE ? "the reader went away (broken pipe)" : std::strerror(err));
  return -1;
}

Status TarSink::Impl::Start(TarCompression compression) {
  if (stream_fd < 0) {
    if (Status st = OpenPartial(); !st.ok()) return st;
  }
  ar.reset(archive_write_new());
  DF_CHECK(ar != nullptr);
  // Full pax rather than "pax restricted": restricted writes an mtime record (the only
  // place nanoseconds fit) only for entries that need an extended header anyway.
  int r = archive_write_set_format_pax(ar.get());
  if (r == ARCHIVE_OK && compression == TarCompression::kGzip) {
    r = archive_write_add_filter_gzip(ar.get());
  } else if (r == ARCHIVE_OK && compression == TarCompression::kZstd) {
    r = archive_write_add_filter_zstd(ar.get());  // ARCHIVE_WARN: runs the zstd program
  }
  // 64 KiB writes instead of the 10 KiB tape default; the last block is not padded
  // (libarchive's default for regular files).
  if (r >= ARCHIVE_WARN) r = archive_write_set_bytes_per_block(ar.get(), 64 * 1024);
  // libarchive pads the last block of anything but a regular file to the full 64 KiB,
  // after compression: zeros after a zstd frame make `zstd -d` fail ("unsupported
  // format") and gzip warn. A stream ends where the archive does, as a file does.
  if (r >= ARCHIVE_WARN && stream_fd >= 0) r = archive_write_set_bytes_in_last_block(ar.get(), 1);
  if (r >= ARCHIVE_WARN) {
    r = stream_fd >= 0
            ? archive_write_open2(ar.get(), this, nullptr, &WriteStreamCallback, nullptr, nullptr)
            : archive_write_open_fd(ar.get(), fd.get());
  }
  if (r < ARCHIVE_WARN) return ArchiveFailure(partial_path);
  return Status::Ok();
}

Status TarSink::Impl::CheckOpen() const {
  if (state == State::kFinished) {
    return Status(Code::kFailedPrecondition, final_path + ": archive already finished");
  }
  return state == State::kFailed ? failure : Status::Ok();
}

Status TarSink::Impl::Fail(Status status) {
  state = State::kFailed;
  failure = status;
  return status;
}

// Checks what no honest source sends; these stop the transfer.
Status TarSink::Impl::CheckRecord(const Record& r, Xattrs* xattrs) {
  if (Status st = ValidateRelativePath(r.path); !st.ok()) return st;
  const std::string where = "record " + QuotedText(r.path);
  if (r.meta.type == RecordType::kSymlink && r.target.find('\0') != std::string_view::npos) {
    return ProtocolError(where + ": symlink target contains NUL");
  }
  if (r.meta.type == RecordType::kHardlink) {
    if (Status st = ValidateRelativePath(r.target); !st.ok()) {
      return st.WithContext(where + ": hard link target");
    }
  }
  if (options.safety.xattrs != XattrScope::kNone && !r.xattrs.empty()) {
    auto decoded = DecodeXattrs(r.xattrs);
    if (!decoded.ok()) return decoded.status().WithContext(where);
    *xattrs = std::move(*decoded);
    FilterXattrs(r.path, options.safety, xattrs, &report.withheld);
  }
  return Status::Ok();
}

const std::string* TarSink::Impl::SymlinkAbove(std::string_view path) const {
  if (symlink_paths.empty()) return nullptr;
  for (size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    auto it = symlink_paths.find(std::string(path.substr(0, slash)));
    if (it != symlink_paths.end()) return &*it;
  }
  return nullptr;
}

// A naive `tar -x` opens each entry's parents by name, so an entry beneath an earlier
// symlink entry would be written wherever the symlink points, and a hard link to a path
// beneath one would link that file in.
Result<bool> TarSink::Impl::RefusedBeneathSymlink(const Record& r) {
  if (symlink_paths.empty() || r.meta.type == RecordType::kError) return false;
  std::string why;
  if (const std::string* link = SymlinkAbove(r.path)) {
    why = "not stored: beneath symlink " + QuotedText(*link);
  } else if (r.meta.type == RecordType::kHardlink) {
    if (const std::string* to = SymlinkAbove(r.target)) {
      why = "not stored: hard link to " + QuotedText(r.target) + ", beneath symlink " +
            QuotedText(*to);
    }
  }
  if (why.empty()) return false;
  if (r.meta.type == RecordType::kStreamFile) {
    const uint64_t id = r.meta.file_id;
    if (streams.contains(id) || ended_streams.contains(id) || refused_streams.contains(id)) {
      return ProtocolError("stream file " + QuotedText(r.path) + ": file_id " + std::to_string(id) +
                           " already used");
    }
    if (Status st = held.Take(0); !st.ok()) return st;
    refused_streams.emplace(id, r.meta.size);
  }
  report.problems.Add({std::string(r.path), why + ", which a tar reader would follow"});
  return true;
}

Status TarSink::Impl::RememberSymlink(const Record& r) {
  std::string path(r.path);
  if (symlink_paths.contains(path)) return Status::Ok();
  if (Status st = held.Take(path.size()); !st.ok()) return st;
  symlink_paths.insert(std::move(path));
  return Status::Ok();
}

Status TarSink::Impl::OnRecord(const Record& r) {
  if (Status st = CheckOpen(); !st.ok()) return st;
  Xattrs xattrs;
  if (Status st = CheckRecord(r, &xattrs); !st.ok()) return st;
  Result<bool> refused = RefusedBeneathSymlink(r);
  if (!refused.ok()) return refused.status();
  if (*refused) return Status::Ok();
  switch (r.meta.type) {
    case RecordType::kError:
      report.source_errors.Add({std::string(r.path), r.meta.errno_value, std::string(r.target)});
      return Status::Ok();
    case RecordType::kStreamFile:
      return BeginStream(r, std::move(xattrs));
    case RecordType::kSpecial:
      if (WithholdDevice(r.path, r.meta, options.safety, &report.withheld)) return Status::Ok();
      return WriteRecord(r, xattrs);
    case RecordType::kHardlink: {
      std::string target(r.target);
      if (stream_paths.contains(target)) {
        if (Status st = held.Take(r.path.size() + target.size()); !st.ok()) return st;
        deferred_links[target].push_back({std::string(r.path), target, r.meta});
        return Status::Ok();
      }
      return WriteHardlink(r.path, target, r.meta);
    }
    case RecordType::kSymlink:
      if (Status st = RememberSymlink(r); !st.ok()) return st;
      return WriteRecord(r, xattrs);
    default:
      return WriteRecord(r, xattrs);
  }
}

Status TarSink::Impl::BeginStream(const Record& r, Xattrs xattrs) {
  const uint64_t id = r.meta.file_id;
  const std::string where = "stream file " + QuotedText(r.path);
  if (streams.contains(id) || ended_streams.contains(id) || refused_streams.contains(id)) {
    return ProtocolError(where + ": file_id " + std::to_string(id) + " already used");
  }
  if (streams.size() >= kMaxPendingStreams) {
    return ProtocolError(where + ": more than " + std::to_string(kMaxPendingStreams) +
                         " stream files announced before their data ended");
  }
  if (r.meta.size > static_cast<uint64_t>(INT64_MAX)) {
    return ProtocolError(where + ": size " + std::to_string(r.meta.size) + " too large");
  }
  Result<SpoolFile> spool = SpoolFile::Create(spool_dir, r.meta.size);
  if (!spool.ok()) return Fail(spool.status().WithContext(where));
  std::string path(r.path);
  stream_paths[path] = id;
  streams.emplace(id, PendingStream{std::move(path), r.meta, std::move(xattrs), std::move(*spool)});
  return Status::Ok();
}

Status TarSink::Impl::StreamData(uint64_t id, uint64_t offset, std::span<const uint8_t> data) {
  if (Status st = CheckOpen(); !st.ok()) return st;
  auto it = streams.find(id);
  if (it == streams.end()) {
    auto refused = refused_streams.find(id);
    if (refused == refused_streams.end()) {
      return ProtocolError("stream data for unknown or ended file_id " + std::to_string(id));
    }
    if (offset > refused->second || data.size() > refused->second - offset) {
      return ProtocolError("stream data for file_id " + std::to_string(id) + " past its size");
    }
    return Status::Ok();  // beneath a symlink: not stored
  }
  const uint64_t size = it->second.meta.size;
  if (offset > size || data.size() > size - offset) {
    return ProtocolError("stream file " + QuotedText(it->second.path) + ": " +
                         std::to_string(data.size()) + " bytes at offset " +
                         std::to_string(offset) + " past its size " + std::to_string(size));
  }
  if (Status st = it->second.spool.Write(offset, data); !st.ok()) {
    return Fail(st.WithContext("stream file " + QuotedText(it->second.path)));
  }
  return Status::Ok();
}

Status TarSink::Impl::StreamEnd(uint64_t id) {
  if (Status st = CheckOpen(); !st.ok()) return st;
  if (refused_streams.erase(id) > 0) {
    ended_streams.insert(id);  // its entry in `held` stays, for ended_streams
    return Status::Ok();
  }
  if (!streams.contains(id)) {
    return ProtocolError("end of stream for unknown or ended file_id " + std::to_string(id));
  }
  if (Status st = held.Take(0); !st.ok()) return st;
  auto node = streams.extract(id);
  ended_streams.insert(id);
  const PendingStream& stream = node.mapped();
  stream_paths.erase(stream.path);
  if (Status st = WriteStreamEntry(stream); !st.ok()) return st;
  return WriteDeferredLinks(stream.path);
}

Status TarSink::Impl::Finish() {
  if (Status st = CheckOpen(); !st.ok()) return st;
  if (!streams.empty()) {
    return Fail(
        ProtocolError("stream file " + QuotedText(streams.begin()->second.path) + " never ended"));
  }
  if (Status st = Close(); !st.ok()) return Fail(st);
  state = State::kFinished;
  return Status::Ok();
}

// Syncs before the rename so that a crash never leaves PATH naming a half-written file.
Status TarSink::Impl::Close() {
  if (archive_write_close(ar.get()) < ARCHIVE_WARN) return ArchiveFailure(partial_path);
  ar.reset();
  if (stream_fd >= 0) return Status::Ok();  // a pipe cannot be synced; nothing to rename
  if (int err = SyncFile(fd.get()); err != 0) return ErrnoStatus(err, partial_path);
  if (int err = CloseFile(&fd); err != 0) return ErrnoStatus(err, partial_path);
  if (int err = RenameHostFile(partial_path, final_path); err != 0) {
    return ErrnoStatus(err, "renaming " + partial_path + " to " + final_path);
  }
  return Status::Ok();
}

TarSink::TarSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TarSink::~TarSink() = default;

Result<std::unique_ptr<TarSink>> TarSink::Open(const std::string& path, const TarOptions& options) {
  Result<TarCompression> compression = CompressionFor(path);
  if (!compression.ok()) return compression.status();
  auto impl = std::make_unique<Impl>(path, options);
  {
    ArchiveCharsetScope utf8(impl->charset);
    if (Status st = impl->Start(*compression); !st.ok()) return st;
  }
  return std::unique_ptr<TarSink>(new TarSink(std::move(impl)));
}

Result<std::unique_ptr<TarSink>> TarSink::OpenStream(int fd, std::string name,
                                                     TarCompression compression,
                                                     const TarOptions& options) {
  auto impl = std::make_unique<Impl>(name, options, fd);
  {
    ArchiveCharsetScope utf8(impl->charset);
    if (Status st = impl->Start(compression); !st.ok()) return st;
  }
  return std::unique_ptr<TarSink>(new TarSink(std::move(impl)));
}

Status TarSink::OnRecord(const Record& record) {
  ArchiveCharsetScope utf8(impl_->charset);
  return impl_->OnRecord(record);
}

Status TarSink::OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) {
  return impl_->StreamData(file_id, offset, data);  // spool only: no libarchive call
}

Status TarSink::OnStreamEnd(uint64_t file_id) {
  ArchiveCharsetScope utf8(impl_->charset);
  return impl_->StreamEnd(file_id);
}

Status TarSink::Finish() {
  ArchiveCharsetScope utf8(impl_->charset);
  return impl_->Finish();
}
const TarStats& TarSink::stats() const { return impl_->stats; }
const WriteReport& TarSink::report() const { return impl_->report; }

}  // namespace diskferry
