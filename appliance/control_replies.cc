#include "appliance/control_replies.h"

#include <algorithm>

#include "protocol/lane_records.h"
#include "protocol/printable_text.h"
#include "protocol/walk_order.h"

namespace diskferry::internal {
namespace {

std::string_view View(const flatbuffers::String* s) { return s ? s->string_view() : std::string_view(); }

// Guest text for a message or a display field: cut to `max` bytes before anything is
// copied, and escaped (printable_text.h).
std::string GuestText(std::string_view text, size_t max = 1024) {
  return PrintableText(text, {.max_bytes = max});
}

// Raw guest bytes kept for reports and logic (PrintableText before printing), bounded.
std::string Cut(const flatbuffers::String* s, size_t max) {
  return std::string(View(s).substr(0, max));
}

// The strings one reply may still copy (kMaxReplyStringBytes). Each decoder charges a
// string's kept bytes before it copies them.
class ReplyBudget {
 public:
  explicit ReplyBudget(std::string what) : what_(std::move(what)) {}

  Status Charge(size_t bytes) {
    if (bytes > left_) {
      return Status(Code::kProtocolError, what_ + ": its strings pass the budget of " +
                                              std::to_string(kMaxReplyStringBytes) + " bytes");
    }
    left_ -= bytes;
    return Status::Ok();
  }
  // The first `max` bytes of `s`, charged.
  Result<std::string_view> Cut(const flatbuffers::String* s, size_t max) {
    const std::string_view kept = View(s).substr(0, max);
    if (Status st = Charge(kept.size()); !st.ok()) return st;
    return kept;
  }
  // `s` whole, charged; kProtocolError naming `field` when it is longer than `max`.
  Result<std::string_view> Whole(const flatbuffers::String* s, size_t max, std::string_view field) {
    const std::string_view all = View(s);
    if (all.size() > max) {
      return Status(Code::kProtocolError, what_ + ": a " + std::string(field) + " of " +
                                              std::to_string(all.size()) + " bytes, more than " +
                                              std::to_string(max));
    }
    if (Status st = Charge(all.size()); !st.ok()) return st;
    return all;
  }
  // Escaped display text (GuestText) of the first `max` bytes of `s`, charged.
  Result<std::string> Text(const flatbuffers::String* s, size_t max) {
    Result<std::string_view> kept = Cut(s, max);
    if (!kept.ok()) return kept.status();
    return GuestText(*kept, max);
  }
  const std::string& what() const { return what_; }

 private:
  std::string what_;
  size_t left_ = kMaxReplyStringBytes;
};

// kProtocolError "<what>: <count> <items>, more than <max>" when count > max.
Status CheckCount(const std::string& what, size_t count, size_t max, std::string_view items) {
  if (count <= max) return Status::Ok();
  return Status(Code::kProtocolError, what + ": " + std::to_string(count) + " " +
                                          std::string(items) + ", more than " +
                                          std::to_string(max));
}

template <typename V>
size_t Count(const V* v) {
  return v == nullptr ? 0 : v->size();
}

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

Status SurveyError(const std::string& what) {
  return Status(Code::kProtocolError, "Survey reply: " + what);
}

// A checkpoint after `previous` (null for the first) within the totals of `result`.
Status CheckCheckpoint(const SurveyCheckpoint& c, const SurveyCheckpoint* previous,
                       const SurveyResult& result, size_t index) {
  const std::string which = "checkpoint " + std::to_string(index);
  if (Status valid = ValidateRelativePath(c.path); !valid.ok()) {
    return SurveyError(which + ": " + GuestText(valid.message(), 512));
  }
  if (previous != nullptr && CompareWalkOrder(previous->path, c.path) >= 0) {
    return SurveyError(which + " \"" + GuestText(c.path, 256) +
                       "\" does not come after the one before it in walk order");
  }
  if (previous != nullptr &&
      (c.weight < previous->weight || c.files < previous->files || c.bytes < previous->bytes)) {
    return SurveyError(which + ": cumulative numbers decrease");
  }
  if (c.weight > result.weight || c.files > result.files || c.bytes > result.bytes) {
    return SurveyError(which + ": cumulative numbers pass the totals");
  }
  return Status::Ok();
}

Status ListError(const std::string& what) {
  return Status(Code::kProtocolError, "ListFilesystems reply: " + what);
}

bool IsDeviceNameByte(char c) { return c > ' ' && c < 0x7f; }

// A device name the host sends back to the daemon and prints: exact, so it is refused
// rather than escaped when it holds anything but printable ASCII.
Result<std::string> CheckedDevice(const flatbuffers::String* s, const std::string& what) {
  const std::string_view name = View(s);
  if (name.size() <= 5 || name.size() > kMaxDevicePathBytes || !name.starts_with("/dev/") ||
      !std::all_of(name.begin(), name.end(), IsDeviceNameByte)) {
    return Status(Code::kProtocolError,
                  what + ": impossible device name \"" + GuestText(name, 256) + "\"");
  }
  return std::string(name);
}

Result<std::string> CheckedDevice(const flatbuffers::String* s, const std::string& what,
                                  ReplyBudget& budget) {
  if (Status st = budget.Charge(std::min(View(s).size(), kMaxDevicePathBytes)); !st.ok()) {
    return st;
  }
  return CheckedDevice(s, what);
}

// At most kMaxReplyNotes lines, each cut and escaped.
Result<std::vector<std::string>> Notes(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v, ReplyBudget& budget) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->size() > kMaxReplyNotes) {
    return Status(Code::kProtocolError,
                  budget.what() + ": more than " + std::to_string(kMaxReplyNotes) + " notes");
  }
  for (const flatbuffers::String* line : *v) {
    Result<std::string> text = budget.Text(line, 512);
    if (!text.ok()) return text.status();
    out.push_back(std::move(*text));
  }
  return out;
}

}  // namespace

