// The POSIX half of the writer (host_tree_writer_impl.h): entries made with *at() calls
// relative to BeneathDir's O_PATH descriptors, never following a symlink; metadata applied
// by host_metadata.h.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "sinks/host_tree_writer_impl.h"

namespace diskferry {
namespace {

int WriteAll(int fd, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

// A Linux name holds any byte but '/' and NUL, which ValidateRelativePath has refused.
std::optional<std::string> HostNameProblem(std::string_view) { return std::nullopt; }

int WriteAt(int fd, std::span<const uint8_t> data, uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

HostTreeWriter::Impl::Impl(BeneathDir dest_dir, const HostWriterOptions& opts)
    : dest(std::move(dest_dir)), options(opts) {
  policy.owner = opts.preserve_owner == OwnerPolicy::kAlways ||
                 (opts.preserve_owner == OwnerPolicy::kAuto && geteuid() == 0);
  policy.safety = opts.safety;
  policy.mode = opts.preserve_mode;
  policy.times = opts.preserve_times;
}

// Clears the way for a new entry: an existing non-directory is unlinked (so nothing is
// written through a symlink or a hard link shared with a file elsewhere), an existing
// directory kept for a directory record or removed if empty. Returns 0 or an errno.
int HostTreeWriter::Impl::MakeRoom(int dir, const std::string& name, bool want_dir, Room* room) {
  *room = Room::kFree;
  struct stat st;
  if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? 0 : errno;
  }
  const bool is_dir = S_ISDIR(st.st_mode);
  if (want_dir && is_dir) {
    *room = Room::kDirectoryKept;
    return 0;
  }
  if (options.on_exists == OnExists::kKeep) {
    *room = Room::kSkipped;
    return 0;
  }
  if (unlinkat(dir, name.c_str(), is_dir ? AT_REMOVEDIR : 0) != 0) return errno;
  if (is_dir) dest.Forget();
  return 0;
}

Status HostTreeWriter::Impl::WriteFile(const Record& r, BeneathDir::Parent& parent,
                                       const XattrList& xattrs) {
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  UniqueFd fd(openat(parent.dir.get(), parent.name.c_str(),
                     O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Settle(r.path, "not created", errno);
  ++stats.files;
  if (int err = WriteAll(fd.get(), r.data); err != 0) return Settle(r.path, "write", err);
  stats.bytes += r.data.size();
  ApplyToFile(fd.get(), {r.path, &r.meta, &xattrs});
  return Status::Ok();
}

// Directories are created 0700 so that we can always fill them; their own mode, owner,
// xattrs and times are applied in Finish.
Status HostTreeWriter::Impl::MakeDirectory(const Record& r, BeneathDir::Parent& parent,
                                           XattrList xattrs) {
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, true, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  if (room == Room::kFree && mkdirat(parent.dir.get(), parent.name.c_str(), 0700) != 0) {
    return Settle(r.path, "not created", errno);
  }
  ++stats.dirs;
  dirs.push_back({std::string(r.path), r.meta, std::move(xattrs)});
  return Status::Ok();
}

Status HostTreeWriter::Impl::MakeSymlink(const Record& r, BeneathDir::Parent& parent,
                                         const XattrList& xattrs) {
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  const std::string target(r.target);
  if (symlinkat(target.c_str(), parent.dir.get(), parent.name.c_str()) != 0) {
    return Settle(r.path, "symlink not created", errno);
  }
  ++stats.symlinks;
  ApplyByName(parent.dir.get(), parent.name, true, {r.path, &r.meta, &xattrs}, policy, &report);
  return Status::Ok();
}

// The link shares the inode of its target, whose metadata its own record already set;
// nothing is applied here, so a link record cannot change a file that was already in DEST.
Status HostTreeWriter::Impl::MakeHardlink(const Record& r, BeneathDir::Parent& parent) {
  if (r.target == r.path) return Settle(r.path, "hard link to itself not created", EINVAL);
  BeneathDir::Parent target;
  if (int err = dest.OpenParent(r.target, &target); err != 0) {
    return Settle(r.path, "hard link target " + QuotedText(r.target) + ": " + ParentProblem(err),
                  err);
  }
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  // Flags 0: linkat never follows a symlink target unless AT_SYMLINK_FOLLOW is given.
  if (linkat(target.dir.get(), target.name.c_str(), parent.dir.get(), parent.name.c_str(), 0) !=
      0) {
    return Settle(r.path, "hard link to " + QuotedText(r.target) + " not created", errno);
  }
  ++stats.hardlinks;
  return Status::Ok();
}

Status HostTreeWriter::Impl::MakeSpecial(const Record& r, BeneathDir::Parent& parent,
                                         const XattrList& xattrs) {
  const mode_t type = r.meta.mode & S_IFMT;
  const bool device = type == S_IFCHR || type == S_IFBLK;
  if (!device && type != S_IFIFO && type != S_IFSOCK) {
    return Settle(r.path, "special file of unknown type not created", EINVAL);
  }
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  if (mknodat(parent.dir.get(), parent.name.c_str(), type | 0600,
              static_cast<dev_t>(r.meta.rdev)) != 0) {
    return Settle(r.path, device ? "device node not created (needs root)" : "not created", errno);
  }
  ++stats.specials;
  ApplyByName(parent.dir.get(), parent.name, false, {r.path, &r.meta, &xattrs}, policy, &report);
  return Status::Ok();
}

Status HostTreeWriter::Impl::CreateStream(const BeneathDir::Parent& parent, uint64_t id,
                                          StreamFile* file) {
  const std::string sized = "not sized to " + std::to_string(file->meta.size);
  if (file->meta.size > static_cast<uint64_t>(INT64_MAX)) return Settle(file->path, sized, EFBIG);
  UniqueFd fd(openat(parent.dir.get(), parent.name.c_str(),
                     O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return Settle(file->path, "not created", errno);
  // Sizing first leaves every range the sender skips as a hole.
  struct stat st;
  if (ftruncate(fd.get(), static_cast<off_t>(file->meta.size)) != 0 || fstat(fd.get(), &st) != 0) {
    return Settle(file->path, sized, errno);
  }
  file->dev = st.st_dev;
  file->ino = st.st_ino;
  file->failed = false;
  KeepOpen(id, file, std::move(fd));
  return Status::Ok();
}
Status HostTreeWriter::Impl::Reopen(uint64_t id, StreamFile* file) {
  BeneathDir::Parent parent;
  if (int err = dest.OpenParent(file->path, &parent); err != 0) {
    return FailStream(file, "reopen: parent directory", err);
  }
  UniqueFd fd(openat(parent.dir.get(), parent.name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0) return FailStream(file, "reopen", errno);
  if (st.st_dev != file->dev || st.st_ino != file->ino) {
    return FailStream(file, "replaced by a later record before its data arrived", EEXIST);
  }
  KeepOpen(id, file, std::move(fd));
  return Status::Ok();
}
size_t HostTreeWriter::Impl::RemoveUnfinished() {
  size_t removed = 0;
  for (auto& [id, file] : streams) {
    CloseStream(&file);
    if (file.failed) continue;
    BeneathDir::Parent parent;
    if (dest.OpenParent(file.path, &parent) != 0) continue;
    struct stat st;
    if (fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != file.dev || st.st_ino != file.ino) continue;
    if (unlinkat(parent.dir.get(), parent.name.c_str(), 0) == 0) ++removed;
  }
  streams.clear();
  open_order.clear();
  return removed;
}

void HostTreeWriter::Impl::ApplyToFile(int fd, const EntryMetadata& entry) {
  ApplyToFd(fd, true, entry, policy, &report);
}

Status HostTreeWriter::Impl::ApplyToDirectory(const PendingDir& d) {
  UniqueFd fd;
  if (int err = dest.OpenDirectory(d.path, &fd); err != 0) {
    return Settle(d.path, "directory metadata not set", err);
  }
  ApplyToFd(fd.get(), false, {d.path, &d.meta, &d.xattrs}, policy, &report);
  return Status::Ok();
}

}  // namespace diskferry
