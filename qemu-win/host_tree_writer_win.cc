// The Windows half of the writer (sinks/host_tree_writer_impl.h). The rules of the POSIX
// half hold, with NT calls in place of the *at() ones:
//   - every entry is opened or created relative to its parent's handle (BeneathDir) with
//     FILE_OPEN_REPARSE_POINT, so no junction, symlink or mount point is ever followed;
//   - an existing non-directory is deleted through a handle to it (never by path), then the
//     new entry created with FILE_CREATE, which fails on anything there (no write through a
//     reparse point or into a hard link shared with a file elsewhere);
//   - a name Windows cannot hold (reserved device name, trailing dot or space, <>:"\|?*,
//     a control character, not UTF-8) is a FileProblem naming the guest path, never renamed.
// What differs, since NTFS is not a POSIX filesystem:
//   - symlinks are not created (a FileProblem with their target): creating one needs
//     SeCreateSymbolicLinkPrivilege or Developer Mode, and a Linux target is no Windows
//     path; fifos, sockets and device nodes are not created either (Windows has none);
//   - POSIX owners and modes do not apply: new entries get the ACLs they inherit from DEST,
//     so preserves_owner() is false and owners_not_applied stays empty; Linux xattrs are
//     not NTFS extended attributes and are reported as not set when asked for;
//   - times are mtime and atime in 100 ns units (SetFileTime); creation time is the
//     extraction's;
//   - names that differ only in case land on one entry (NTFS directories are
//     case-insensitive): the later record replaces the earlier, as on a re-extraction;
//   - stream files are marked sparse before they are sized, so skipped ranges stay holes
//     where the filesystem has them (NTFS; FAT writes zeros).
#include <fcntl.h>
#include <windows.h>
#include <winioctl.h>
#include <winternl.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "host/file_mode.h"
#include "qemu-win/files_win.h"
#include "qemu-win/host_tree_nt_win.h"
#include "sinks/host_tree_writer_impl.h"

