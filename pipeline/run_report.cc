// Writing run reports and sha256sum lists.
#include "pipeline/run_report.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string_view>

#include "pipeline/file_record_json.h"
#include "pipeline/unique_fd.h"

namespace diskferry {
namespace {

// Appends lines to a file through a buffer. The first write error sticks: it is returned
// by every later call, so a full disk is reported once per caller, not lost.
class LineFile {
 public:
  static constexpr size_t kFlushAt = 64 * 1024;

  static Result<LineFile> Create(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoStatus(errno, path);
    return LineFile(path, std::move(fd));
  }

  // Opens for appending after the last complete line.
  static Result<LineFile> Reopen(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoStatus(errno, path);
    Result<off_t> end = CompleteLinesEnd(fd.get(), path);
    if (!end.ok()) return end.status();
    if (ftruncate(fd.get(), *end) != 0 || lseek(fd.get(), *end, SEEK_SET) < 0) {
      return ErrnoStatus(errno, path);
    }
    return LineFile(path, std::move(fd));
  }

  // The offset just past the last '\n' of the file (0 if none).
  static Result<off_t> CompleteLinesEnd(int fd, const std::string& path) {
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0) return ErrnoStatus(errno, path);
    char buf[4096];
    while (end > 0) {
      const off_t from = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
      const ssize_t n = pread(fd, buf, static_cast<size_t>(end - from), from);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ErrnoStatus(n < 0 ? errno : EIO, "reading " + path);
      for (ssize_t i = n; i > 0; --i) {
        if (buf[i - 1] == '\n') return from + i;
      }
      end = from;
    }
    return off_t{0};
  }

  // Appends the complete lines of `path`, through the buffer.
  Status AppendLinesOf(const std::string& path) {
    if (Status st = Flush(); !st.ok()) return st;
    UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.valid()) return ErrnoStatus(errno, path);
    Result<off_t> end = CompleteLinesEnd(in.get(), path);
    if (!end.ok()) return end.status();
    char buf[64 * 1024];
    for (off_t at = 0; at < *end;) {
      const size_t want = static_cast<size_t>(std::min<off_t>(*end - at, sizeof buf));
      const ssize_t n = pread(in.get(), buf, want, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ErrnoStatus(n < 0 ? errno : EIO, "reading " + path);
      buffer_.append(buf, static_cast<size_t>(n));
      at += n;
      if (buffer_.size() >= kFlushAt) {
        if (Status st = Flush(); !st.ok()) return st;
      }
    }
    return Flush();
  }

  Status Append(std::string_view line) {
    if (Status st = CheckOpen(); !st.ok()) return st;
    buffer_.append(line);
    buffer_ += '\n';
    return buffer_.size() >= kFlushAt ? Flush() : Status::Ok();
  }

