// Writing run reports and sha256sum lists.
#include "sinks/run_report.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string_view>

#include "protocol/source_file.h"
#include "sinks/file_record_json.h"
#include "sinks/host_file.h"
#include "sinks/unique_fd.h"

namespace diskferry {
namespace {

// Appends lines to a file through a buffer. The first write error sticks: it is returned
// by every later call, so a full disk is reported once per caller, not lost.
class LineFile {
 public:
  static constexpr size_t kFlushAt = 64 * 1024;

  static Result<LineFile> Create(const std::string& path) {
    UniqueFd fd;
    if (int err = OpenHostFile(path, HostOpen::kTruncate, &fd); err != 0) {
      return ErrnoStatus(err, path);
    }
    return LineFile(path, std::move(fd), 0);
  }

  // Opens for appending after the last complete line.
  static Result<LineFile> Reopen(const std::string& path) {
    UniqueFd fd;
    if (int err = OpenHostFile(path, HostOpen::kUpdate, &fd); err != 0) {
      return ErrnoStatus(err, path);
    }
    Result<uint64_t> end = CompleteLinesEnd(fd.get(), path);
    if (!end.ok()) return end.status();
    if (int err = ResizeFile(fd.get(), *end); err != 0) return ErrnoStatus(err, path);
    return LineFile(path, std::move(fd), *end);
  }

  // The offset just past the last '\n' of the file (0 if none).
  static Result<uint64_t> CompleteLinesEnd(int fd, const std::string& path) {
    uint64_t end = 0;
    if (int err = FileSize(fd, &end); err != 0) return ErrnoStatus(err, path);
    uint8_t buf[4096];
    while (end > 0) {
      const uint64_t from = end > sizeof buf ? end - sizeof buf : 0;
      const int64_t n = ReadSourceAt(fd, from, buf, end - from);
      if (n <= 0) return ErrnoStatus(n < 0 ? static_cast<int>(-n) : EIO, "reading " + path);
      for (int64_t i = n; i > 0; --i) {
        if (buf[i - 1] == '\n') return from + static_cast<uint64_t>(i);
      }
      end = from;
    }
    return uint64_t{0};
  }

  // Appends the complete lines of `path`, through the buffer.
  Status AppendLinesOf(const std::string& path) {
    if (Status st = Flush(); !st.ok()) return st;
    UniqueFd in;
    if (int err = OpenHostFile(path, HostOpen::kRead, &in); err != 0) {
      return ErrnoStatus(err, path);
    }
    Result<uint64_t> end = CompleteLinesEnd(in.get(), path);
    if (!end.ok()) return end.status();
    uint8_t buf[64 * 1024];
    for (uint64_t at = 0; at < *end;) {
      const uint64_t want = std::min<uint64_t>(*end - at, sizeof buf);
      const int64_t n = ReadSourceAt(in.get(), at, buf, want);
      if (n <= 0) return ErrnoStatus(n < 0 ? static_cast<int>(-n) : EIO, "reading " + path);
      buffer_.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
      at += static_cast<uint64_t>(n);
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
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(buffer_.data()),
                                         buffer_.size());
    if (int err = WriteFileAt(fd_.get(), end_, bytes); err != 0) {
      return failure_ = ErrnoStatus(err, "writing " + path_);
    }
    end_ += bytes.size();
    buffer_.clear();
    return Status::Ok();
  }

  Status Close() {
    if (Status st = Flush(); !st.ok()) return st;
    if (int err = SyncFile(fd_.get()); err != 0) {
      return failure_ = ErrnoStatus(err, "syncing " + path_);
    }
    if (int err = CloseFile(&fd_); err != 0) {
      return failure_ = ErrnoStatus(err, "closing " + path_);
    }
    return Status::Ok();
  }

  bool is_open() const { return fd_.valid(); }

 private:
  LineFile(std::string path, UniqueFd fd, uint64_t end)
      : path_(std::move(path)), fd_(std::move(fd)), end_(end) {}

  Status CheckOpen() const {
    if (!failure_.ok()) return failure_;
    if (!fd_.valid()) return Status(Code::kFailedPrecondition, path_ + ": already closed");
    return Status::Ok();
  }

