#include "appliance/control_replies.h"

namespace diskferry::internal {
namespace {

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

bool IsErrnoName(std::string_view code) {
  if (code.size() < 2 || code.size() > 16 || code[0] != 'E') return false;
  for (const char c : code) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

FileStat ToFileStat(const proto::Stat* s) {
  FileStat out;
  if (s == nullptr) return out;
  out.mode = s->mode();
  out.uid = s->uid();
  out.gid = s->gid();
  out.nlink = s->nlink();
  out.size = s->size();
  out.ino = s->ino();
  out.rdev = s->rdev();
  out.blocks = s->blocks();
  out.atime_ns = s->atime_ns();
  out.mtime_ns = s->mtime_ns();
  out.ctime_ns = s->ctime_ns();
  return out;
}

bool IsPlausibleEntryName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

Status PageError(const std::string& what) {
  return Status(Code::kProtocolError, "ReadDir reply: " + what);
}

}  // namespace

std::string SanitizeGuestText(std::string_view text, size_t max) {
  std::string out(text.substr(0, max));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  if (text.size() > max) out += "...";
  return out;
}

Status GuestErrorStatus(const proto::Error& error) {
  const std::string code = Str(error.code());
  const std::string name = IsErrnoName(code) ? code : "EPROTO";
  return Status(Code::kGuestError, name + ": " + SanitizeGuestText(Str(error.message())));
}

HelloInfo ToHelloInfo(const proto::HelloReply& reply) {
  HelloInfo info;
  info.protocol_version = reply.protocol_version();
  info.daemon_version = SanitizeGuestText(Str(reply.daemon_version()), 256);
  info.kernel_release = SanitizeGuestText(Str(reply.kernel_release()), 256);
  if (reply.filesystems() != nullptr) {
    for (const flatbuffers::String* fs : *reply.filesystems()) {
      info.filesystems.push_back(SanitizeGuestText(Str(fs), 64));
    }
  }
  info.shm_size = reply.shm_size();
  info.boot_ms = reply.boot_ms();
  return info;
}

std::vector<FilesystemInfo> ToFilesystems(const proto::ListFilesystemsReply& reply) {
  std::vector<FilesystemInfo> out;
  if (reply.filesystems() == nullptr) return out;
  for (const proto::Filesystem* fs : *reply.filesystems()) {
    out.push_back(FilesystemInfo{Str(fs->device()), Str(fs->fstype()), Str(fs->label()),
                                 Str(fs->uuid()), fs->size()});
  }
  return out;
}

MountInfo ToMountInfo(const proto::MountReply& reply) {
  return MountInfo{Str(reply.fstype()), Str(reply.options())};
}

Result<DirPage> ToDirPage(const proto::ReadDirReply& reply, uint64_t start, uint32_t max_entries) {
  DirPage page;
  page.next = reply.next();
  page.eof = reply.eof();
  const auto* entries = reply.entries();
  const size_t count = entries ? entries->size() : 0;
  if (count > max_entries) {
    return PageError(std::to_string(count) + " entries, asked for at most " +
                     std::to_string(max_entries));
  }
  if (!page.eof && page.next <= start) {
    return PageError("next " + std::to_string(page.next) + " does not advance past start " +
                     std::to_string(start));
  }
  page.entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const proto::DirEntry* e = entries->Get(static_cast<flatbuffers::uoffset_t>(i));
    std::string name = Str(e->name());
    if (!IsPlausibleEntryName(name)) {
      return PageError("entry " + std::to_string(start + i) + " has an impossible name \"" +
                       SanitizeGuestText(name, 256) + "\"");
    }
    page.entries.push_back(
        DirEntryInfo{std::move(name), ToFileStat(e->stat()), Str(e->link_target())});
  }
  return page;
}

}  // namespace diskferry::internal