  Status Flush() {
    if (Status st = CheckOpen(); !st.ok()) return st;
    for (size_t done = 0; done < buffer_.size();) {
      const ssize_t n = write(fd_.get(), buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failure_ = ErrnoStatus(errno, "writing " + path_);
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return Status::Ok();
  }

  Status Close() {
    if (Status st = Flush(); !st.ok()) return st;
    if (fdatasync(fd_.get()) != 0) return failure_ = ErrnoStatus(errno, "syncing " + path_);
    if (close(fd_.release()) != 0) return failure_ = ErrnoStatus(errno, "closing " + path_);
    return Status::Ok();
  }

  bool is_open() const { return fd_.valid(); }

 private:
  LineFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  Status CheckOpen() const {
    if (!failure_.ok()) return failure_;
    if (!fd_.valid()) return Status(Code::kFailedPrecondition, path_ + ": already closed");
    return Status::Ok();
  }

  std::string path_;
  UniqueFd fd_;
  std::string buffer_;
  Status failure_;
};

Json JobSummaryToJson(const JobSummary& s) {
  Json j = Json::object();
  j["record"] = "job";
  j["job"] = s.job;
  j["kind"] = s.kind;
  j["status"] = s.status;
  if (!s.message.empty()) j["message"] = s.message;
  j["files"] = s.files;
  j["bytes"] = s.bytes;
  j["skipped"] = s.skipped;
  j["errors"] = s.errors;
  j["started"] = FormatUtcTime(s.started);
  j["ended"] = FormatUtcTime(s.ended);
  return j;
}

Json RunSummaryToJson(const RunSummary& s) {
  Json j = Json::object();
  j["record"] = "run";
  if (!s.status.empty()) j["status"] = s.status;
  j["tool_version"] = s.tool_version;
  j["manifest_sha256"] = s.manifest_sha256;
  j["host"] = s.host;
  j["started"] = FormatUtcTime(s.started);
  j["ended"] = FormatUtcTime(s.ended);
  Json jobs = Json::array();
  for (const JobStatus& job : s.jobs)
    jobs.push_back(Json{{"job", job.job}, {"status", job.status}});
  j["jobs"] = std::move(jobs);
  if (s.peak_rss_anon_kib > 0) j["peak_rss_anon_kib"] = s.peak_rss_anon_kib;
  return j;
}

}  // namespace

std::string FormatUtcTime(TimePoint t) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  long millis = static_cast<long>(ms % 1000);
  if (millis < 0) {
    secs -= 1;
    millis += 1000;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

struct RunReport::Impl {
  explicit Impl(LineFile f) : file(std::move(f)) {}
  ~Impl() {
    if (file.is_open()) (void)file.Flush();
  }
  Status Append(const Json& line, bool flush) {
    const std::string text = DumpLine(line);
    std::lock_guard<std::mutex> lock(mu);
    if (Status st = file.Append(text); !st.ok() || !flush) return st;
    return file.Flush();
  }

  std::mutex mu;
  LineFile file;  // guarded by mu
};

Result<RunReport> RunReport::Open(const std::string& path, ReportMode mode) {
  Result<LineFile> file =
      mode == ReportMode::kAppend ? LineFile::Reopen(path) : LineFile::Create(path);
  if (!file.ok()) return file.status();
  return RunReport(std::make_unique<Impl>(std::move(*file)));
}

RunReport::RunReport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RunReport::RunReport(RunReport&&) noexcept = default;
RunReport& RunReport::operator=(RunReport&&) noexcept = default;
RunReport::~RunReport() = default;

Status RunReport::AddFile(const std::string& job, const FileRecord& record) {
  return impl_->Append(FileRecordToJson(job, record), false);
}

Status RunReport::AddJobSummary(const JobSummary& summary) {
  return impl_->Append(JobSummaryToJson(summary), true);
}

Status RunReport::AddRunSummary(const RunSummary& summary) {
  return impl_->Append(RunSummaryToJson(summary), true);
}

Status RunReport::AppendLinesOf(const std::string& path) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->file.AppendLinesOf(path);
}

Status RunReport::Flush() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->file.Flush();
}

Status RunReport::Close() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->file.Close();
}

// sha256sum(1) from coreutils 9.1 escapes exactly these three.
std::string Sha256SumsLine(const FileRecord& record) {
  auto it = record.hashes.find("sha256");
  if (it == record.hashes.end()) return "";
  std::string name;
  bool escaped = false;
  for (char c : record.path) {
    const char* esc = c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
    escaped |= esc != nullptr;
    if (esc != nullptr) {
      name += esc;
    } else {
      name += c;
    }
  }
  return (escaped ? "\\" : "") + it->second + "  " + name + "\n";
}

struct Sha256SumsWriter::Impl {
  explicit Impl(LineFile f) : file(std::move(f)) {}
  ~Impl() {
    if (file.is_open()) (void)file.Flush();
  }
  LineFile file;
};

Result<Sha256SumsWriter> Sha256SumsWriter::Open(const std::string& path) {
  Result<LineFile> file = LineFile::Create(path);
  if (!file.ok()) return file.status();
  return Sha256SumsWriter(std::make_unique<Impl>(std::move(*file)));
}

Sha256SumsWriter::Sha256SumsWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Sha256SumsWriter::Sha256SumsWriter(Sha256SumsWriter&&) noexcept = default;
Sha256SumsWriter& Sha256SumsWriter::operator=(Sha256SumsWriter&&) noexcept = default;
Sha256SumsWriter::~Sha256SumsWriter() = default;

Status Sha256SumsWriter::Add(const FileRecord& record) {
  std::string line = Sha256SumsLine(record);
  if (line.empty()) return Status::Ok();
  line.pop_back();  // LineFile adds the '\n'
  return impl_->file.Append(line);
}

Status Sha256SumsWriter::Close() { return impl_->file.Close(); }

Status WriteSha256Sums(const std::string& path, const std::vector<FileRecord>& records) {
  Result<Sha256SumsWriter> writer = Sha256SumsWriter::Open(path);
  if (!writer.ok()) return writer.status();
  for (const FileRecord& record : records) {
    if (Status st = writer->Add(record); !st.ok()) return st;
  }
  return writer->Close();
}

}  // namespace diskferry