namespace diskferry {
namespace {

using internal::UniqueHandle;

// FILE_INFORMATION_CLASS FileLinkInformation (winternl.h has the struct, not the value).
constexpr int kFileLinkInformation = 11;
// WriteFile takes a DWORD count; 1 GiB keeps each call well inside it.
constexpr size_t kMaxWriteChunk = size_t{1} << 30;

HANDLE HandleOf(int fd) { return internal::HandleOfFd(fd); }

int LastErrno() { return internal::ErrnoFromWinError(::GetLastError()); }

int WriteHandleAt(HANDLE h, std::span<const uint8_t> data, uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    const uint64_t at = offset + done;
    OVERLAPPED where{};
    where.Offset = static_cast<DWORD>(at & 0xffffffffu);
    where.OffsetHigh = static_cast<DWORD>(at >> 32);
    const DWORD want = static_cast<DWORD>(std::min(data.size() - done, kMaxWriteChunk));
    DWORD wrote = 0;
    if (!::WriteFile(h, data.data() + done, want, &wrote, &where)) return LastErrno();
    if (wrote == 0) return EIO;
    done += wrote;
  }
  return 0;
}

// A new regular file (open for writing) or directory `name` in `dir`.
int CreateEntry(int dir, const std::string& name, bool directory, UniqueHandle* out) {
  const ACCESS_MASK access =
      directory ? FILE_READ_ATTRIBUTES : GENERIC_WRITE | FILE_READ_ATTRIBUTES;
  return internal::OpenBeneath(HandleOf(dir), name, access, FILE_CREATE,
                               directory ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE, out);
}

// The stream file `name` in `dir` open for writing, or an errno; its identity in `info`.
int OpenStreamFile(int dir, const std::string& name, BY_HANDLE_FILE_INFORMATION* info,
                   UniqueHandle* out) {
  if (int err = internal::OpenBeneath(HandleOf(dir), name, GENERIC_WRITE | FILE_READ_ATTRIBUTES,
                                      FILE_OPEN, FILE_NON_DIRECTORY_FILE, out);
      err != 0) {
    return err;
  }
  return internal::QueryFile(out->get(), info);
}

bool SameFile(const BY_HANDLE_FILE_INFORMATION& info, uint64_t dev, uint64_t ino) {
  return info.dwVolumeSerialNumber == dev && internal::FileIndex(info) == ino;
}

// Whether `name` in `dir` already is the file `info` describes.
bool IsSameFileAt(int dir, const std::string& name, const BY_HANDLE_FILE_INFORMATION& info) {
  UniqueHandle h;
  BY_HANDLE_FILE_INFORMATION existing;
  return internal::OpenBeneath(HandleOf(dir), name, FILE_READ_ATTRIBUTES, FILE_OPEN, 0, &h) == 0 &&
         internal::QueryFile(h.get(), &existing) == 0 &&
         SameFile(existing, info.dwVolumeSerialNumber, internal::FileIndex(info));
}

// Makes a second name for the file open as `file`: `name` in `dir` (FileLinkInformation
// takes a directory handle, so the new name is resolved beneath DEST as well).
int LinkBeneath(HANDLE file, int dir, const std::string& name) {
  const Result<std::wstring> wide = internal::Utf8ToWide(name, name);
  if (!wide.ok()) return EILSEQ;
  const size_t name_bytes = wide->size() * sizeof(wchar_t);
  std::vector<unsigned char> buffer(offsetof(FILE_LINK_INFORMATION, FileName) + name_bytes);
  auto* link = reinterpret_cast<FILE_LINK_INFORMATION*>(buffer.data());
  link->ReplaceIfExists = FALSE;
  link->RootDirectory = HandleOf(dir);
  link->FileNameLength = static_cast<ULONG>(name_bytes);
  std::memcpy(link->FileName, wide->data(), name_bytes);
  IO_STATUS_BLOCK io{};
  const NTSTATUS status =
      ::NtSetInformationFile(file, &io, link, static_cast<ULONG>(buffer.size()),
                             static_cast<FILE_INFORMATION_CLASS>(kFileLinkInformation));
  return NT_SUCCESS(status) ? 0 : internal::ErrnoFromNtStatus(status);
}

void Problem(WriteReport* report, std::string_view path, const std::string& what, int err) {
  report->problems.Add({std::string(path), what + ": " + std::strerror(err)});
}

// Times, and a note for xattrs that were asked for. Failures are problems, as in
// host_metadata.h.
void ApplyToHandle(HANDLE h, const EntryMetadata& e, const MetadataPolicy& policy,
                   WriteReport* report) {
  if (e.xattrs != nullptr && !e.xattrs->empty()) {
    report->problems.Add(
        {std::string(e.path), "xattrs not set: Windows has no Linux extended attributes"});
  }
  if (!policy.times) return;
  const FILETIME atime = internal::FileTimeFromNs(e.meta->atime_ns);
  const FILETIME mtime = internal::FileTimeFromNs(e.meta->mtime_ns);
  if (!::SetFileTime(h, nullptr, &atime, &mtime)) {
    Problem(report, e.path, "times not set", LastErrno());
  }
}

}  // namespace

std::optional<std::string> HostNameProblem(std::string_view path) {
  return internal::WindowsPathProblem(path);
}

int WriteAt(int fd, std::span<const uint8_t> data, uint64_t offset) {
  const HANDLE h = HandleOf(fd);
  if (h == INVALID_HANDLE_VALUE) return EBADF;
  return WriteHandleAt(h, data, offset);
}

// Owners never apply (no POSIX owners on Windows); xattrs stay in the policy so that a bad
// blob is still refused (CheckRecord) and asked-for ones are reported as not set.
HostTreeWriter::Impl::Impl(BeneathDir dest_dir, const HostWriterOptions& opts)
    : dest(std::move(dest_dir)), options(opts) {
  policy.owner = false;
  policy.safety = opts.safety;
  policy.times = opts.preserve_times;
}

// As on POSIX: a plain directory is kept for a directory record, anything else is
// deleted (a reparse point itself, never its target), unless on_exists is kKeep.
int HostTreeWriter::Impl::MakeRoom(int dir, const std::string& name, bool want_dir, Room* room) {
  *room = Room::kFree;
  UniqueHandle h;
  int err = internal::OpenBeneath(HandleOf(dir), name, FILE_READ_ATTRIBUTES, FILE_OPEN, 0, &h);
  if (err != 0) return err == ENOENT ? 0 : err;
  BY_HANDLE_FILE_INFORMATION info;
  if (err = internal::QueryFile(h.get(), &info); err != 0) return err;
  const bool is_dir = internal::IsPlainDirectory(info);
  if (want_dir && is_dir) {
    *room = Room::kDirectoryKept;
    return 0;
  }
  if (options.on_exists == OnExists::kKeep) {
    *room = Room::kSkipped;
    return 0;
  }
  // Opened again for DELETE: asking for it above would fail on a directory that is kept
  // and in use. Our cached handle must not hold a directory being deleted.
  if (is_dir) dest.Forget();
  UniqueHandle victim;
  err = internal::OpenBeneath(HandleOf(dir), name,
                              DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN, 0,
                              &victim);
  if (err != 0) return err;
  return internal::DeleteOpenFile(victim.get());
}

