// GuestFs: typed file operations on the filesystem an appliance has mounted, one control
// request each (protocol/diskferry.fbs, "filesystem operations"). Paths are absolute within
// the mounted filesystem ("/" is its root).
//
// Errors: the daemon's refusals come back as kGuestError "<ERRNO>: <message>" (see
// ControlClient; GuestErrno() extracts the name) and leave the channel usable. A reply of
// the wrong type, without its fields or past a limit of control_replies.h (a symlink
// target longer than kMaxPathBytes) is kProtocolError and breaks the channel, as
// transport failures do (ControlClient::Call): every later call fails.
//
// Nothing here follows a final symlink except Chmod (as the daemon documents:
// daemon/handlers_modify.h). RemoveTree never follows one at any depth.
//
// Threading: borrows the ControlClient, which must outlive it; one caller at a time, and
// not while a tree transfer runs on the same client.
#ifndef DISKFERRY_APPLIANCE_GUEST_FS_H_
#define DISKFERRY_APPLIANCE_GUEST_FS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/control_client.h"
#include "appliance/guest_types.h"
#include "protocol/status.h"

namespace diskferry {

// WriteFile sends content in requests of at most this many bytes (well under kMaxFrameSize).
inline constexpr size_t kGuestWriteChunk = size_t{4} << 20;

class GuestFs {
 public:
  explicit GuestFs(ControlClient& control) : control_(control) {}

  // The entry itself (a symlink is not followed).
  Result<FileStat> Lstat(const std::string& path);
  // Every entry of directory `path`, sorted by name, each with its lstat (ControlClient's
  // ReadDirAll). A `path` longer than kMaxPathBytes is kProtocolError (breaking the
  // channel) without asking: no real tree is that deep, so a walk that got there follows
  // a hostile guest's endless tree. This bounds every recursive walk over GuestFs.
  Result<std::vector<DirEntryInfo>> ReadDirAll(const std::string& path);
  // A symlink's target, raw bytes as stored (at most kMaxPathBytes).
  Result<std::string> Readlink(const std::string& path);
  // A directory with exactly `mode` (no umask). `parents`: like mkdir -p, an existing
  // directory is fine and missing parents get the same mode; otherwise EEXIST if present.
  Status Mkdir(const std::string& path, uint32_t mode, bool parents);
  // Replaces the content of the regular file at `path` with `content`, creating it with
  // `mode` if missing (an existing file keeps its mode). Content beyond kGuestWriteChunk
  // goes in several requests at increasing offsets; a failure midway leaves the file
  // partly written. A symlink at `path` is ELOOP, a directory EISDIR.
  Status WriteFile(const std::string& path, std::string_view content, uint32_t mode);
  Status Chmod(const std::string& path, uint32_t mode);
  // uid or gid 0xffffffff leaves that one unchanged.
  Status Chown(const std::string& path, uint32_t uid, uint32_t gid);
  Status Utimens(const std::string& path, int64_t atime_ns, int64_t mtime_ns);
  // Creates symlink `path` holding `target` verbatim.
  Status Symlink(const std::string& target, const std::string& path);
  Status Rename(const std::string& from, const std::string& to);
  Status Unlink(const std::string& path);
  Status Rmdir(const std::string& path);
  // rm -r: a directory's entries depth first (ReadDirAll, entries typed by their lstat),
  // then the directory; anything else is unlinked, a symlink included (never followed).
  // Stops at the first failure, leaving what was not yet removed. kInvalidArgument for
  // "/" (the mount point cannot be removed); kProtocolError (breaking the channel) for a
  // tree whose paths pass kMaxPathBytes, which only a hostile guest can list.
  Status RemoveTree(const std::string& path);
  // syncfs(2) in the guest.
  Status Sync();

 private:
  Result<ResponseFrame> CallFor(const ControlClient::OpBuilder& build, proto::Reply expected);
  Status CallEmpty(const ControlClient::OpBuilder& build);
  Status RemoveEntry(const std::string& path, uint32_t mode);

  ControlClient& control_;
};

// "/a" + "b" -> "/a/b"; "/" + "b" -> "/b".
std::string JoinGuestPath(const std::string& dir, std::string_view name);

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_GUEST_FS_H_