Status GuestErrorStatus(const proto::Error& error) {
  const std::string_view code = View(error.code());
  const std::string name = IsErrnoName(code) ? std::string(code) : "EPROTO";
  return Status(Code::kGuestError, name + ": " + GuestText(View(error.message())));
}

Result<HelloInfo> ToHelloInfo(const proto::HelloReply& reply) {
  ReplyBudget budget("Hello reply");
  if (Status st = CheckCount(budget.what(), Count(reply.filesystems()), kMaxHelloFilesystems,
                             "filesystems");
      !st.ok()) {
    return st;
  }
  if (Status st = CheckCount(budget.what(), Count(reply.launch_secret()), kMaxLaunchSecretBytes,
                             "launch secret bytes");
      !st.ok()) {
    return st;
  }
  HelloInfo info;
  info.protocol_version = reply.protocol_version();
  info.daemon_version = GuestText(View(reply.daemon_version()), 256);
  info.kernel_release = GuestText(View(reply.kernel_release()), 256);
  if (reply.filesystems() != nullptr) {
    info.filesystems.reserve(reply.filesystems()->size());
    for (const flatbuffers::String* fs : *reply.filesystems()) {
      Result<std::string> name = budget.Text(fs, 64);
      if (!name.ok()) return name.status();
      info.filesystems.push_back(std::move(*name));
    }
  }
  info.shm_size = reply.shm_size();
  info.boot_ms = reply.boot_ms();
  info.guest_time_ns = reply.guest_time_ns();
  info.restored = reply.restored();
  if (reply.launch_secret() != nullptr) {
    info.launch_secret.assign(reply.launch_secret()->begin(), reply.launch_secret()->end());
  }
  return info;
}

