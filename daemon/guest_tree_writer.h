// GuestTreeWriter: the TreeSink of an injection. Recreates the records it is given under
// `root`, a directory inside the mounted filesystem (created like mkdir -p if missing).
//
// Record paths are relative to the root. Each is resolved inside the sysroot
// (RESOLVE_IN_ROOT: a symlink already in the image may redirect a parent, but never out of
// the mounted filesystem) and the last component is created with *at() calls that never
// follow it:
// - directories: an existing directory (or a symlink to one) is kept; mode and times are
//   applied in Finish(), deepest first, so that a read-only directory can still be filled
//   and its mtime is not disturbed by its children;
// - regular files, symlinks, hard links (linkat to the earlier path within the root) and
//   special files (mknodat) replace an existing non-directory of that name: it is unlinked
//   first, so a symlink there is never followed and other hard links to it keep their
//   contents;
// - kStreamFile: created and ftruncate'd to its size (holes stay holes), then
//   OnStreamData writes at offsets and OnStreamEnd applies its metadata;
// - file data: in files of kDirectMinSize or more, by O_DIRECT where its address, offset
//   and length are multiples of kDirectAlignment (a kFile record's data is first copied
//   to an aligned buffer, its page-aligned part written so), the rest through the page
//   cache, and all of it through the page cache on a filesystem without O_DIRECT.
//   Finish()'s syncfs makes both durable;
// - metadata: owner (only with `owners`) and mode, unless creating the regular file gave
//   it both already (the daemon's own ids, no set-ID bits, nothing the umask takes), then
//   xattrs (only with `xattrs`), then atime and mtime, after the data;
// - kError records (the host could not read a file) are reported as they are.
// A failure for one path (EEXIST on a directory, EPERM, ENOSPC, ...) is collected as a
// FileError and the transfer goes on; only EROFS, which every later write would hit too,
// fails the sink.
//
// Used from the serving thread only (thread-compatible).
#ifndef DISKFERRY_DAEMON_GUEST_TREE_WRITER_H_
#define DISKFERRY_DAEMON_GUEST_TREE_WRITER_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/op_result.h"
#include "daemon/scoped_fd.h"
#include "protocol/page_aligned_allocator.h"
#include "protocol/tree_io.h"

namespace diskferry::daemon {

// File data goes by O_DIRECT when its address, offset and length are multiples of this
// (every logical block size Linux allows divides it) and the file has kDirectMinSize bytes.
inline constexpr uint64_t kDirectAlignment = 4096;
inline constexpr uint64_t kDirectMinSize = uint64_t{64} << 10;

struct WriterOptions {
  bool xattrs = false;  // apply the records' extended attributes
  bool owners = true;   // apply the records' uid and gid
};

// One path that could not be written.
struct FileError {
  std::string path;     // relative to the transfer root
  std::string code;     // symbolic errno: "EPERM"
  std::string message;  // "/srv/x/etc/hostname: Operation not permitted"
};

class GuestTreeWriter : public TreeSink {
 public:
  // Creates `root` (mkdir -p, mode 0755) inside the sysroot if missing; errors name it.
  static OpResult<std::unique_ptr<GuestTreeWriter>> Create(std::string sysroot,
                                                           std::string_view root,
                                                           WriterOptions options);
  ~GuestTreeWriter() override;

  Status OnRecord(const Record& record) override;
  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override;
  Status OnStreamEnd(uint64_t file_id) override;
  // Applies directory modes and times deepest first, then syncfs.
  Status Finish() override;

  // The per-path failures collected since the last call.
  std::vector<FileError> TakeErrors();
  // The errno that failed the sink (EROFS), 0 while it has not failed.
  int fatal_errno() const { return fatal_errno_; }
  uint64_t files() const { return files_; }  // entries created
  uint64_t bytes() const { return bytes_; }  // file data written

