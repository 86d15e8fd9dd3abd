#include "sinks/beneath_dir.h"

#include <fcntl.h>

#include <cerrno>

#include "protocol/lane_records.h"

namespace diskferry {
namespace {

constexpr int kWalkFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

int Dup(int fd, UniqueFd* out) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return errno;
  out->reset(copy);
  return 0;
}

}  // namespace

Result<BeneathDir> BeneathDir::Open(const std::string& root) {
  const int fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, root);
  return BeneathDir(UniqueFd(fd));
}

// Opens each '/'-separated component of `dirs` below `start`, never following a symlink
// (O_NOFOLLOW with O_DIRECTORY makes a symlink fail with ENOTDIR even under O_PATH).
int BeneathDir::Walk(int start, std::string_view dirs, UniqueFd* out) const {
  UniqueFd current;
  if (int err = Dup(start, &current); err != 0) return err;
  while (!dirs.empty()) {
    const size_t slash = dirs.find('/');
    const std::string part(dirs.substr(0, slash));
    dirs = slash == std::string_view::npos ? std::string_view() : dirs.substr(slash + 1);
    const int next = openat(current.get(), part.c_str(), kWalkFlags);
    if (next < 0) return errno;
    current.reset(next);
  }
  *out = std::move(current);
  return 0;
}

int BeneathDir::OpenParent(std::string_view path, Parent* out) {
  if (!ValidateRelativePath(path).ok()) return EINVAL;
  const size_t slash = path.rfind('/');
  const std::string_view dirs =
      slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
  out->name = std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (dirs.empty()) return Dup(root_.get(), &out->dir);
  if (cached_fd_.valid() && dirs == cached_path_) return Dup(cached_fd_.get(), &out->dir);
  if (int err = Walk(root_.get(), dirs, &out->dir); err != 0) return err;
  cached_path_ = std::string(dirs);
  if (Dup(out->dir.get(), &cached_fd_) != 0) Forget();
  return 0;
}

int BeneathDir::OpenDirectory(std::string_view path, UniqueFd* out) {
  Parent parent;
  if (int err = OpenParent(path, &parent); err != 0) return err;
  const int fd = openat(parent.dir.get(), parent.name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno;
  out->reset(fd);
  return 0;
}

void BeneathDir::Forget() {
  cached_fd_.reset();
  cached_path_.clear();
}

}  // namespace diskferry