Status HostTreeWriter::Impl::WriteFile(const Record& r, BeneathDir::Parent& parent,
                                       const XattrList& xattrs) {
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  UniqueHandle h;
  if (int err = CreateEntry(parent.dir.get(), parent.name, false, &h); err != 0) {
    return Settle(r.path, "not created", err);
  }
  ++stats.files;
  if (int err = WriteHandleAt(h.get(), r.data, 0); err != 0) return Settle(r.path, "write", err);
  stats.bytes += r.data.size();
  ApplyToHandle(h.get(), {r.path, &r.meta, &xattrs}, policy, &report);
  return Status::Ok();
}

// Times are set in Finish, deepest first, since filling a directory changes them.
Status HostTreeWriter::Impl::MakeDirectory(const Record& r, BeneathDir::Parent& parent,
                                           XattrList xattrs) {
  Room room;
  if (int err = MakeRoom(parent.dir.get(), parent.name, true, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  if (room == Room::kFree) {
    UniqueHandle h;
    if (int err = CreateEntry(parent.dir.get(), parent.name, true, &h); err != 0) {
      return Settle(r.path, "not created", err);
    }
  }
  ++stats.dirs;
  dirs.push_back({std::string(r.path), r.meta, std::move(xattrs)});
  return Status::Ok();
}

// Whatever is at the path already stays: nothing replaces it.
Status HostTreeWriter::Impl::MakeSymlink(const Record& r, BeneathDir::Parent&, const XattrList&) {
  report.problems.Add({std::string(r.path), "symlink to " + QuotedText(r.target) +
                                                " not created: Windows needs a privilege to "
                                                "create symlinks"});
  return Status::Ok();
}

// The target is opened beneath DEST without following it; a name that already is the
// target's file (a re-extraction, or a name differing from it only in case) is left as
// it is. No metadata is applied, as on POSIX.
Status HostTreeWriter::Impl::MakeHardlink(const Record& r, BeneathDir::Parent& parent) {
  if (r.target == r.path) return Settle(r.path, "hard link to itself not created", EINVAL);
  const std::string not_created = "hard link to " + QuotedText(r.target) + " not created";
  BeneathDir::Parent target;
  if (int err = dest.OpenParent(r.target, &target); err != 0) {
    return Settle(r.path, "hard link target " + QuotedText(r.target) + ": " + ParentProblem(err),
                  err);
  }
  UniqueHandle file;
  BY_HANDLE_FILE_INFORMATION target_info;
  int err = internal::OpenBeneath(HandleOf(target.dir.get()), target.name,
                                  FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN,
                                  FILE_NON_DIRECTORY_FILE, &file);
  if (err == 0) err = internal::QueryFile(file.get(), &target_info);
  if (err != 0) return Settle(r.path, not_created, err);
  if (IsSameFileAt(parent.dir.get(), parent.name, target_info)) {
    ++stats.hardlinks;
    return Status::Ok();
  }
  Room room;
  if (err = MakeRoom(parent.dir.get(), parent.name, false, &room); err != 0) {
    return Settle(r.path, "not replaced", err);
  }
  if (room == Room::kSkipped) return Settle(r.path, "exists, kept", EEXIST);
  if (err = LinkBeneath(file.get(), parent.dir.get(), parent.name); err != 0) {
    return Settle(r.path, not_created, err);
  }
  ++stats.hardlinks;
  return Status::Ok();
}

Status HostTreeWriter::Impl::MakeSpecial(const Record& r, BeneathDir::Parent&, const XattrList&) {
  const uint32_t type = ModeType(r.meta.mode);
  const bool device = type == kModeCharDevice || type == kModeBlockDevice;
  if (!device && type != kModeFifo && type != kModeSocket) {
    return Settle(r.path, "special file of unknown type not created", EINVAL);
  }
  const char* what = device ? "device node" : type == kModeFifo ? "fifo" : "socket";
  report.problems.Add(
      {std::string(r.path), std::string(what) + " not created: Windows has no such files"});
  return Status::Ok();
}

Status HostTreeWriter::Impl::CreateStream(const BeneathDir::Parent& parent, uint64_t id,
                                          StreamFile* file) {
  const std::string sized = "not sized to " + std::to_string(file->meta.size);
  if (file->meta.size > static_cast<uint64_t>(INT64_MAX)) return Settle(file->path, sized, EFBIG);
  UniqueHandle h;
  if (int err = CreateEntry(parent.dir.get(), parent.name, false, &h); err != 0) {
    return Settle(file->path, "not created", err);
  }
  // Best effort: where the filesystem has no sparse files, the holes are written as zeros.
  DWORD returned = 0;
  ::DeviceIoControl(h.get(), FSCTL_SET_SPARSE, nullptr, 0, nullptr, 0, &returned, nullptr);
  FILE_END_OF_FILE_INFO end{};
  end.EndOfFile.QuadPart = static_cast<LONGLONG>(file->meta.size);
  BY_HANDLE_FILE_INFORMATION info;
  if (!::SetFileInformationByHandle(h.get(), FileEndOfFileInfo, &end, sizeof end)) {
    return Settle(file->path, sized, LastErrno());
  }
  if (int err = internal::QueryFile(h.get(), &info); err != 0) {
    return Settle(file->path, sized, err);
  }
  const int fd = internal::FdOfHandle(h.Release(), _O_WRONLY);
  if (fd < 0) return Settle(file->path, "not kept open", -fd);
  file->dev = info.dwVolumeSerialNumber;
  file->ino = internal::FileIndex(info);
  file->failed = false;
  KeepOpen(id, file, UniqueFd(fd));
  return Status::Ok();
}

Status HostTreeWriter::Impl::Reopen(uint64_t id, StreamFile* file) {
  BeneathDir::Parent parent;
  if (int err = dest.OpenParent(file->path, &parent); err != 0) {
    return FailStream(file, "reopen: parent directory", err);
  }
  UniqueHandle h;
  BY_HANDLE_FILE_INFORMATION info;
  if (int err = OpenStreamFile(parent.dir.get(), parent.name, &info, &h); err != 0) {
    return FailStream(file, "reopen", err);
  }
  if (!SameFile(info, file->dev, file->ino)) {
    return FailStream(file, "replaced by a later record before its data arrived", EEXIST);
  }
  const int fd = internal::FdOfHandle(h.Release(), _O_WRONLY);
  if (fd < 0) return FailStream(file, "reopen", -fd);
  KeepOpen(id, file, UniqueFd(fd));
  return Status::Ok();
}

void HostTreeWriter::Impl::ApplyToFile(int fd, const EntryMetadata& entry) {
  ApplyToHandle(HandleOf(fd), entry, policy, &report);
}

Status HostTreeWriter::Impl::ApplyToDirectory(const PendingDir& d) {
  UniqueFd fd;
  if (int err = dest.OpenDirectory(d.path, &fd); err != 0) {
    return Settle(d.path, "directory metadata not set", err);
  }
  ApplyToHandle(HandleOf(fd.get()), {d.path, &d.meta, &d.xattrs}, policy, &report);
  return Status::Ok();
}

size_t HostTreeWriter::Impl::RemoveUnfinished() {
  size_t removed = 0;
  for (auto& [id, file] : streams) {
    CloseStream(&file);
    if (file.failed) continue;
    BeneathDir::Parent parent;
    if (dest.OpenParent(file.path, &parent) != 0) continue;
    UniqueHandle h;
    BY_HANDLE_FILE_INFORMATION info;
    if (internal::OpenBeneath(HandleOf(parent.dir.get()), parent.name,
                              DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, FILE_OPEN,
                              FILE_NON_DIRECTORY_FILE, &h) != 0 ||
        internal::QueryFile(h.get(), &info) != 0 || !SameFile(info, file.dev, file.ino)) {
      continue;
    }
    if (internal::DeleteOpenFile(h.get()) == 0) ++removed;
  }
  streams.clear();
  open_order.clear();
  return removed;
}

}  // namespace diskferry