 private:
  struct Parent {
    int fd = -1;       // borrowed from parent_cache_
    std::string name;  // last component of the record path
    std::string shown; // the absolute path in the mount, for messages
    gid_t new_gid = 0;  // the group a file created here gets by itself
  };
  // What creating a regular file sets by itself, so that its metadata step can skip it.
  struct Creation {
    mode_t mode = 0600;       // passed to openat
    bool owner_done = false;  // uid and gid are the record's (or owners are not applied)
    bool mode_done = false;   // `mode` is the record's and the umask takes nothing from it
  };
  struct OpenStream {
    ScopedFd fd;  // invalid after a failure: later data for it is dropped
    ScopedFd direct;  // the same file opened O_DIRECT; invalid: page cache only
    std::string path;
    RecordMeta meta;
    Creation creation;
    std::vector<uint8_t> xattrs;
  };
  struct DirMeta {
    std::string path;
    RecordMeta meta;
  };

  GuestTreeWriter(std::string sysroot, std::string root, WriterOptions options, mode_t umask);

  // The absolute path in the mount of a record path ("" for the root itself).
  std::string Shown(std::string_view rel) const;
  OpResult<Parent> Resolve(std::string_view rel);
  // Records a per-path failure; returns the Status that ends the transfer for EROFS.
  Status Fail(std::string_view rel, int err, const std::string& message);
  Status FailErrno(std::string_view rel, int err, const std::string& shown);
  Status FailWith(std::string_view rel, const OpError& error);
  // Unlinks a non-directory at p (EISDIR for a directory); nothing there is fine.
  OpResult<bool> ClearName(const Parent& p) const;
  // Runs `create` (0, or -1 with errno); on EEXIST clears the name and runs it once more.
  // Errors name p and, if given, the step ("link").
  OpResult<bool> CreateReplacing(const Parent& p, const char* step,
                                 const std::function<int()>& create) const;
  // How a file for `meta` is created at p: with its final mode when nothing that follows
  // (chown clears set-ID bits) would undo it; else 0600 and the mode applied later.
  Creation PlanCreation(const Parent& p, const RecordMeta& meta) const;
  // A new empty file at p with `mode`, replacing any non-directory there.
  OpResult<ScopedFd> CreateFile(const Parent& p, mode_t mode) const;
  Status MakeDirectory(const Record& r);
  Status WriteInline(const Record& r);
  Status StartStream(const Record& r);
  // Writes `data` at `offset` of s: O_DIRECT where allowed, else through the page cache.
  // 0 or the errno of the failed write.
  static int WriteStreamData(OpenStream& s, uint64_t offset, std::span<const uint8_t> data);
  // Writes a kFile record's `data` into the new empty file `fd`, by O_DIRECT from
  // direct_buffer_ where allowed. 0 or the errno of the failed step.
  int WriteFileData(int fd, std::span<const uint8_t> data);
  Status MakeSymlink(const Record& r);
  Status MakeHardlink(const Record& r);
  Status MakeSpecial(const Record& r);
  // Owner and mode (unless `created` set them), xattrs and times of an open regular file;
  // the first step that fails.
  OpResult<bool> ApplyFileMeta(int fd, const std::string& shown, const RecordMeta& meta,
                               std::span<const uint8_t> xattrs, const Creation& created) const;
  // Owner, xattrs and times of an entry by name (mode too with `set_mode`).
  OpResult<bool> ApplyNamedMeta(const Parent& p, const RecordMeta& meta,
                                std::span<const uint8_t> xattrs, bool set_mode,
                                bool set_times) const;
  // Decodes `blob` and sets each attribute with `set` (0 or -1 with errno).
  OpResult<bool> ApplyXattrs(
      const std::string& shown, std::span<const uint8_t> blob,
      const std::function<int(const std::string&, const std::string&)>& set) const;
  Status ApplyDirMeta(const DirMeta& dir);

  const std::string sysroot_;
  const std::string root_;  // absolute in the mount, no trailing slash ("" for "/")
  const WriterOptions options_;
  const mode_t umask_;  // the daemon's, read at Create
  const uid_t uid_;     // the daemon's effective ids: what a new file is owned by
  const gid_t gid_;
  std::string parent_path_;  // the directory parent_cache_ names
  ScopedFd parent_cache_;
  gid_t parent_new_gid_ = 0;  // Parent::new_gid of parent_cache_
  std::map<uint64_t, OpenStream> streams_;
  PageAlignedBytes direct_buffer_;  // WriteFileData's aligned copy; grows to the largest
  std::vector<DirMeta> dirs_;
  std::vector<FileError> errors_;
  int fatal_errno_ = 0;
  uint64_t files_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_GUEST_TREE_WRITER_H_
