// Reading a previous run's report back.
#include <cerrno>
#include <cstring>
#include <optional>

#include "protocol/source_file.h"
#include "sinks/file_record_json.h"
#include "sinks/host_file.h"
#include "sinks/run_report.h"

namespace diskferry {
namespace {

// One line of the report: its number, its text without '\n', and whether it had one.
struct Line {
  uint64_t number = 0;
  std::string text;
  bool terminated = false;
};

// Reads lines of any length from a descriptor, a chunk at a time.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // False at the end of the file or on a read error (see error()).
  bool Next(Line* line) {
    line->text.clear();
    for (;;) {
      const char* start = pending_.data() + used_;
      const char* newline =
          static_cast<const char*>(std::memchr(start, '\n', pending_.size() - used_));
      if (newline != nullptr) {
        line->text.append(start, newline);
        used_ += static_cast<size_t>(newline - start) + 1;
        line->terminated = true;
        line->number = ++number_;
        return true;
      }
      line->text.append(start, pending_.size() - used_);
      if (!Refill()) break;
    }
    if (error_ != 0 || line->text.empty()) return false;
    line->terminated = false;
    line->number = ++number_;
    return true;
  }
  // The errno of a failed read, 0 if none.
  int error() const { return error_; }

 private:
  static constexpr size_t kChunk = 64 * 1024;

  // False at the end of the file or on an error.
  bool Refill() {
    pending_.resize(kChunk);
    used_ = 0;
    const int64_t n =
        ReadSourceAt(fd_, offset_, reinterpret_cast<uint8_t*>(pending_.data()), kChunk);
    if (n < 0) error_ = static_cast<int>(-n);
    pending_.resize(n > 0 ? static_cast<size_t>(n) : 0);
    offset_ += pending_.size();
    return !pending_.empty();
  }

  int fd_;
  uint64_t offset_ = 0;
  std::string pending_;  // bytes read and not yet returned start at used_
  size_t used_ = 0;
  uint64_t number_ = 0;
  int error_ = 0;
};

// The file record on `line` if it belongs to `job`; nullopt for other lines.
Result<std::optional<FileRecord>> ParseLine(const Line& line, const std::string& job) {
  const Json j = Json::parse(line.text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(Code::kInvalidArgument, "not a JSON object");
  }
  const auto kind = j.find("record");
  const auto owner = j.find("job");
  if (kind == j.end() || *kind != "file" || owner == j.end() || (!job.empty() && *owner != job)) {
    return std::optional<FileRecord>();
  }
  Result<FileRecord> record = FileRecordFromJson(j);
  if (!record.ok()) return record.status();
  return std::optional<FileRecord>(std::move(*record));
}

}  // namespace

Status ForEachFileRecord(const std::string& path, const std::string& job,
                         const std::function<void(FileRecord)>& fn) {
  UniqueFd fd;
  if (int err = OpenHostFile(path, HostOpen::kRead, &fd); err != 0) return ErrnoStatus(err, path);
  LineReader reader(fd.get());
  Line line;
  while (reader.Next(&line)) {
    if (line.text.empty()) continue;
    Result<std::optional<FileRecord>> record = ParseLine(line, job);
    if (!record.ok()) {
      if (!line.terminated) break;  // cut short by a crash
      return record.status().WithContext(path + ":" + std::to_string(line.number));
    }
    if (record->has_value()) fn(std::move(**record));
  }
  if (reader.error() != 0) return ErrnoStatus(reader.error(), "reading " + path);
  return Status::Ok();
}

Result<std::vector<FileRecord>> ReadFileRecords(const std::string& path, const std::string& job) {
  std::vector<FileRecord> records;
  Status st = ForEachFileRecord(path, job, [&](FileRecord r) { records.push_back(std::move(r)); });
  if (!st.ok()) return st;
  return records;
}

Status ForEachReportLine(const std::string& path,
                         const std::function<Status(std::string_view, bool)>& fn) {
  UniqueFd fd;
  if (int err = OpenHostFile(path, HostOpen::kRead, &fd); err != 0) return ErrnoStatus(err, path);
  LineReader reader(fd.get());
  Line line;
  while (reader.Next(&line)) {
    if (line.text.empty()) continue;
    if (Status st = fn(line.text, line.terminated); !st.ok()) return st;
  }
  if (reader.error() != 0) return ErrnoStatus(reader.error(), "reading " + path);
  return Status::Ok();
}

Result<std::vector<JobStatusRecord>> ReadJobStatuses(const std::string& path) {
  UniqueFd fd;
  if (int err = OpenHostFile(path, HostOpen::kRead, &fd); err != 0) return ErrnoStatus(err, path);
  LineReader reader(fd.get());
  Line line;
  std::vector<JobStatusRecord> jobs;
  while (reader.Next(&line)) {
    if (line.text.empty()) continue;
    const Json j = Json::parse(line.text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      if (!line.terminated) break;  // cut short by a crash
      return Status(Code::kInvalidArgument,
                    path + ":" + std::to_string(line.number) + ": not a JSON object");
    }
    const auto kind = j.find("record");
    if (kind == j.end() || *kind != "job") continue;
    const auto job = j.find("job");
    const auto status = j.find("status");
    if (job == j.end() || !job->is_string() || status == j.end() || !status->is_string()) {
      return Status(Code::kInvalidArgument, path + ":" + std::to_string(line.number) +
                                                ": job record without job and status");
    }
    const std::string word = status->get<std::string>();
    const std::optional<JobStatus> parsed = ParseJobStatus(word);
    if (!parsed) {
      return Status(Code::kInvalidArgument, path + ":" + std::to_string(line.number) + ": job " +
                                                job->get<std::string>() + ": unknown status \"" +
                                                word + "\"");
    }
    JobStatusRecord js{job->get<std::string>(), *parsed};
    const auto files = j.find("files");
    const auto bytes = j.find("bytes");
    if (files != j.end() && files->is_number_unsigned()) js.files = files->get<uint64_t>();
    if (bytes != j.end() && bytes->is_number_unsigned()) js.bytes = bytes->get<uint64_t>();
    jobs.push_back(std::move(js));
  }
  if (reader.error() != 0) return ErrnoStatus(reader.error(), "reading " + path);
  return jobs;
}

}  // namespace diskferry
