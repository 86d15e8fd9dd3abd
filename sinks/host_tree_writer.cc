// The host-independent part of the writer: record checks and dispatch. The host's half
// (host_tree_writer_posix.cc, qemu-win/host_tree_writer_win.cc) makes the entries.
#include "sinks/host_tree_writer.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "sinks/host_tree_writer_impl.h"

namespace diskferry {
namespace {

// Errors that will hit every following file as well: stop the transfer rather than
// report a problem per file.
bool IsFatal(int err) {
#ifdef EDQUOT  // not in mingw-w64's errno.h: Windows reports quotas as a full disk
  if (err == EDQUOT) return true;
#endif
  return err == ENOSPC || err == EROFS;
}

}  // namespace

std::string ParentProblem(int err) {
  if (err == ENOTDIR || err == ELOOP) {
    return "not created: a parent is a symlink or not a directory (never followed)";
  }
  return "not created: parent directory";
}

Status HostTreeWriter::Impl::Settle(std::string_view path, const std::string& what, int err) {
  if (err == 0) return Status::Ok();
  if (IsFatal(err)) {
    return Status(Code::kIoError, QuotedText(path) + ": " + what + ": " + std::strerror(err));
  }
  report.problems.Add({std::string(path), what + ": " + std::strerror(err)});
  return Status::Ok();
}

// Checks what no honest source sends; these stop the transfer.
Status HostTreeWriter::Impl::CheckRecord(const Record& r, XattrList* xattrs) {
  if (Status st = ValidateRelativePath(r.path); !st.ok()) return st;
  const std::string where = "record " + QuotedText(r.path);
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
  if (r.meta.type == RecordType::kDirectory && dir_paths.contains(std::string(r.path))) {
    // Each would add a pending directory: growth, not writing.
    return GuestMisbehaved("directory " + QuotedText(r.path) + " sent twice");
  }
  if (policy.safety.xattrs != XattrScope::kNone && !r.xattrs.empty()) {
    auto decoded = DecodeXattrs(r.xattrs);
    if (!decoded.ok()) return decoded.status().WithContext(where);
    *xattrs = std::move(*decoded);
    FilterXattrs(r.path, policy.safety, xattrs, &report.withheld);
  }
  if (r.meta.type == RecordType::kDirectory) {
    if (Status st = held.Take(r.path.size() + r.xattrs.size()); !st.ok()) return st;
    dir_paths.emplace(r.path);
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
  if (r.meta.type == RecordType::kSpecial &&
      WithholdDevice(r.path, r.meta, policy.safety, &report.withheld)) {
    return Status::Ok();
  }
  const std::optional<std::string> unnamable = HostNameProblem(r.path);
  BeneathDir::Parent parent;
  const int err = unnamable ? 0 : dest.OpenParent(r.path, &parent);
  if (unnamable || err != 0) {
    // Registered anyway, so that its data is dropped quietly rather than failing the
    // transfer as data for an unknown file_id.
    if (r.meta.type == RecordType::kStreamFile) AddStream(r, {});
    if (!unnamable) return Settle(r.path, ParentProblem(err), err);
    report.problems.Add({std::string(r.path), "not created: " + *unnamable});
    return Status::Ok();
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
      return BeginStream(r, parent, std::move(xattrs));
    case RecordType::kError:
      break;  // handled above
  }
  return Status(Code::kProtocolError, "record " + QuotedText(r.path) + ": unknown type " +
                                          std::to_string(static_cast<unsigned>(r.meta.type)));
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
