// BeneathDir: resolves transfer paths under a host directory (the extraction's DEST)
// without ever leaving it. Each directory component is opened with
// openat(O_PATH | O_DIRECTORY | O_NOFOLLOW) from the one before, starting at DEST's own
// descriptor, so a symlink anywhere on the way, whether this transfer wrote it or it was
// already in DEST, is refused rather than followed. The last component is returned as a
// name for the caller's *at() call, which must not follow it either.
//
// On Windows (qemu-win/beneath_dir_win.cc) the descriptors are CRT descriptors over
// directory HANDLEs, and each component is opened relative to the one before with
// NtCreateFile(FILE_OPEN_REPARSE_POINT): a reparse point (symlink, junction, mount point)
// on the way is refused with ENOTDIR, as a symlink is here, and a name Windows cannot hold
// (reserved device name, trailing dot or space, <>:"\|?* or a control character, not
// UTF-8) with EINVAL. The caller opens the last component the same way.
//
// Paths must already have passed ValidateRelativePath (no "..", not absolute); Open*
// re-checks and returns EINVAL otherwise. Thread-compatible.
#ifndef DISKFERRY_SINKS_BENEATH_DIR_H_
#define DISKFERRY_SINKS_BENEATH_DIR_H_

#include <string>
#include <string_view>

#include "protocol/status.h"
#include "sinks/unique_fd.h"

namespace diskferry {

class BeneathDir {
 public:
  // Opens `root` (symlinks in `root` itself are followed: the user named it). kNotFound,
  // or kIoError naming `root`, when it is not an accessible directory.
  static Result<BeneathDir> Open(const std::string& root);

  struct Parent {
    UniqueFd dir;      // O_PATH descriptor (Windows: a handle) of the directory holding `name`
    std::string name;  // last component of the path
  };
  // Opens the parent directory of `path`. Returns 0, or an errno: ENOTDIR or ELOOP when a
  // component is a symlink or not a directory, ENOENT when one is missing, EINVAL for a
  // path that is not a safe relative path.
  int OpenParent(std::string_view path, Parent* out);
  // Opens `path` itself as a directory for reading (O_RDONLY | O_DIRECTORY | O_NOFOLLOW),
  // for metadata calls that need a real descriptor (Windows: a handle that may set its
  // attributes and times). Returns 0 or an errno as above.
  int OpenDirectory(std::string_view path, UniqueFd* out);
  // Drops the cached directory: call after removing or replacing a directory.
  void Forget();

  int root_fd() const { return root_.get(); }

 private:
  explicit BeneathDir(UniqueFd root) : root_(std::move(root)) {}
  int Walk(int start, std::string_view dirs, UniqueFd* out) const;

  UniqueFd root_;
  // The directory of the last OpenParent: most records are siblings of the previous one.
  std::string cached_path_;
  UniqueFd cached_fd_;
};

}  // namespace diskferry

#endif  // DISKFERRY_SINKS_BENEATH_DIR_H_
