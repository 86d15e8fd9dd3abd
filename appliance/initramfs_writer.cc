#include "appliance/initramfs_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>
#include <utility>

#include "appliance/builder_io.h"

namespace diskferry {
namespace {

using Kind = InitramfsEntry::Kind;

struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// Archive member names carry no leading '/', as the kernel's gen_init_cpio writes them.
using Members = std::map<std::string, InitramfsEntry>;

InitramfsEntry MakeEntry(Kind kind, std::string path, uint32_t mode) {
  InitramfsEntry entry;
  entry.kind = kind;
  entry.path = std::move(path);
  entry.mode = mode;
  return entry;
}

std::string ErrorText(archive* a) {
  const char* message = archive_error_string(a);
  return message != nullptr ? message : "libarchive error";
}

Status BadPath(const std::string& path, const char* why) {
  return Status(Code::kInvalidArgument, "initramfs path \"" + path + "\": " + why);
}

Status CheckPath(const std::string& path) {
  if (!path.starts_with('/') || path.size() < 2) return BadPath(path, "must be absolute");
  if (path.ends_with('/')) return BadPath(path, "trailing '/'");
  if (path.find("//") != std::string::npos) return BadPath(path, "empty component");
  std::string slashed = path + "/";
  if (slashed.find("/../") != std::string::npos || slashed.find("/./") != std::string::npos) {
    return BadPath(path, "'.' or '..' component");
  }
  return Status::Ok();
}

Status AddMember(const InitramfsEntry& entry, Members* members) {
  if (Status s = CheckPath(entry.path); !s.ok()) return s;
  auto [it, inserted] = members->emplace(entry.path.substr(1), entry);
  if (inserted) return Status::Ok();
  const InitramfsEntry& old = it->second;
  bool same_dir =
      old.kind == Kind::kDirectory && entry.kind == Kind::kDirectory && old.mode == entry.mode;
  return same_dir ? Status::Ok() : BadPath(entry.path, "added twice");
}

// The kernel creates each member with open(O_CREAT) or mkdir in its parent, so every
// parent must come first; sorting by name guarantees that once they all exist.
Status AddParents(Members* members) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : *members) names.push_back(name);
  for (const std::string& name : names) {
    for (size_t slash = name.find('/'); slash != std::string::npos;
         slash = name.find('/', slash + 1)) {
      InitramfsEntry dir = MakeEntry(Kind::kDirectory, "/" + name.substr(0, slash), 0755);
      auto [it, inserted] = members->emplace(name.substr(0, slash), dir);
      if (it->second.kind != Kind::kDirectory) return BadPath(dir.path, "is not a directory");
    }
  }
  return Status::Ok();
}

Result<std::string> MemberBytes(const InitramfsEntry& entry) {
  if (entry.kind != Kind::kFile) return std::string();
  if (entry.source.empty()) return entry.data;
  return entry.decompress ? ReadDecompressed(entry.source) : ReadFileToString(entry.source);
}

unsigned FileType(Kind kind) {
  switch (kind) {
    case Kind::kDirectory:
      return AE_IFDIR;
    case Kind::kFile:
      return AE_IFREG;
    case Kind::kSymlink:
      return AE_IFLNK;
    case Kind::kCharDevice:
      return AE_IFCHR;
  }
  return AE_IFREG;
}

Status WriteMember(archive* a, const std::string& name, const InitramfsEntry& entry, int64_t ino) {
  Result<std::string> bytes = MemberBytes(entry);
  if (!bytes.ok()) return bytes.status();
  std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), FileType(entry.kind));
  archive_entry_set_perm(e.get(), entry.kind == Kind::kSymlink ? 0777 : entry.mode & 07777);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  archive_entry_set_mtime(e.get(), 0, 0);
  archive_entry_set_ino64(e.get(), ino);
  archive_entry_set_nlink(e.get(), entry.kind == Kind::kDirectory ? 2 : 1);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes->size()));
  if (entry.kind == Kind::kSymlink) archive_entry_set_symlink(e.get(), entry.target.c_str());
  if (entry.kind == Kind::kCharDevice) {
    archive_entry_set_rdevmajor(e.get(), entry.rdev_major);
    archive_entry_set_rdevminor(e.get(), entry.rdev_minor);
  }
  bool ok = archive_write_header(a, e.get()) == ARCHIVE_OK &&
            (bytes->empty() || archive_write_data(a, bytes->data(), bytes->size()) ==
                                   static_cast<la_ssize_t>(bytes->size()));
  if (ok) return Status::Ok();
  return Status(Code::kIoError, "initramfs member " + entry.path + ": " + ErrorText(a));
}

Status WriteMembers(const Members& members, int fd, const std::string& out_path,
                    uint32_t pad_to_multiple) {
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  archive_write_set_format_cpio_newc(a.get());
  archive_write_add_filter_none(a.get());
  // Not padded to libarchive's 10 KiB blocks, only to the multiple asked for.
  archive_write_set_bytes_in_last_block(a.get(), static_cast<int>(pad_to_multiple));
  if (archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    return Status(Code::kIoError, out_path + ": " + ErrorText(a.get()));
  }
  int64_t ino = 1;
  for (const auto& [name, entry] : members) {
    if (Status s = WriteMember(a.get(), name, entry, ino++); !s.ok()) return s;
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return Status(Code::kIoError, out_path + ": " + ErrorText(a.get()));
  }
  return Status::Ok();
}

}  // namespace

void InitramfsSpec::AddDirectory(std::string path, uint32_t mode) {
  entries_.push_back(MakeEntry(Kind::kDirectory, std::move(path), mode));
}

void InitramfsSpec::AddFile(std::string path, std::string source, uint32_t mode) {
  InitramfsEntry& entry = entries_.emplace_back(MakeEntry(Kind::kFile, std::move(path), mode));
  entry.source = std::move(source);
}

void InitramfsSpec::AddDecompressedFile(std::string path, std::string source, uint32_t mode) {
  AddFile(std::move(path), std::move(source), mode);
  entries_.back().decompress = true;
}

void InitramfsSpec::AddData(std::string path, std::string data, uint32_t mode) {
  InitramfsEntry& entry = entries_.emplace_back(MakeEntry(Kind::kFile, std::move(path), mode));
  entry.data = std::move(data);
}

void InitramfsSpec::AddSymlink(std::string path, std::string target) {
  InitramfsEntry& entry = entries_.emplace_back(MakeEntry(Kind::kSymlink, std::move(path), 0777));
  entry.target = std::move(target);
}

void InitramfsSpec::AddCharDevice(std::string path, uint32_t mode, uint32_t major, uint32_t minor) {
  InitramfsEntry& entry =
      entries_.emplace_back(MakeEntry(Kind::kCharDevice, std::move(path), mode));
  entry.rdev_major = major;
  entry.rdev_minor = minor;
}

Status WriteInitramfs(const InitramfsSpec& spec, const std::string& out_path,
                      uint32_t pad_to_multiple) {
  Members members;
  for (const InitramfsEntry& entry : spec.entries()) {
    if (Status s = AddMember(entry, &members); !s.ok()) return s;
  }
  if (Status s = AddParents(&members); !s.ok()) return s;
  int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, out_path);
  Status status = WriteMembers(members, fd, out_path, pad_to_multiple);
  if (status.ok() && fsync(fd) != 0) status = ErrnoStatus(errno, out_path);
  if (close(fd) != 0 && status.ok()) status = ErrnoStatus(errno, out_path);
  if (!status.ok()) unlink(out_path.c_str());
  return status;
}

}  // namespace diskferry
