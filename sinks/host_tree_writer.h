// HostTreeWriter: the TreeSink of an extraction. Writes the records of a transfer under a
// host directory DEST and never outside it, whatever the (untrusted) guest sends:
//   - every record path is re-checked with ValidateRelativePath (kProtocolError otherwise);
//   - parents are opened component by component from DEST's descriptor with O_NOFOLLOW
//     (BeneathDir), so no symlink is ever followed, whether this transfer wrote it or it
//     was already in DEST; such a record becomes a FileProblem and nothing is written;
//   - an existing non-directory at a record's path is unlinked before the new entry is
//     created with O_EXCL | O_NOFOLLOW (never written through: not a symlink, not a hard
//     link shared with a file elsewhere); an existing directory is kept for a directory
//     record, removed if empty for any other, else a FileProblem;
//   - symlink targets are stored as data and never followed; hard links are made with
//     linkat() without AT_SYMLINK_FOLLOW from a target resolved the same way.
//
// What is preserved: contents (holes of stream files stay holes: the file is sized with
// ftruncate and only the sent ranges are written), mode & 07777, atime and mtime in ns
// (directories' in Finish, deepest first, since writing children changes them), ownership
// when `preserve_owner` resolves to true (by default: running as root), fifos and sockets.
// Withheld unless options.safety asks (host_safety.h; counted in report().withheld):
// device nodes, setuid/setgid bits of regular files, xattrs outside the asked scope (none
// by default; user.* for kUser). Not preserved: ctime; ownership as non-root (listed in
// report().owners_not_applied); device nodes the kernel refuses (not root: a FileProblem);
// setuid/setgid bits and security.capability on regular files when ownership is not
// applied (dropped with a FileProblem).
//
// Failures: kProtocolError for records no honest source sends (unsafe path or hard-link
// target, NUL in a symlink target, bad xattr blob, stream file_id misuse); kIoError when
// DEST's filesystem is full or read-only; kFailedPrecondition after Finish. Anything else
// that goes wrong with one file is a FileProblem in report() and the transfer goes on;
// kError records land in report().source_errors.
//
// On Windows (qemu-win/host_tree_writer_win.cc) the same rules hold through NT handles
// opened relative to their parent's with FILE_OPEN_REPARSE_POINT: no reparse point is
// followed, an existing entry is deleted through a handle to it. A name Windows cannot hold
// (reserved device name, trailing dot or space, <>:"\|?*, a control character, not UTF-8)
// is a FileProblem naming the guest path, never renamed. Symlinks, fifos, sockets and
// devices are FileProblems (not created); owners and modes do not apply (ACLs are
// inherited from DEST); times are kept to 100 ns.
//
// Used by one thread at a time (the TreeSink contract).
#ifndef DISKFERRY_SINKS_HOST_TREE_WRITER_H_
#define DISKFERRY_SINKS_HOST_TREE_WRITER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "protocol/tree_io.h"
#include "sinks/file_report.h"
#include "sinks/held_budget.h"
#include "sinks/host_metadata.h"
#include "sinks/host_safety.h"

namespace diskferry {

enum class OwnerPolicy {
  kAuto,    // preserve ownership when running as root (euid 0)
  kAlways,  // try to; failures are FileProblems
  kNever,
};

enum class OnExists {
  kOverwrite,  // replace an existing entry (see the header comment for how)
  kKeep,       // keep it, skip the record with a FileProblem
};

struct HostWriterOptions {
  OwnerPolicy preserve_owner = OwnerPolicy::kAuto;
  // Device nodes, setuid/setgid bits and xattr namespaces: withheld by default and
  // counted in report().withheld (host_safety.h).
  HostSafety safety;
  OnExists on_exists = OnExists::kOverwrite;
  // preserve: [mode] and [times] (host_metadata.h, MetadataPolicy).
  bool preserve_mode = true;
  bool preserve_times = true;
  // Finish() leaves directory metadata to the caller (TakePendingDirectories): several
  // writers filling one DEST at once (a split job) must not make a directory read-only
  // or set its times while another still writes into it.
  bool defer_directories = false;
  // Directories (pending metadata, and their paths to refuse repeats) and the ids of ended
  // stream files (to refuse data after an end) remembered, at most (held_budget.h): past
  // either limit the transfer stops with kProtocolError "protocol error: the appliance misbehaved:
  // more than N directories and ended stream files remembered (host memory limit)".
  HeldLimits held;
};

// A directory whose metadata waits for the end of the transfer.
struct PendingDirectory {
  std::string path;
  RecordMeta meta;
  XattrList xattrs;
};

struct HostWriterStats {
  uint64_t files = 0;  // regular files, stream files included
  uint64_t dirs = 0;
  uint64_t symlinks = 0;
  uint64_t hardlinks = 0;
  uint64_t specials = 0;
  uint64_t bytes = 0;  // file bytes written
};

class HostTreeWriter : public TreeSink {
 public:
  // DEST must be an existing directory (symlinks in DEST itself are followed: the user
  // named it). kNotFound or kIoError naming it otherwise.
  static Result<std::unique_ptr<HostTreeWriter>> Open(const std::string& dest,
                                                      const HostWriterOptions& options);
  ~HostTreeWriter() override;

  Status OnRecord(const Record& record) override;
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override;
  Status OnStreamEnd(uint64_t file_id) override;
  // Applies directory metadata deepest first. kProtocolError if a stream file never ended.
  Status Finish() override;

  // The directories whose metadata Finish() did not apply (defer_directories), or all of
  // them before Finish(); the writer forgets them.
  std::vector<PendingDirectory> TakePendingDirectories();
  // Directories another writer of the same DEST made, for this one's Finish() to apply.
  void AdoptDirectories(std::vector<PendingDirectory> dirs);
  // After a transfer broke off: removes the stream files this writer created whose data
  // never all arrived (only if they are still the files it made), so no partial file is
  // left looking complete. Returns how many were removed.
  size_t RemoveUnfinished();

  const HostWriterStats& stats() const;
  const WriteReport& report() const;
  // Whether ownership is being applied (preserve_owner resolved).
  bool preserves_owner() const;

 private:
  struct Impl;
  explicit HostTreeWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_HOST_TREE_WRITER_H_
