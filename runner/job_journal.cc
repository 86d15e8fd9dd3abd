#include "runner/job_journal.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "host/host_path.h"
#include "sinks/file_record_json.h"
#include "sinks/host_file.h"

namespace diskferry {
namespace {

constexpr const char* kRunFile = "/run.json";

std::string JournalDir(const std::string& report_path) { return report_path + ".journal"; }

std::string PlanPath(const std::string& dir, const std::string& job) {
  return dir + "/" + job + ".parts.json";
}

Status WriteJsonFile(const std::string& path, const Json& value) {
  const std::string tmp = path + ".tmp";
  Result<std::filesystem::path> fs_tmp = HostFsPath(tmp);
  if (!fs_tmp.ok()) return fs_tmp.status();
  {
    std::ofstream out(*fs_tmp, std::ios::trunc | std::ios::binary);
    out << value.dump() << "\n";
    out.flush();
    if (!out) return Status(Code::kIoError, "writing " + tmp);
  }
  if (int err = RenameHostFile(tmp, path); err != 0) return ErrnoStatus(err, path);
  return Status::Ok();
}

Result<std::optional<Json>> ReadJsonFile(const std::string& path) {
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  if (!fs_path.ok()) return fs_path.status();
  errno = 0;
  std::ifstream in(*fs_path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<Json>();
    return ErrnoStatus(errno != 0 ? errno : EIO, path);
  }
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(Code::kInvalidArgument, path + ": not a journal file");
  }
  return std::optional<Json>(std::move(j));
}

}  // namespace

Result<RunJournal> RunJournal::Create(const std::string& report_path,
                                      const std::string& manifest_sha256) {
  const std::string dir = JournalDir(report_path);
  if (int err = MakeHostDirectory(dir); err != 0) {
    if (err == EEXIST) {
      return Status(Code::kFailedPrecondition,
                    dir +
                        ": an interrupted run's journal is there; resume that run with --resume " +
                        report_path + ", or remove the directory");
    }
    return ErrnoStatus(err, dir);
  }
  if (Status st = WriteJsonFile(dir + kRunFile, Json{{"manifest_sha256", manifest_sha256}});
      !st.ok()) {
    return st;
  }
  return RunJournal(dir);
}

Result<RunJournal> RunJournal::Resume(const std::string& report_path,
                                      const std::string& manifest_sha256) {
  const std::string dir = JournalDir(report_path);
  auto run = ReadJsonFile(dir + kRunFile);
  if (!run.ok()) return run.status();
  if (!run->has_value()) {
    return Status(Code::kNotFound, dir + ": no journal of an interrupted run (did it complete?)");
  }
  const auto sha = (*run)->find("manifest_sha256");
  if (sha == (*run)->end() || !sha->is_string() || *sha != manifest_sha256) {
    return Status(Code::kInvalidArgument,
                  dir +
                      ": the journal was written for another manifest, or the manifest "
                      "changed since; resume with the manifest as it was");
  }
  return RunJournal(dir);
}

std::string RunJournal::SpoolPath(const std::string& job, size_t part) const {
  return dir_ + "/" + job + "." + std::to_string(part) + ".jsonl";
}

std::string RunJournal::DeletedSpoolPath(const std::string& job) const {
  return dir_ + "/" + job + ".deleted.jsonl";
}

Status RunJournal::SavePlan(const std::string& job, const std::vector<WalkRange>& parts) const {
  Json list = Json::array();
  for (const WalkRange& r : parts) {
    // Paths are raw bytes; base64 keeps non-UTF-8 names exact.
    list.push_back(
        Json{{"after_b64", Base64Encode(r.after)}, {"until_b64", Base64Encode(r.until)}});
  }
  return WriteJsonFile(PlanPath(dir_, job), Json{{"parts", std::move(list)}});
}

Result<std::optional<std::vector<WalkRange>>> RunJournal::LoadPlan(const std::string& job) const {
  const std::string path = PlanPath(dir_, job);
  auto plan = ReadJsonFile(path);
  if (!plan.ok()) return plan.status();
  if (!plan->has_value()) return std::optional<std::vector<WalkRange>>();
  const auto parts = (*plan)->find("parts");
  if (parts == (*plan)->end() || !parts->is_array() || parts->empty()) {
    return Status(Code::kInvalidArgument, path + ": no parts");
  }
  std::vector<WalkRange> ranges;
  for (const Json& p : *parts) {
    auto after = p.is_object() && p.contains("after_b64") && p["after_b64"].is_string()
                     ? Base64Decode(p["after_b64"].get<std::string>())
                     : std::nullopt;
    auto until = p.is_object() && p.contains("until_b64") && p["until_b64"].is_string()
                     ? Base64Decode(p["until_b64"].get<std::string>())
                     : std::nullopt;
    if (!after || !until) return Status(Code::kInvalidArgument, path + ": bad part");
    ranges.push_back(WalkRange{std::move(*after), std::move(*until)});
  }
  return std::optional<std::vector<WalkRange>>(std::move(ranges));
}

void RunJournal::RemoveJob(const std::string& job, size_t parts) const {
  for (size_t i = 0; i < parts; ++i) (void)RemoveHostFile(SpoolPath(job, i));
  (void)RemoveHostFile(DeletedSpoolPath(job));
  (void)RemoveHostFile(PlanPath(dir_, job));
}

Status RunJournal::Remove() const {
  Result<std::filesystem::path> dir = HostFsPath(dir_);
  if (!dir.ok()) return dir.status();
  std::error_code ec;
  std::filesystem::remove_all(*dir, ec);
  if (ec) return Status(Code::kIoError, dir_ + ": " + ec.message());
  return Status::Ok();
}

Result<PartSpool> PartSpool::Open(const std::string& path, const std::string& job) {
  std::string last;
  uint64_t count = 0;
  Result<std::filesystem::path> fs_path = HostFsPath(path);
  std::error_code ec;
  if (fs_path.ok() && std::filesystem::exists(*fs_path, ec)) {
    Status st = ForEachFileRecord(path, job, [&](FileRecord r) {
      last = std::move(r.path);
      ++count;
    });
    if (!st.ok()) return st;
  }
  auto out = RunReport::Open(path, ReportMode::kAppend);
  if (!out.ok()) return out.status();
  PartSpool spool(path, job, std::move(*out));
  spool.last_path_ = std::move(last);
  spool.records_ = count;
  return spool;
}

Status PartSpool::Append(const FileRecord& record) {
  if (Status st = out_.AddFile(job_, record); !st.ok()) return st;
  last_path_ = record.path;
  if (++records_ % kFlushEvery == 0) return out_.Flush();
  return Status::Ok();
}

Status PartSpool::Flush() { return out_.Flush(); }

Status PartSpool::Reset() {
  auto out = RunReport::Open(path_, ReportMode::kTruncate);
  if (!out.ok()) return out.status();
  out_ = std::move(*out);
  last_path_.clear();
  records_ = 0;
  return Status::Ok();
}

}  // namespace diskferry
