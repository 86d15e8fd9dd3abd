// Reading a previous run's report back.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "pipeline/file_record_json.h"
#include "pipeline/run_report.h"

namespace diskferry {
namespace {

struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

// One line of the report: its number, its text without '\n', and whether it had one.
struct Line {
  uint64_t number = 0;
  std::string text;
  bool terminated = false;
};

// Reads lines of any length with getline(3).
class LineReader {
 public:
  explicit LineReader(FILE* f) : file_(f) {}
  ~LineReader() { std::free(buf_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // False at the end of the file or on a read error (see error()).
  bool Next(Line* line) {
    const ssize_t n = getline(&buf_, &cap_, file_);
    if (n < 0) return false;
    line->number = ++number_;
    line->terminated = n > 0 && buf_[n - 1] == '\n';
    line->text.assign(buf_, static_cast<size_t>(n) - (line->terminated ? 1 : 0));
    return true;
  }
  bool error() const { return std::ferror(file_) != 0; }

 private:
  FILE* file_;
  char* buf_ = nullptr;
  size_t cap_ = 0;
  uint64_t number_ = 0;
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
  std::unique_ptr<FILE, FileClose> file(std::fopen(path.c_str(), "re"));
  if (file == nullptr) return ErrnoStatus(errno, path);
  LineReader reader(file.get());
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
  if (reader.error()) return ErrnoStatus(errno, "reading " + path);
  return Status::Ok();
}

Result<std::vector<FileRecord>> ReadFileRecords(const std::string& path, const std::string& job) {
  std::vector<FileRecord> records;
  Status st = ForEachFileRecord(path, job, [&](FileRecord r) { records.push_back(std::move(r)); });
  if (!st.ok()) return st;
  return records;
}

Result<std::vector<JobStatus>> ReadJobStatuses(const std::string& path) {
  std::unique_ptr<FILE, FileClose> file(std::fopen(path.c_str(), "re"));
  if (file == nullptr) return ErrnoStatus(errno, path);
  LineReader reader(file.get());
  Line line;
  std::vector<JobStatus> jobs;
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
    jobs.push_back({job->get<std::string>(), status->get<std::string>()});
  }
  if (reader.error()) return ErrnoStatus(errno, "reading " + path);
  return jobs;
}

}  // namespace diskferry
