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
        file_id_ = r.meta.file_id;
        streaming_ = true;
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

  Status OnStreamData(uint64_t file_id, uint64_t offset, std::span<const uint8_t> data) override {
    if (Status st = CheckStream(file_id, "data"); !st.ok()) return st;
    if (offset < written_) return GuestMisbehaved(path_ + ": stream data out of order");
    if (offset > size_ || data.size() > size_ - offset) {
      return GuestMisbehaved(path_ + ": stream data beyond the file's size " +
                             std::to_string(size_));
    }
    if (Status st = Zeros(offset - written_); !st.ok()) return st;
    return Write(data);
  }

  Status OnStreamEnd(uint64_t file_id) override {
    if (Status st = CheckStream(file_id, "end"); !st.ok()) return st;
    streaming_ = false;
    return Zeros(size_ - written_);  // written_ <= size_: checked with each piece of data
  }
  Status Finish() override { return Status::Ok(); }

  const std::optional<std::string>& link_target() const { return link_target_; }

 private:
  Status CheckStream(uint64_t file_id, const char* what) const {
    if (streaming_ && file_id == file_id_) return Status::Ok();
    return GuestMisbehaved(path_ + ": stream " + what + " for file_id " + std::to_string(file_id) +
                           ", which is not the file being read (or has ended)");
  }
  Status Write(std::span<const uint8_t> data) {
    written_ += data.size();
    return WriteAllToFile(fd_, data, "writing " + path_);
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
  uint64_t file_id_ = 0;
  bool streaming_ = false;  // the first record was a stream file that has not ended
  std::optional<std::string> link_target_;
};

std::string ResolveLink(const std::string& path, const std::string& target) {
  if (!target.empty() && target.front() == '/') return target;
  const size_t slash = path.rfind('/');
  return path.substr(0, slash + 1) + target;
}

}  // namespace

std::unique_ptr<TreeSink> NewCatSink(int fd, std::string path) {
  return std::make_unique<CatSink>(fd, std::move(path));
}

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
