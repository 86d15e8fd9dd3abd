// The end of a walking job: one pass over its parts' spools, in walk order, makes the
// numbers, OUTPUT.sha256, the DFXML and body-file listings, list and verify output and an
// incremental job's deletions; then the spools go into the report and the directories get
// their metadata.
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "host/host_path.h"
#include "protocol/printable_text.h"
#include "runner/run_tasks.h"
#include "sinks/forensic_outputs.h"

namespace diskferry {
namespace {

struct Tally {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t skipped = 0;
  uint64_t errors = 0;
  uint64_t differences = 0;
};

// Verify: the previous run's files, and what changed since.
class Comparison {
 public:
  static Result<Comparison> Load(const VerifySpec& spec) {
    Comparison c;
    Status st = ForEachFileRecord(spec.against.path, "", [&](FileRecord r) {
      if (r.type != "file") return;
      if (r.status == "deleted") {
        c.expected_.erase(r.path);
      } else {
        std::string path = r.path;
        c.expected_[std::move(path)] = std::move(r);
      }
    });
    if (!st.ok()) return st.WithContext("verify: against");
    return c;
  }

  void See(const FileRecord& r, const std::function<void(const std::string&)>& note) {
    if (r.type != "file") return;
    auto it = expected_.find(r.path);
    if (it == expected_.end()) return note("new\t/" + PrintableText(r.path));
    if (it->second.hashes != r.hashes || it->second.size != r.size) {
      note("changed\t/" + PrintableText(r.path));
    }
    expected_.erase(it);
  }

  void Missing(const PathSelector& select, const std::function<void(const std::string&)>& note) {
    for (const auto& [path, r] : expected_) {
      if (select.Selects("/" + path)) note("missing\t/" + PrintableText(path));
    }
  }