Result<StorageListing> ToStorageListing(const proto::ListFilesystemsReply& reply) {
  ReplyBudget budget("ListFilesystems reply");
  StorageListing out;
  const auto* filesystems = reply.filesystems();
  const size_t count = filesystems ? filesystems->size() : 0;
  if (count > kMaxListedFilesystems) {
    return ListError(std::to_string(count) + " filesystems, more than " +
                     std::to_string(kMaxListedFilesystems));
  }
  for (size_t i = 0; i < count; ++i) {
    const proto::Filesystem* fs = filesystems->Get(static_cast<flatbuffers::uoffset_t>(i));
    Result<std::string> device = CheckedDevice(fs->device(), "ListFilesystems reply", budget);
    if (!device.ok()) return device.status();
    Result<std::string_view> fstype = budget.Cut(fs->fstype(), 64);
    Result<std::string_view> label = budget.Cut(fs->label(), 256);
    Result<std::string_view> uuid = budget.Cut(fs->uuid(), 128);
    if (!fstype.ok()) return fstype.status();
    if (!label.ok()) return label.status();
    if (!uuid.ok()) return uuid.status();
    FilesystemInfo info{
        *device, std::string(*fstype), std::string(*label), std::string(*uuid), fs->size(), {}, ""};
    const auto* aliases = fs->aliases();
    if (aliases != nullptr && aliases->size() > kMaxAliases) {
      return ListError(info.device + ": more than " + std::to_string(kMaxAliases) + " aliases");
    }
    if (aliases != nullptr) {
      for (const flatbuffers::String* alias : *aliases) {
        Result<std::string> name = CheckedDevice(alias, "ListFilesystems reply", budget);
        if (!name.ok()) return name.status();
        info.aliases.push_back(std::move(*name));
      }
    }
    Result<std::string> note = budget.Text(fs->note(), 512);
    if (!note.ok()) return note.status();
    info.note = std::move(*note);
    out.filesystems.push_back(std::move(info));
  }
  Result<std::vector<std::string>> problems = Notes(reply.problems(), budget);
  if (!problems.ok()) return problems.status();
  out.problems = std::move(*problems);
  return out;
}

Result<std::string> ToUnlockedDevice(const proto::UnlockReply& reply) {
  return CheckedDevice(reply.device(), "Unlock reply");
}

Result<OsTreeInfo> ToOsTreeInfo(const proto::MountOsReply& reply) {
  const std::string what = "MountOs reply";
  ReplyBudget budget(what);
  OsTreeInfo out;
  out.os_name = GuestText(View(reply.os_name()), 256);
  const auto* mounted = reply.mounted();
  const size_t count = mounted ? mounted->size() : 0;
  if (count == 0 || count > kMaxOsMounts) {
    return Status(Code::kProtocolError,
                  what + ": " + std::to_string(count) + " filesystems mounted");
  }
  for (const proto::OsMount* m : *mounted) {
    Result<std::string> device = CheckedDevice(m->device(), what, budget);
    if (!device.ok()) return device.status();
    const std::string_view point = View(m->mount_point());
    if (point.empty() || point.front() != '/' || point.size() > kMaxPathBytes ||
        point.find('\0') != std::string_view::npos) {
      return Status(Code::kProtocolError, what + ": " + *device + " has an impossible mount point \"" +
                                              GuestText(point, 256) + "\"");
    }
    Result<std::string_view> fstype = budget.Cut(m->fstype(), 64);
    if (!fstype.ok()) return fstype.status();
    Result<std::string> options = budget.Text(m->options(), 1024);
    if (!options.ok()) return options.status();
    if (Status st = budget.Charge(point.size()); !st.ok()) return st;
    out.mounted.push_back(MountedFilesystem{*device, std::string(*fstype), std::string(point),
                                            m->replayed(), std::move(*options)});
  }
  if (out.mounted.front().mount_point != "/") {
    return Status(Code::kProtocolError, what + ": the first filesystem is not mounted at /");
  }
  const auto* skipped = reply.skipped();
  if (skipped != nullptr && skipped->size() > kMaxReplyNotes) {
    return Status(Code::kProtocolError, what + ": more than " + std::to_string(kMaxReplyNotes) +
                                            " skipped entries");
  }
  if (skipped != nullptr) {
    for (const proto::OsSkipped* s : *skipped) {
      // Each at most 256 + 256 + 32 + 512 bytes, and kMaxReplyNotes of them: well within
      // the budget, charged all the same.
      if (Status st = budget.Charge(256 + 256 + 32 + 512); !st.ok()) return st;
      out.skipped.push_back(OsSkippedEntry{GuestText(View(s->spec()), 256),
                                           GuestText(View(s->mount_point()), 256), s->line(),
                                           GuestText(View(s->kind()), 32),
                                           GuestText(View(s->reason()), 512)});
    }
  }
  Result<std::vector<std::string>> warnings = Notes(reply.warnings(), budget);
  if (!warnings.ok()) return warnings.status();
  out.warnings = std::move(*warnings);
  return out;
}

