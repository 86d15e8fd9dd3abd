#include "cli/cat_sink.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "protocol/fd_io.h"

namespace diskferry {
namespace {

class CatSink : public TreeSink {
 public:
  CatSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  Status OnRecord(const Record& r) override {
    if (seen_record_) return Status::Ok();  // only the first record is the file itself
    seen_record_ = true;
    switch (r.meta.type) {
      case RecordType::kFile:
        return Write(r.data);
      case RecordType::kStreamFile:
        size_ = r.meta.size;
        return Status::Ok();
      case RecordType::kSymlink:
        link_target_ = std::string(r.target);
        return Status::Ok();
      case RecordType::kDirectory:
        return ErrnoStatus(EISDIR, path_);
      case RecordType::kError:
        return Status(Code::kGuestError, path_ + ": " + std::string(r.target));
      default:
        return Status(Code::kInvalidArgument, path_ + ": not a regular file");
    }
  }

  Status OnStreamData(uint64_t, uint64_t offset, std::span<const uint8_t> data) override {
    if (offset < written_) return Status(Code::kProtocolError, path_ + ": stream data out of order");
    if (Status st = Zeros(offset - written_); !st.ok()) return st;
    return Write(data);
  }

  Status OnStreamEnd(uint64_t) override { return Zeros(size_ - written_); }
  Status Finish() override { return Status::Ok(); }

  const std::optional<std::string>& link_target() const { return link_target_; }

 private:
  Status Write(std::span<const uint8_t> data) {
    written_ += data.size();
    return WriteAll(fd_, data).WithContext("writing " + path_);
  }
  Status Zeros(uint64_t n) {  // holes of a sparse file read back as zeros
    static const std::vector<uint8_t> kZeros(64 * 1024);
    while (n > 0) {
      const size_t k = n < kZeros.size() ? n : kZeros.size();
      if (Status st = Write(std::span<const uint8_t>(kZeros.data(), k)); !st.ok()) return st;
      n -= k;
    }
    return Status::Ok();
  }

  int fd_;
  std::string path_;
  bool seen_record_ = false;
  uint64_t size_ = 0;
  uint64_t written_ = 0;
  std::optional<std::string> link_target_;
};

std::string ResolveLink(const std::string& path, const std::string& target) {
  if (!target.empty() && target.front() == '/') return target;
  const size_t slash = path.rfind('/');
  return path.substr(0, slash + 1) + target;
}

}  // namespace

Status CatFile(Appliance& appliance, const std::string& path, const TransferOptions& options,
               int fd) {
  std::string current = path;
  for (int hops = 0; hops <= 8; ++hops) {
    CatSink sink(fd, current);
    auto result = ExtractTree(appliance, {current}, &sink, options);
    if (!result.ok()) return result.status();
    if (!result->problems.empty()) {
      return Status(Code::kGuestError, current + ": " + result->problems.front().message);
    }
    if (!sink.link_target()) return Status::Ok();
    current = ResolveLink(current, *sink.link_target());
  }
  return ErrnoStatus(ELOOP, path);
}

}  // namespace diskferry
