// TarSink: the TreeSink of an extraction into a tar archive (libarchive, POSIX pax format)
// instead of a directory.
//
// The archive is written to PATH.partial and renamed to PATH by a successful Finish(), so
// a failed or interrupted run never leaves a half archive under the final name (an
// existing PATH is replaced only then). The destructor removes PATH.partial when Finish()
// did not succeed. Compression follows PATH's ending: ".tar" none, ".tar.gz" gzip,
// ".tar.zst" zstd.
//
// OpenStream writes to a descriptor instead (standard output, for `--tar -`): nothing is
// renamed, synced or removed, so what a failed or abandoned sink wrote stays on the
// stream as an incomplete archive, and the caller must say so and end non-zero. A stream
// whose reader went away (EPIPE) fails with kIoError "NAME: the reader went away (broken
// pipe); the archive is incomplete", without SIGPIPE (host_file.h's WriteToStream).
//
// What each entry keeps: its path as sent (raw bytes; pax marks names that are not valid
// in the current locale with hdrcharset=BINARY), mode & 07777 with the file type, numeric
// uid and gid (no user or group names), mtime in ns (pax "mtime" records; atime and ctime
// are not stored), symlink targets, hard links (to the earlier path, as tar does), fifos,
// and, as options.safety allows (host_safety.h: by default no device nodes, no
// setuid/setgid bits, no xattrs), device nodes with their rdev and xattrs (SCHILY.xattr
// and LIBARCHIVE.xattr records). Sockets cannot be stored in tar: they are FileProblems.
// kError records are not written; they land in report().source_errors.
//
// Stream files: the batch that announces a kStreamFile record goes on with other records
// before the file's bytes arrive (protocol/lane_packer.h), and the bytes may come in any
// order, while a tar entry must be written in one piece after its header. So each stream
// file's bytes are gathered in a SpoolFile (an unnamed temporary file in `spool_dir`,
// sized to the announced size) and the entry is written at OnStreamEnd; the records that
// arrived meanwhile are already in the archive before it. A hard link to a stream file
// still gathering waits for it (tar readers need the target first). The spool costs disk
// space in `spool_dir` for the stream files in flight (one at a time with LanePacker) and
// writes their bytes twice. With `sparse` on, the holes of a stream file (the ranges never
// sent) stay holes: the entry is a GNU sparse 1.0 pax entry, which GNU tar >= 1.23,
// bsdtar and Python's tarfile restore; older readers see a "DIR/GNUSparseFile.0/NAME" file
// holding the sparse map and the data. A stream file that ended short (its read failed
// midway; a kError record for it follows) is stored with the missing part as zeros.
//
// Failures: kInvalidArgument for an unknown extension; kProtocolError for records no
// honest source sends (unsafe path or hard-link target, NUL in a symlink target, bad xattr
// blob, stream file_id misuse, data outside the announced size, more than
// kMaxPendingStreams stream files in flight); kIoError when the archive, its .partial or a
// spool file cannot be written (ENOSPC included) -- after which every call fails with the
// same Status; kFailedPrecondition after Finish. An entry libarchive refuses on its own is
// a FileProblem in report() and the transfer goes on.
//
// Used by one thread at a time (the TreeSink contract).
#ifndef DISKFERRY_SINKS_TAR_SINK_H_
#define DISKFERRY_SINKS_TAR_SINK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "protocol/status.h"
#include "protocol/tree_io.h"
#include "sinks/file_report.h"
#include "sinks/held_budget.h"
#include "sinks/host_safety.h"

namespace diskferry {

enum class TarCompression { kNone, kGzip, kZstd };

struct TarOptions {
  // Device nodes, setuid/setgid bits and xattr namespaces: withheld by default, as from a
  // directory (host_safety.h), and counted in report().withheld.
  HostSafety safety;
  bool sparse = true;  // holes of stream files as GNU sparse entries; off: as zeros
  // preserve: [mode] / [times]. Without mode, entries get 0644 (directories 0755, symlinks
  // as they are); without times, the time the archive was opened.
  bool mode = true;
  bool times = true;
  // Where stream files wait for their last byte; empty: the archive's directory (for
  // OpenStream, the system's temporary directory: TMPDIR, else /tmp).
  std::string spool_dir;
  // Hard links waiting for their stream file and symlink paths remembered, at most.
  HeldLimits held;
};

struct TarStats {
  uint64_t files = 0;  // regular files, stream files included
  uint64_t dirs = 0;
  uint64_t symlinks = 0;
  uint64_t hardlinks = 0;
  uint64_t specials = 0;
  uint64_t bytes = 0;  // logical bytes of the files written (holes included)
};

class TarSink : public TreeSink {
 public:
  // Stream files that may be gathering at once: LanePacker keeps at most 32 in flight; a
  // peer announcing more is refused rather than allowed to exhaust descriptors or disk.
  static constexpr size_t kMaxPendingStreams = 256;

  // Creates PATH.partial (replacing a stale one) and starts the archive. kInvalidArgument
  // when PATH does not end in ".tar", ".tar.gz" or ".tar.zst"; kIoError/kNotFound naming
  // PATH.partial when it cannot be created.
  static Result<std::unique_ptr<TarSink>> Open(const std::string& path, const TarOptions& options);
  // Writes the archive to `fd`, which stays open and is the caller's; `name` names it in
  // messages ("standard output"). kIoError when libarchive cannot start the filter.
  static Result<std::unique_ptr<TarSink>> OpenStream(int fd, std::string name,
                                                     TarCompression compression,
                                                     const TarOptions& options);
  // The compression PATH's ending asks for; kInvalidArgument naming the known endings.
  static Result<TarCompression> CompressionFor(std::string_view path);
  ~TarSink() override;

  Status OnRecord(const Record& record) override;
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override;
  Status OnStreamEnd(uint64_t file_id) override;
  // Closes the archive, syncs it and renames PATH.partial to PATH (a stream: writes the
  // end of the archive and flushes it). kProtocolError if a stream file never ended (the
  // archive is then abandoned).
  Status Finish() override;

  const TarStats& stats() const;
  // problems: entries not stored; source_errors: kError records.
  const WriteReport& report() const;

 private:
  struct Impl;
  explicit TarSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_TAR_SINK_H_
