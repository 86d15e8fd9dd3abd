// The Windows half of sinks/beneath_dir.h: directory handles opened one component at a
// time with NtCreateFile relative to the one before (host_tree_nt_win.h), held as CRT
// descriptors so that BeneathDir's interface stays the POSIX one.
#include <fcntl.h>

#include <cerrno>

#include "sinks/beneath_dir.h"
#include "protocol/lane_records.h"
#include "qemu-win/files_win.h"
#include "qemu-win/host_tree_nt_win.h"

namespace diskferry {
namespace {

using internal::UniqueHandle;

// Enough to open what is below; FILE_TRAVERSE is what a path walk checks.
constexpr ACCESS_MASK kWalkAccess = FILE_TRAVERSE | FILE_READ_ATTRIBUTES;

HANDLE HandleOf(int fd) { return internal::HandleOfFd(fd); }

// Gives `h` to a CRT descriptor owned by `out`. Returns 0 or an errno.
int Adopt(UniqueHandle h, UniqueFd* out) {
  const int fd = internal::FdOfHandle(h.Release(), _O_RDONLY);
  if (fd < 0) return -fd;
  out->reset(fd);
  return 0;
}

int Dup(int fd, UniqueFd* out) {
  HANDLE copy = nullptr;
  const HANDLE self = ::GetCurrentProcess();
  if (!::DuplicateHandle(self, HandleOf(fd), self, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    return internal::ErrnoFromWinError(::GetLastError());
  }
  return Adopt(UniqueHandle(copy), out);
}

// Opens directory `name` below `dir`, refusing a reparse point (ENOTDIR, as O_NOFOLLOW
// with O_DIRECTORY refuses a symlink).
int OpenDirectoryBeneath(HANDLE dir, std::string_view name, ACCESS_MASK access, UniqueHandle* out) {
  UniqueHandle h;
  if (int err = internal::OpenBeneath(dir, name, access, FILE_OPEN, FILE_DIRECTORY_FILE, &h);
      err != 0) {
    return err;
  }
  BY_HANDLE_FILE_INFORMATION info;
  if (int err = internal::QueryFile(h.get(), &info); err != 0) return err;
  if (!internal::IsPlainDirectory(info)) return ENOTDIR;
  *out = std::move(h);
  return 0;
}

}  // namespace

Result<BeneathDir> BeneathDir::Open(const std::string& root) {
  const Result<std::wstring> wide = internal::Utf8ToWide(root, root);
  if (!wide.ok()) return wide.status();
  // BACKUP_SEMANTICS opens a directory; without OPEN_REPARSE_POINT, a junction as DEST is
  // followed: the user named it.
  UniqueHandle h(::CreateFileW(wide->c_str(), kWalkAccess | SYNCHRONIZE,
                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                               OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
  if (!h) return ErrnoStatus(internal::ErrnoFromWinError(::GetLastError()), root);
  BY_HANDLE_FILE_INFORMATION info;
  if (int err = internal::QueryFile(h.get(), &info); err != 0) return ErrnoStatus(err, root);
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) return ErrnoStatus(ENOTDIR, root);
  UniqueFd fd;
  if (int err = Adopt(std::move(h), &fd); err != 0) return ErrnoStatus(err, root);
  return BeneathDir(std::move(fd));
}

int BeneathDir::Walk(int start, std::string_view dirs, UniqueFd* out) const {
  UniqueHandle current;
  HANDLE at = HandleOf(start);
  while (!dirs.empty()) {
    const size_t slash = dirs.find('/');
    const std::string_view part = dirs.substr(0, slash);
    dirs = slash == std::string_view::npos ? std::string_view() : dirs.substr(slash + 1);
    UniqueHandle next;
    if (int err = OpenDirectoryBeneath(at, part, kWalkAccess, &next); err != 0) return err;
    current = std::move(next);
    at = current.get();
  }
  if (!current) return Dup(start, out);
  return Adopt(std::move(current), out);
}

int BeneathDir::OpenParent(std::string_view path, Parent* out) {
  if (!ValidateRelativePath(path).ok() || internal::WindowsPathProblem(path)) return EINVAL;
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

// With FILE_WRITE_ATTRIBUTES, for SetFileTime in the writer's Finish.
int BeneathDir::OpenDirectory(std::string_view path, UniqueFd* out) {
  Parent parent;
  if (int err = OpenParent(path, &parent); err != 0) return err;
  UniqueHandle h;
  if (int err = OpenDirectoryBeneath(
          HandleOf(parent.dir.get()), parent.name,
          FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, &h);
      err != 0) {
    return err;
  }
  return Adopt(std::move(h), out);
}

void BeneathDir::Forget() {
  cached_fd_.reset();
  cached_path_.clear();
}

}  // namespace diskferry