  std::string path_;
  UniqueFd fd_;
  uint64_t end_ = 0;  // where the next line goes: the file is written at offsets
  std::string buffer_;
  Status failure_;
};

Json CaseToJson(const CaseInfo& c) {
  Json j = Json::object();
  if (!c.id.empty()) j["id"] = c.id;
  if (!c.examiner.empty()) j["examiner"] = c.examiner;
  if (!c.evidence_id.empty()) j["evidence_id"] = c.evidence_id;
  if (!c.notes.empty()) j["notes"] = c.notes;
  return j;
}

Json EvidenceToJson(const std::string& job, const ImageEvidence& e) {
  Json j = Json::object();
  j["record"] = "evidence";
  j["job"] = job;
  if (IsValidUtf8(e.before.path)) {
    j["path"] = e.before.path;
  } else {
    j["path_b64"] = Base64Encode(e.before.path);
  }
  j["size"] = e.before.size;
  j["before"] = Json(e.before.hashes);
  if (e.after) {
    j["after"] = Json(e.after->hashes);
    if (e.after->size != e.before.size) j["size_after"] = e.after->size;
  }
  j["match"] = e.match();
  if (!e.error.empty()) j["error"] = e.error;
  return j;
}

Json JobSummaryToJson(const JobSummary& s) {
  Json j = Json::object();
  j["record"] = "job";
  j["job"] = s.job;
  j["kind"] = s.kind;
  j["status"] = JobStatusName(s.status);
  if (!s.message.empty()) j["message"] = s.message;
  j["files"] = s.files;
  j["bytes"] = s.bytes;
  j["skipped"] = s.skipped;
  j["errors"] = s.errors;
  if (s.withheld.any()) {
    j["withheld"] = {{"devices", s.withheld.devices},
                     {"setuid", s.withheld.setuid},
                     {"xattrs", s.withheld.xattrs}};
  }
  if (!s.filesystems.empty()) j["filesystems"] = JobFilesystemsToJson(s.filesystems);
  if (!s.case_info.empty()) j["case"] = CaseToJson(s.case_info);
  j["started"] = FormatUtcTime(s.started);
  j["ended"] = FormatUtcTime(s.ended);
  return j;
}

Json ApplianceFailureToJson(const ApplianceFailure& f) {
  Json j = Json::object();
  j["record"] = "appliance";
  j["what"] = f.what;
  j["slot"] = f.slot;
  if (f.pid > 0) j["pid"] = f.pid;
  j["image"] = f.image;
  j["message"] = f.message;
  j["time"] = FormatUtcTime(f.time);
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
  for (const JobStatusRecord& job : s.jobs) {
    jobs.push_back(Json{{"job", job.job}, {"status", JobStatusName(job.status)}});
  }
  j["jobs"] = std::move(jobs);
  if (s.peak_rss_anon_kib > 0) j["peak_rss_anon_kib"] = s.peak_rss_anon_kib;
  if (!s.case_info.empty()) j["case"] = CaseToJson(s.case_info);
  if (s.shard_count > 0) j["shard"] = Json{{"index", s.shard_index}, {"count", s.shard_count}};
  if (s.shards_merged > 0) j["shards"] = s.shards_merged;
  if (!s.hosts.empty()) j["hosts"] = s.hosts;
  return j;
}

Json ShardToJson(const ShardRecord& s) {
  Json j = Json::object();
  j["record"] = "shard";
  j["index"] = s.index;
  j["count"] = s.count;
  j["manifest"] = s.manifest;
  j["manifest_sha256"] = s.manifest_sha256;
  j["vars_sha256"] = s.vars_sha256;
  j["division"] = s.division;
  if (!s.report_template.empty()) j["report"] = s.report_template;
  if (!s.var_names.empty()) j["vars"] = s.var_names;
  return j;
}

}  // namespace

// The calendar arithmetic of <chrono>, not gmtime_r: Windows' gmtime refuses times before
// 1970.
std::string FormatUtcTime(TimePoint t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day date(day);
  const hh_mm_ss<milliseconds> time(ms - day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
  return buf;
}

std::optional<TimePoint> ParseUtcTime(std::string_view text) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0, used = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &sec, &ms,
                  &used) != 7 ||
      static_cast<size_t>(used) != s.size()) {
    return std::nullopt;
  }
  const year_month_day date{year(y), month(static_cast<unsigned>(mo)),
                            day(static_cast<unsigned>(d))};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return TimePoint(duration_cast<TimePoint::duration>(sys_days(date).time_since_epoch() + hours(h) +
                                                      minutes(mi) + seconds(sec) +
                                                      milliseconds(ms)));
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

Status RunReport::AddApplianceFailure(const ApplianceFailure& failure) {
  return impl_->Append(ApplianceFailureToJson(failure), true);
}

Status RunReport::AddEvidence(const std::string& job, const ImageEvidence& evidence) {
  return impl_->Append(EvidenceToJson(job, evidence), true);
}

Status RunReport::AddCase(const CaseInfo& case_info) {
  Json j = Json::object();
  j["record"] = "case";
  j.update(CaseToJson(case_info));
  return impl_->Append(j, true);
}

Status RunReport::AddRunSummary(const RunSummary& summary) {
  return impl_->Append(RunSummaryToJson(summary), true);
}

Status RunReport::AddShard(const ShardRecord& shard) {
  return impl_->Append(ShardToJson(shard), true);
}

Status RunReport::AddLine(const std::string& json_line) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->file.Append(json_line);
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