 private:
  std::map<std::string, FileRecord> expected_;
};

std::string ListLine(const FileRecord& r) {
  // Paths come from the image: escaped, so that a tab or a newline in a name cannot
  // forge a column or a line of the listing.
  std::string line = r.type + "\t" + std::to_string(r.size) + "\t/" + PrintableText(r.path);
  for (const auto& [name, hex] : r.hashes) line += "\t" + name + ":" + hex;
  return line;
}

PendingDirectory DirectoryFrom(const FileRecord& r) {
  PendingDirectory d;
  d.path = r.path;
  d.meta.type = RecordType::kDirectory;
  d.meta.mode = r.mode;
  d.meta.uid = r.uid;
  d.meta.gid = r.gid;
  d.meta.mtime_ns = r.mtime_ns;
  d.meta.atime_ns = r.mtime_ns;  // the report keeps no atime
  return d;
}

// Applies every part's deferred directory metadata, deepest first, once all parts are done.
Status FinishDirectories(RunShared& run, JobRun& job, const ExtractSpec& spec,
                         std::vector<PendingDirectory> from_spools) {
  HostWriterOptions options = WriterOptionsFor(spec.output);
  options.defer_directories = false;
  auto finisher = HostTreeWriter::Open(spec.output.path.path, options);
  if (!finisher.ok()) return finisher.status();
  (*finisher)->AdoptDirectories(std::move(from_spools));
  {
    std::lock_guard<std::mutex> lock(job.mu);
    (*finisher)->AdoptDirectories(std::move(job.dirs));
    job.dirs.clear();
  }
  if (Status st = (*finisher)->Finish(); !st.ok()) return st;
  for (const FileProblem& p : (*finisher)->report().problems.items()) {
    run.events.FileError(job.job.name, "/" + p.path, p.message);
  }
  std::lock_guard<std::mutex> lock(job.mu);
  job.write_problems += (*finisher)->report().problems.total();
  return Status::Ok();
}

// The records of `recover: deleted` into the report. Returns the job's line about them:
// "N deleted files recovered, M could not be".
// They go into the job's DFXML (alloc 0) and body file ("(deleted)") too.
Result<std::string> AddDeletedRecords(RunShared& run, JobRun& job, ForensicListings& listings) {
  const std::string spool = run.journal.DeletedSpoolPath(job.job.name);
  uint64_t recovered = 0, lost = 0;
  Status st = ForEachFileRecord(spool, job.job.name, [&](FileRecord r) {
    listings.Add(r);
    if (r.type == "file" && r.status == kStatusOk) {
      ++recovered;
    } else {
      ++lost;
    }
  });
  if (!st.ok() && st.code() != Code::kNotFound) return st.WithContext("deleted");
  if (st.ok()) {
    if (Status s = run.report.AppendLinesOf(spool); !s.ok()) return s;
  }
  return std::to_string(recovered) + " deleted file" + (recovered == 1 ? "" : "s") +
         " recovered, " + std::to_string(lost) + " could not be";
}

// The job's DFXML and body file, if it asked for them.
Status OpenListings(const RunShared& run, const JobRun& job, const ForensicOutputSpec& spec,
                    const MachineSpec& source, ForensicListings* listings) {
  if (spec.dfxml) {
    if (Status st = MakeOutputParents(*spec.dfxml); !st.ok()) return st.WithContext("dfxml");
  }
  if (spec.bodyfile) {
    if (Status st = MakeOutputParents(*spec.bodyfile); !st.ok()) return st.WithContext("bodyfile");
  }
  DfxmlOptions options;
  options.program_version = DISKFERRY_VERSION;
  options.command_line = run.options.command_line;
  options.start_time = FormatUtcTime(job.started);
  for (const DiskSpec& disk : source.disks) options.image_filenames.push_back(disk.image.path);
  options.filesystems = job.filesystems;
  options.image_digests = job.evidence_before;  // empty unless the job has `evidence: true`
  if (const CaseInfo c = CaseInfoOf(run.spec.case_spec); !c.empty()) options.case_info = c;
  return listings->Open(spec.dfxml ? spec.dfxml->path : "",
                        spec.bodyfile ? spec.bodyfile->path : "", options);
}

}  // namespace

Status FinishWalkJob(RunShared& run, JobRun& job) {
  const auto* extract = std::get_if<ExtractSpec>(&job.job.task);
  const auto* verify = std::get_if<VerifySpec>(&job.job.task);
  const bool listing = std::holds_alternative<ListSpec>(job.job.task);
  const bool to_dir = extract != nullptr && extract->output.kind == OutputKind::kDir;
  const auto* list_spec = std::get_if<ListSpec>(&job.job.task);
  ForensicListings listings;
  if (extract || list_spec) {
    Status st = extract
                    ? OpenListings(run, job, extract->output.forensic, extract->source, &listings)
                    : OpenListings(run, job, list_spec->forensic, list_spec->source, &listings);
    if (!st.ok()) return st;
  }
  std::optional<Sha256SumsWriter> sums;
  if (extract && extract->output.kind != OutputKind::kNone &&
      std::find(job.hash_names.begin(), job.hash_names.end(), "sha256") != job.hash_names.end()) {
    auto opened = Sha256SumsWriter::Open(extract->output.path.path + ".sha256");
    if (!opened.ok()) return opened.status();
    sums.emplace(std::move(*opened));
  }
  std::optional<Comparison> comparison;
  if (verify) {
    auto loaded = Comparison::Load(*verify);
    if (!loaded.ok()) return loaded.status();
    comparison.emplace(std::move(*loaded));
  }
  // The next run's baseline: every record of this one (unchanged files included), staged
  // beside the baseline and put in its place by FinishJob once the job has succeeded.
  std::optional<RunReport> baseline;
  if (extract && extract->since) {
    job.baseline_staged = extract->since->path + ".new";
    if (Status st = MakeOutputParents(*extract->since); !st.ok()) {
      return st.WithContext("incremental: baseline");
    }
    auto opened = RunReport::Open(job.baseline_staged);
    if (!opened.ok()) return opened.status().WithContext("incremental: baseline");
    baseline.emplace(std::move(*opened));
  }
  // report: of a list job, its inventory: the file records, as in the run report; of a
  // verify job, its differences, the lines it prints.
  const std::optional<HostPath>& report_path = list_spec ? list_spec->report
                                               : verify  ? verify->report
                                                         : std::optional<HostPath>();
  std::optional<RunReport> inventory;
  std::ofstream differences;
  if (report_path) {
    if (Status st = MakeOutputParents(*report_path); !st.ok()) return st.WithContext("report");
    if (list_spec) {
      auto opened = RunReport::Open(report_path->path);
      if (!opened.ok()) return opened.status().WithContext("report");
      inventory.emplace(std::move(*opened));
      if (const CaseInfo c = CaseInfoOf(run.spec.case_spec); !c.empty()) {
        if (Status st = inventory->AddCase(c); !st.ok()) return st.WithContext("report");
      }
    } else {
      Result<std::filesystem::path> p = HostFsPath(report_path->path);
      if (!p.ok()) return p.status();
      differences.open(*p, std::ios::binary | std::ios::trunc);
      if (!differences) return Status(Code::kIoError, "report: cannot write " + report_path->text);
    }
  }
  Tally tally;
  Status sums_error;
  Status baseline_error;
  Status inventory_error;
  std::vector<PendingDirectory> spool_dirs;
  auto note = [&](const std::string& line) {
    ++tally.differences;
    run.options.out(line);
    if (differences.is_open()) differences << line << "\n";
  };
  for (size_t k = 0; k < job.parts.size(); ++k) {
    const std::string spool = run.journal.SpoolPath(job.job.name, k);
    Status st = ForEachFileRecord(spool, job.job.name, [&](FileRecord r) {
      job.previous.erase(r.path);
      if (baseline && baseline_error.ok()) baseline_error = baseline->AddFile(job.job.name, r);
      if (inventory && inventory_error.ok()) inventory_error = inventory->AddFile(job.job.name, r);
      listings.Add(r);
      if (r.status == "unchanged") {
        ++tally.skipped;
        return;
      }
      if (r.type == "file") {
        ++tally.files;
        tally.bytes += r.size;
        if (sums && sums_error.ok()) sums_error = sums->Add(r);
      }
      if (r.type == "error" || r.status != kStatusOk) ++tally.errors;
      if (to_dir && job.resumed && r.type == "dir") spool_dirs.push_back(DirectoryFrom(r));
      if (listing) run.options.out(ListLine(r));
      if (comparison) comparison->See(r, note);
    });
    if (st.code() == Code::kNotFound) continue;  // a part that never started
    if (!st.ok()) return st;
    if (!verify) {
      if (Status s = run.report.AppendLinesOf(spool); !s.ok()) return s;
    }
  }
  if (!sums_error.ok()) return sums_error;
  std::string deleted_summary;
  if (extract && extract->recover_deleted) {
    auto summary = AddDeletedRecords(run, job, listings);
    if (!summary.ok()) return summary.status();
    deleted_summary = std::move(*summary);
  }
  if (Status s = listings.Close(); !s.ok()) return s;
  if (baseline) {
    if (baseline_error.ok()) baseline_error = baseline->Close();
    if (!baseline_error.ok()) return baseline_error.WithContext("incremental: baseline");
  }
  if (sums) {
    if (Status s = sums->Close(); !s.ok()) return s;
  }
  for (const auto& [path, r] : job.previous) {  // what the incremental job did not see again
    FileRecord gone = r;
    gone.status = "deleted";
    if (Status s = run.report.AddFile(job.job.name, gone); !s.ok()) return s;
  }
  if (comparison) comparison->Missing(verify->select, note);
  if (inventory) {
    if (inventory_error.ok()) inventory_error = inventory->Close();
    if (!inventory_error.ok()) return inventory_error.WithContext("report");
  }
  if (differences.is_open()) {
    differences.close();
    if (!differences) return Status(Code::kIoError, "report: cannot write " + report_path->text);
  }
  if (to_dir) {
    if (Status s = FinishDirectories(run, job, *extract, std::move(spool_dirs)); !s.ok()) return s;
  }
  std::lock_guard<std::mutex> lock(job.mu);
  job.outcome.files = tally.files;
  job.outcome.bytes = tally.bytes;
  job.outcome.skipped = tally.skipped;
  job.outcome.errors = tally.errors + job.source_errors + job.write_problems;
  if (tally.differences > 0) {
    job.outcome.status = JobStatus::kDifferences;
    job.outcome.message = std::to_string(tally.differences) + " differences";
  } else if (!deleted_summary.empty()) {
    job.outcome.message = deleted_summary;
  }
  return Status::Ok();
}

}  // namespace diskferry
