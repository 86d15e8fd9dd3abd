#include "pipeline/host_tree_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "pipeline/host_tree_writer_impl.h"

namespace diskferry {
namespace {

// Errors that will hit every following file as well: stop the transfer rather than
// report a problem per file.
bool IsFatal(int err) { return err == ENOSPC || err == EDQUOT || err == EROFS; }

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

std::string ParentProblem(int err) {
  if (err == ENOTDIR || err == ELOOP) {
    return "not created: a parent is a symlink or not a directory (never followed)";
  }
  return "not created: parent directory";
}

std::string QuotedPath(std::string_view path) {
  std::string s(path.substr(0, 200));
  for (char& c : s) {
    if (c == '\0' || c == '\n') c = '?';
  }
  return "\"" + s + "\"";
}

HostTreeWriter::Impl::Impl(BeneathDir dest_dir, const HostWriterOptions& opts)
    : dest(std::move(dest_dir)), options(opts) {
  policy.owner = opts.preserve_owner == OwnerPolicy::kAlways ||
                 (opts.preserve_owner == OwnerPolicy::kAuto && geteuid() == 0);
  policy.xattrs = opts.xattrs;
}

Status HostTreeWriter::Impl::Settle(std::string_view path, const std::string& what, int err) {
  if (err == 0) return Status::Ok();
  if (IsFatal(err)) {
    return Status(Code::kIoError, QuotedPath(path) + ": " + what + ": " + std::strerror(err));
  }
  report.problems.Add({std::string(path), what + ": " + std::strerror(err)});
  return Status::Ok();
}

// Checks what no honest source sends; these stop the transfer.
Status HostTreeWriter::Impl::CheckRecord(const Record& r, XattrList* xattrs) {
  if (Status st = ValidateRelativePath(r.path); !st.ok()) return st;
  const std::string where = "record " + QuotedPath(r.path);
  if (r.meta.type == RecordType::kSymlink && r.target.find('\0') != std::string_view::npos) {
    return Status(Code::kProtocolError, where + ": symlink target contains NUL");
  }
  if (r.meta.type == RecordType::kHardlink) {
    if (Status st = ValidateRelativePath(r.target); !st.ok()) {
      return st.WithContext(where + ": hard link target");
    }
  }
  if (r.meta.type == RecordType::kStreamFile) {
    if (Status st = CheckNewStream(r); !st.ok()) return st;
  }
  if (policy.xattrs && !r.xattrs.empty()) {
    auto decoded = DecodeXattrs(r.xattrs);
    if (!decoded.ok()) return decoded.status().WithContext(where);
    *xattrs = std::move(*decoded);
  }
  return Status::Ok();
}

Status HostTreeWriter::Impl::OnRecord(const Record& r) {
  if (state == State::kFinished) {
    return Status(Code::kFailedPrecondition, "record after the transfer finished");
  }
  XattrList xattrs;
  if (Status st = CheckRecord(r, &xattrs); !st.ok()) return st;
  if (r.meta.type == RecordType::kError) {
    report.source_errors.Add({std::string(r.path), r.meta.errno_value, std::string(r.target)});
    return Status::Ok();
  }
  BeneathDir::Parent parent;
  if (int err = dest.OpenParent(r.path, &parent); err != 0) {
    if (r.meta.type == RecordType::kStreamFile) return BeginStream(r, nullptr, err, {});
    return Settle(r.path, ParentProblem(err), err);
  }
  switch (r.meta.type) {
    case RecordType::kFile:
      return WriteFile(r, parent, xattrs);
    case RecordType::kDirectory:
      return MakeDirectory(r, parent, std::move(xattrs));
    case RecordType::kSymlink:
      return MakeSymlink(r, parent, xattrs);
    case RecordType::kHardlink:
      return MakeHardlink(r, parent);
    case RecordType::kSpecial:
      return MakeSpecial(r, parent, xattrs);
    case RecordType::kStreamFile:
      return BeginStream(r, &parent, 0, std::move(xattrs));
    case RecordType::kError:
      break;  // handled above
  }
  return Status(Code::kProtocolError, "record " + QuotedPath(r.path) + ": unknown type " +
                                          std::to_string(static_cast<unsigned>(r.meta.type)));
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
  ApplyToFd(fd.get(), true, {r.path, &r.meta, &xattrs}, policy, &report);
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
    return Settle(r.path, "hard link target " + QuotedPath(r.target) + ": " + ParentProblem(err),
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
    return Settle(r.path, "hard link to " + QuotedPath(r.target) + " not created", errno);
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
  if (device && !options.devices) return Settle(r.path, "device node skipped", EPERM);
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

Result<std::unique_ptr<HostTreeWriter>> HostTreeWriter::Open(const std::string& dest,
                                                             const HostWriterOptions& options) {
  Result<BeneathDir> dir = BeneathDir::Open(dest);
  if (!dir.ok()) return dir.status();
  auto impl = std::make_unique<Impl>(std::move(*dir), options);
  return std::unique_ptr<HostTreeWriter>(new HostTreeWriter(std::move(impl)));
}

HostTreeWriter::HostTreeWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostTreeWriter::~HostTreeWriter() = default;

Status HostTreeWriter::OnRecord(const Record& record) { return impl_->OnRecord(record); }
Status HostTreeWriter::OnStreamData(uint64_t file_id, uint64_t offset,
                                    std::span<const uint8_t> data) {
  return impl_->StreamData(file_id, offset, data);
}
Status HostTreeWriter::OnStreamEnd(uint64_t file_id) { return impl_->StreamEnd(file_id); }
Status HostTreeWriter::Finish() { return impl_->Finish(); }

std::vector<PendingDirectory> HostTreeWriter::TakePendingDirectories() {
  return std::exchange(impl_->dirs, {});
}

void HostTreeWriter::AdoptDirectories(std::vector<PendingDirectory> dirs) {
  for (PendingDirectory& d : dirs) impl_->dirs.push_back(std::move(d));
}

size_t HostTreeWriter::RemoveUnfinished() { return impl_->RemoveUnfinished(); }

const HostWriterStats& HostTreeWriter::stats() const { return impl_->stats; }
const WriteReport& HostTreeWriter::report() const { return impl_->report; }
bool HostTreeWriter::preserves_owner() const { return impl_->policy.owner; }

}  // namespace diskferry