MountInfo ToMountInfo(const proto::MountReply& reply) {
  return MountInfo{Cut(reply.fstype(), 64), Cut(reply.options(), kMaxPathBytes), reply.replayed()};
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
  ReplyBudget budget("ReadDir reply");
  page.entries.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const proto::DirEntry* e = entries->Get(static_cast<flatbuffers::uoffset_t>(i));
    const std::string_view name = View(e->name());
    if (name.size() > kMaxNameBytes || !IsPlausibleEntryName(name)) {
      return PageError("entry " + std::to_string(start + i) + " has an impossible name \"" +
                       GuestText(name, 256) + "\"" +
                       (name.size() > kMaxNameBytes
                            ? " (" + std::to_string(name.size()) + " bytes, more than " +
                                  std::to_string(kMaxNameBytes) + ")"
                            : ""));
    }
    if (Status st = budget.Charge(name.size()); !st.ok()) return st;
    Result<std::string_view> target = budget.Whole(e->link_target(), kMaxPathBytes, "link target");
    if (!target.ok()) return target.status().WithContext("entry " + std::to_string(start + i));
    page.entries.push_back(
        DirEntryInfo{std::string(name), ToFileStat(e->stat()), std::string(*target)});
  }
  return page;
}

Result<SurveyResult> ToSurveyResult(const proto::SurveyReply& reply) {
  SurveyResult result;
  result.files = reply.files();
  result.directories = reply.directories();
  result.others = reply.others();
  result.bytes = reply.bytes();
  result.weight = reply.weight();
  result.errors = reply.errors();
  const auto* checkpoints = reply.checkpoints();
  const size_t count = checkpoints ? checkpoints->size() : 0;
  if (count > kMaxSurveyCheckpoints) {
    return SurveyError(std::to_string(count) + " checkpoints, more than " +
                       std::to_string(kMaxSurveyCheckpoints));
  }
  ReplyBudget budget("Survey reply");
  result.checkpoints.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const proto::SurveyCheckpoint* c = checkpoints->Get(static_cast<flatbuffers::uoffset_t>(i));
    Result<std::string_view> path = budget.Whole(c->path(), kMaxPathBytes, "checkpoint path");
    if (!path.ok()) return path.status();
    SurveyCheckpoint checkpoint{std::string(*path), c->weight(), c->files(), c->bytes()};
    const SurveyCheckpoint* previous = i == 0 ? nullptr : &result.checkpoints.back();
    if (Status st = CheckCheckpoint(checkpoint, previous, result, i); !st.ok()) return st;
    result.checkpoints.push_back(std::move(checkpoint));
  }
  return result;
}

Result<std::string> ToSymlinkTarget(const proto::ReadlinkReply& reply) {
  if (reply.target() == nullptr) {
    return Status(Code::kProtocolError, "Readlink reply without a target");
  }
  ReplyBudget budget("Readlink reply");
  Result<std::string_view> target = budget.Whole(reply.target(), kMaxPathBytes, "target");
  if (!target.ok()) return target.status();
  return std::string(*target);
}

Result<std::vector<ReplyFileError>> ToFileErrors(
    const flatbuffers::Vector<flatbuffers::Offset<proto::FileError>>* errors,
    const std::string& what) {
  std::vector<ReplyFileError> out;
  if (Status st = CheckCount(what, Count(errors), kMaxReplyFileErrors, "file errors"); !st.ok()) {
    return st;
  }
  if (errors == nullptr) return out;
  ReplyBudget budget(what);
  out.reserve(errors->size());
  for (const proto::FileError* e : *errors) {
    Result<std::string_view> path = budget.Whole(e->path(), kMaxPathBytes, "file error path");
    if (!path.ok()) return path.status();
    Result<std::string_view> message = budget.Cut(e->message(), kMaxFileErrorMessageBytes);
    if (!message.ok()) return message.status();
    out.push_back(ReplyFileError{std::string(*path), std::string(*message)});
  }
  return out;
}

Status CheckExtractNextReply(const proto::ExtractNextReply& reply) {
  return CheckCount("ExtractNext reply", Count(reply.buffers()), kMaxReplyBuffers, "buffers");
}

Status CheckInjectPutReply(const proto::InjectPutReply& reply) {
  const std::string what = "InjectPut reply";
  if (Status st = CheckCount(what, Count(reply.release()), kMaxReplyBuffers, "releases");
      !st.ok()) {
    return st;
  }
  return CheckCount(what, Count(reply.errors()), kMaxReplyFileErrors, "file errors");
}

}  // namespace diskferry::internal
