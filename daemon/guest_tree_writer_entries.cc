// GuestTreeWriter: one function per record type, and the metadata they apply.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/guest_tree_writer.h"
#include "daemon/sysroot_fs.h"
#include "protocol/time_ns.h"

namespace diskferry::daemon {
namespace {

constexpr mode_t kPermBits = 07777;

OpError StepError(const std::string& shown, const char* step, int err) {
  return OpError{err, shown + ": " + step + ": " + std::strerror(err)};
}

bool IsSpecialType(uint32_t mode) {
  const mode_t type = mode & S_IFMT;
  return type == S_IFCHR || type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK;
}

}  // namespace

Status GuestTreeWriter::MakeDirectory(const Record& r) {
  OpResult<Parent> p = Resolve(r.path);
  if (!p.ok()) return FailWith(r.path, p.error());
  if (::mkdirat(p->fd, p->name.c_str(), 0700) != 0) {
    if (errno != EEXIST) return FailErrno(r.path, errno, p->shown);
    struct stat st {};
    if (::fstatat(p->fd, p->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return FailErrno(r.path, errno, p->shown);
    }
    if (S_ISLNK(st.st_mode)) {
      // A symlink to a directory (a merged /usr's /lib) is kept: children go through it,
      // and the metadata belongs to its target, not to this record.
      OpResult<int> dir = OpenInSysroot(sysroot_, p->shown, O_PATH | O_DIRECTORY);
      if (dir.ok()) {
        ::close(dir.value());
        ++files_;
        return Status::Ok();
      }
    }
    if (!S_ISDIR(st.st_mode)) {
      if (OpResult<bool> cleared = ClearName(p.value()); !cleared.ok()) {
        return FailWith(r.path, cleared.error());
      }
      if (::mkdirat(p->fd, p->name.c_str(), 0700) != 0) return FailErrno(r.path, errno, p->shown);
    }
  }
  // Mode and times wait for Finish(); the owner and xattrs need not.
  if (OpResult<bool> m = ApplyNamedMeta(p.value(), r.meta, r.xattrs, false, false); !m.ok()) {
    return FailWith(r.path, m.error());
  }
  dirs_.push_back(DirMeta{std::string(r.path), r.meta});
  ++files_;
  return Status::Ok();
}

Status GuestTreeWriter::WriteInline(const Record& r) {
  OpResult<Parent> p = Resolve(r.path);
  if (!p.ok()) return FailWith(r.path, p.error());
  const Creation creation = PlanCreation(p.value(), r.meta);
  OpResult<ScopedFd> fd = CreateFile(p.value(), creation.mode);
  if (!fd.ok()) return FailWith(r.path, fd.error());
  if (const int err = WriteFileData(fd->get(), r.data); err != 0) {
    return FailErrno(r.path, err, p->shown);
  }
  bytes_ += r.data.size();
  if (OpResult<bool> m = ApplyFileMeta(fd->get(), p->shown, r.meta, r.xattrs, creation); !m.ok()) {
    return FailWith(r.path, m.error());
  }
  ++files_;
  return Status::Ok();
}

Status GuestTreeWriter::MakeSymlink(const Record& r) {
  OpResult<Parent> p = Resolve(r.path);
  if (!p.ok()) return FailWith(r.path, p.error());
  if (r.target.find('\0') != std::string_view::npos) {
    return Fail(r.path, EINVAL, p->shown + ": symlink target contains NUL");
  }
  const std::string target(r.target);
  const auto create = [&] { return ::symlinkat(target.c_str(), p->fd, p->name.c_str()); };
  if (OpResult<bool> made = CreateReplacing(p.value(), nullptr, create); !made.ok()) {
    return FailWith(r.path, made.error());
  }
  if (OpResult<bool> m = ApplyNamedMeta(p.value(), r.meta, r.xattrs, false, true); !m.ok()) {
    return FailWith(r.path, m.error());
  }
  ++files_;
  return Status::Ok();
}

Status GuestTreeWriter::MakeHardlink(const Record& r) {
  const std::string shown = Shown(r.path);
  if (Status valid = ValidateRelativePath(r.target); !valid.ok()) {
    return Fail(r.path, EINVAL, shown + ": hard link target: " + valid.message());
  }
  if (r.target == r.path) return Fail(r.path, EINVAL, shown + ": hard link to itself");
  OpResult<EntryRef> target = ResolveEntry(sysroot_, Shown(r.target));
  if (!target.ok()) return FailWith(r.path, target.error());
  OpResult<Parent> p = Resolve(r.path);
  if (!p.ok()) return FailWith(r.path, p.error());
  const auto create = [&] {
    return ::linkat(target->dir.get(), target->name.c_str(), p->fd, p->name.c_str(), 0);
  };
  if (OpResult<bool> made = CreateReplacing(p.value(), "link", create); !made.ok()) {
    return FailWith(r.path, made.error());
  }
  ++files_;
  return Status::Ok();
}

Status GuestTreeWriter::MakeSpecial(const Record& r) {
  OpResult<Parent> p = Resolve(r.path);
  if (!p.ok()) return FailWith(r.path, p.error());
  if (!IsSpecialType(r.meta.mode)) {
    return Fail(r.path, EINVAL, p->shown + ": not a device, fifo or socket");
  }
  const mode_t mode = (r.meta.mode & S_IFMT) | 0600;
  const auto create = [&] {
    return ::mknodat(p->fd, p->name.c_str(), mode, static_cast<dev_t>(r.meta.rdev));
  };
  if (OpResult<bool> made = CreateReplacing(p.value(), nullptr, create); !made.ok()) {
    return FailWith(r.path, made.error());
  }
  if (OpResult<bool> m = ApplyNamedMeta(p.value(), r.meta, r.xattrs, true, true); !m.ok()) {
    return FailWith(r.path, m.error());
  }
  ++files_;
  return Status::Ok();
}

// Owner before mode (chown clears set-id bits), xattrs after owner (it clears
// security.capability), times last (everything else changes ctime, and writes mtime).
OpResult<bool> GuestTreeWriter::ApplyFileMeta(int fd, const std::string& shown,
                                              const RecordMeta& meta,
                                              std::span<const uint8_t> xattrs,
                                              const Creation& created) const {
  if (!created.owner_done && options_.owners && ::fchown(fd, meta.uid, meta.gid) != 0) {
    return StepError(shown, "chown", errno);
  }
  if (!created.mode_done && ::fchmod(fd, meta.mode & kPermBits) != 0) {
    return StepError(shown, "chmod", errno);
  }
  const auto set = [fd](const std::string& name, const std::string& value) {
    return ::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0);
  };
  if (OpResult<bool> x = ApplyXattrs(shown, xattrs, set); !x.ok()) return x;
  const timespec times[2] = {NsToTimespec(meta.atime_ns), NsToTimespec(meta.mtime_ns)};
  if (::futimens(fd, times) != 0) return StepError(shown, "utimens", errno);
  return true;
}

OpResult<bool> GuestTreeWriter::ApplyNamedMeta(const Parent& p, const RecordMeta& meta,
                                               std::span<const uint8_t> xattrs, bool set_mode,
                                               bool set_times) const {
  const char* name = p.name.c_str();
  if (options_.owners && ::fchownat(p.fd, name, meta.uid, meta.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return StepError(p.shown, "chown", errno);
  }
  // Only for the special file created just now at this name: no symlink to follow.
  if (set_mode && ::fchmodat(p.fd, name, meta.mode & kPermBits, 0) != 0) {
    return StepError(p.shown, "chmod", errno);
  }
  const std::string path = ProcFdPath(p.fd, p.name);
  const auto set = [&path](const std::string& attr, const std::string& value) {
    return ::lsetxattr(path.c_str(), attr.c_str(), value.data(), value.size(), 0);
  };
  if (OpResult<bool> x = ApplyXattrs(p.shown, xattrs, set); !x.ok()) return x;
  const timespec times[2] = {NsToTimespec(meta.atime_ns), NsToTimespec(meta.mtime_ns)};
  if (set_times && ::utimensat(p.fd, name, times, AT_SYMLINK_NOFOLLOW) != 0) {
    return StepError(p.shown, "utimens", errno);
  }
  return true;
}

OpResult<bool> GuestTreeWriter::ApplyXattrs(
    const std::string& shown, std::span<const uint8_t> blob,
    const std::function<int(const std::string&, const std::string&)>& set) const {
  if (!options_.xattrs || blob.empty()) return true;
  Result<std::vector<std::pair<std::string, std::string>>> xattrs = DecodeXattrs(blob);
  if (!xattrs.ok()) return OpError{EPROTO, shown + ": " + xattrs.status().message()};
  for (const auto& [name, value] : xattrs.value()) {
    if (set(name, value) != 0) return StepError(shown, name.c_str(), errno);
  }
  return true;
}

}  // namespace diskferry::daemon
