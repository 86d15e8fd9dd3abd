// One part of a walking job: a walk range extracted by one appliance, retried on a fresh
// appliance after the last file it finished when its appliance dies or hangs.
#include <algorithm>
#include <chrono>
#include <optional>

#include "appliance/transfer.h"
#include "runner/partition.h"
#include "runner/run_tasks.h"
#include "sinks/hashing_sink.h"
#include "sinks/ordering_sink.h"
#include "sinks/selecting_sink.h"
#include "sinks/tar_sink.h"

namespace diskferry {
namespace {

constexpr int kStdoutFd = 1;  // standard output's descriptor on every host

Status Interrupted() { return Status(Code::kCancelled, "interrupted"); }

// Where a part's output goes for one attempt: a directory writer (shared DEST, directory
// metadata deferred to the job's end), a tar archive, or nothing (list, verify, an extract
// job with only forensic listings).
struct PartOutput {
  std::unique_ptr<TreeSink> sink;
  HostTreeWriter* writer = nullptr;
  const WriteReport* report = nullptr;  // the writer's or the archive's
  bool xattrs = false;
};

TarCompression TarCompressionOf(ArchiveCompression compression) {
  switch (compression) {
    case ArchiveCompression::kGzip:
      return TarCompression::kGzip;
    case ArchiveCompression::kZstd:
      return TarCompression::kZstd;
    case ArchiveCompression::kNone:
      break;
  }
  return TarCompression::kNone;
}

Result<PartOutput> OpenPartOutput(const JobRun& job) {
  PartOutput out;
  const auto* e = std::get_if<ExtractSpec>(&job.job.task);
  if (e == nullptr || e->output.kind == OutputKind::kNone) return out;
  out.xattrs = e->output.preserve.xattrs;
  if (e->output.kind == OutputKind::kTar) {
    TarOptions options;
    options.safety = SafetyFor(e->output.preserve);
    options.mode = e->output.preserve.mode;
    options.times = e->output.preserve.times;
    auto tar = e->output.to_stdout
                   ? TarSink::OpenStream(kStdoutFd, "standard output",
                                         TarCompressionOf(e->output.compression), options)
                   : TarSink::Open(e->output.path.path, options);
    if (!tar.ok()) return tar.status();
    out.report = &(*tar)->report();
    out.sink = std::move(*tar);
    return out;
  }
  auto writer = HostTreeWriter::Open(e->output.path.path, WriterOptionsFor(e->output));
  if (!writer.ok()) return writer.status();
  out.writer = writer->get();
  out.report = &out.writer->report();
  out.sink = std::move(*writer);
  return out;
}

// The record of a file an incremental job found unchanged: the previous one, re-stated.
FileRecord Unchanged(const FileRecord& previous) {
  FileRecord r = previous;
  r.status = "unchanged";
  return r;
}

// After an attempt: the output's problems become file errors and what it withheld is
// counted; a directory writer's directories wait for the job's end, and (if the attempt
// broke off) files it left half written are removed. An archive that broke off is
// written again from the start by the next attempt, so only a finished one counts.
void SettleOutput(RunShared& run, JobRun& job, PartOutput& output, bool broke_off) {
  if (output.report == nullptr) return;
  std::vector<PendingDirectory> dirs;
  if (output.writer != nullptr) {
    if (broke_off) output.writer->RemoveUnfinished();
    dirs = output.writer->TakePendingDirectories();
  } else if (broke_off) {
    return;
  }
  const auto& problems = output.report->problems;
  for (const FileProblem& p : problems.items()) {
    run.events.FileError(job.job.name, "/" + p.path, p.message);
  }
  std::lock_guard<std::mutex> lock(job.mu);
  job.write_problems += problems.total();
  job.outcome.withheld.Add(output.report->withheld);
  for (PendingDirectory& d : dirs) job.dirs.push_back(std::move(d));
}

Status ExtractRange(RunShared& run, JobRun& job, ImageSession& session, const WalkRange& range,
                    PartSpool* spool) {
  auto output = OpenPartOutput(job);
  if (!output.ok()) return output.status();
  Status spool_error;
  OrderingSink ordering(range, [&](const FileRecord& r, uint64_t streamed) {
    if (Status s = spool->Append(r); !s.ok() && spool_error.ok()) spool_error = s;
    if (r.type == "file" && r.status != "unchanged") {
      job.meter->AddFile(r.size > streamed ? r.size - streamed : 0);
    }
  });
  ordering.set_on_stream_data([&job](uint64_t n) { job.meter->AddBytes(n); });
  auto hashing = HashingSink::Create(output->sink.get(), job.hash_names,
                                     [&](const FileRecord& r) { ordering.Complete(r); });
  if (!hashing.ok()) return hashing.status();
  ordering.set_inner(hashing->get());
  const PathSelector& select = SelectOfWalk(job.job);
  SelectingSink selecting(&ordering, [&](std::string_view path, const RecordMeta& meta) {
    if (!select.Selects("/" + std::string(path))) return false;
    if (job.previous.empty() || meta.type == RecordType::kDirectory) return true;
    auto it = job.previous.find(std::string(path));
    if (it == job.previous.end() || it->second.type != "file" || it->second.size != meta.size ||
        it->second.mtime_ns != meta.mtime_ns) {
      return true;
    }
    ordering.AddCompleted(Unchanged(it->second));
    return false;
  });
  TransferOptions transfer;
  transfer.xattrs = output->xattrs;
  transfer.range = range;
  transfer.select = select.patterns();  // the guest walks only there; `selecting` still checks
  if (run.options.seams.progress_deadline.count() > 0) {
    transfer.progress_deadline = run.options.seams.progress_deadline;
  }
  const auto started = std::chrono::steady_clock::now();
  auto result = ExtractTree(session.appliance(), {"/"}, &selecting, transfer);
  if (result.ok() && run.costs != nullptr) {
    run.costs->AddRead(result->bytes + kEntryWeight * result->files,
                       std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started));
  }
  SettleOutput(run, job, *output, !result.ok());
  if (Status s = spool->Flush(); !s.ok() && spool_error.ok()) spool_error = s;
  if (!result.ok()) return result.status();
  for (const GuestProblem& p : result->problems) {
    run.events.FileError(job.job.name, "/" + p.path, p.message);
  }
  {
    std::lock_guard<std::mutex> lock(job.mu);
    job.source_errors += result->problem_count();
  }
  return spool_error;
}

// `recover: deleted`, after the tree: the deleted files the guest's Sleuth Kit finds, into
// the `deleted:` directory, their records (marked deleted) into the job's deleted spool.
// Files it cannot recover are error records there, not failures of the job.
Status RecoverDeleted(RunShared& run, JobRun& job, ImageSession& session) {
  const ExtractSpec& e = std::get<ExtractSpec>(job.job.task);
  auto spool = PartSpool::Open(run.journal.DeletedSpoolPath(job.job.name), job.job.name);
  if (!spool.ok()) return spool.status();
  if (Status st = spool->Reset(); !st.ok()) return st;
  HostWriterOptions options = WriterOptionsFor(e.output);
  options.defer_directories = false;  // their own directory: finished with this transfer
  auto writer = HostTreeWriter::Open(e.output.deleted.path, options);
  if (!writer.ok()) return writer.status().WithContext("deleted");
  Status spool_error;
  auto hashing = HashingSink::Create(writer->get(), job.hash_names, [&](const FileRecord& r) {
    if (r.type == "dir") return;  // made on the host to hold the files, not recovered
    FileRecord d = r;
    d.deleted = true;
    if (Status s = spool->Append(d); !s.ok() && spool_error.ok()) spool_error = s;
  });
  if (!hashing.ok()) return hashing.status();
  TransferOptions transfer;
  transfer.recover_deleted = true;
  // fls reads the whole filesystem in ExtractStart, and icat each file twice in between
  // replies; under TCG both take minutes on large filesystems.
  transfer.call_timeout = std::chrono::minutes(30);
  transfer.progress_deadline =
      std::max<std::chrono::milliseconds>(transfer.progress_deadline, std::chrono::minutes(30));
  if (run.options.seams.progress_deadline.count() > 0) {
    transfer.progress_deadline = run.options.seams.progress_deadline;
  }
  auto result = ExtractTree(session.appliance(), {"/"}, hashing->get(), transfer);
  if (!result.ok()) (*writer)->RemoveUnfinished();
  for (const FileProblem& p : (*writer)->report().problems.items()) {
    run.events.FileError(job.job.name, "deleted: /" + p.path, p.message);
  }
  if (Status s = spool->Flush(); !s.ok() && spool_error.ok()) spool_error = s;
  if (!result.ok()) return result.status().WithContext("recover: deleted");
  {
    std::lock_guard<std::mutex> lock(job.mu);
    job.write_problems += (*writer)->report().problems.total();
  }
  return spool_error;
}

// The range an attempt walks: the part's, after what the spool already holds. A tar part
// starts over: its archive cannot be continued.
Result<WalkRange> AttemptRange(const JobRun& job, size_t part, PartSpool* spool) {
  WalkRange range = job.parts[part];
  if (WritesTarOutput(job)) {
    if (Status st = spool->Reset(); !st.ok()) return st;
    return range;
  }
  if (!spool->last_path().empty() && CompareWalkOrder(spool->last_path(), range.after) > 0) {
    range.after = spool->last_path();
  }
  return range;
}

Status RunAttempts(RunShared& run, JobRun& job, size_t part, std::optional<Lease> lease) {
  auto spool = PartSpool::Open(run.journal.SpoolPath(job.job.name, part), job.job.name);
  if (!spool.ok()) return spool.status();
  const std::string name =
      job.job.name + (job.parts.size() > 1 ? " part " + std::to_string(part + 1) : "");
  for (int attempt = 0;; ++attempt) {
    if (run.cancelled()) return Interrupted();
    if (!lease) {
      auto acquired = run.pool.Acquire(job.config);
      if (!acquired.ok()) {
        if (run.cancelled()) return Interrupted();
        if (attempt >= run.retries || !WorthAnotherLaunch(acquired.status())) {
          return acquired.status();
        }
        run.events.Log(LogLevel::kWarning, RetryingLine(run, name, acquired.status(), attempt));
        continue;
      }
      lease.emplace(std::move(*acquired));
    }
    auto range = AttemptRange(job, part, &*spool);
    if (!range.ok()) return range.status();
    if (!range->after.empty() && range->after != job.parts[part].after) {
      run.events.Log(LogLevel::kInfo, name + ": continuing after /" + range->after);
    }
    Status st = ExtractRange(run, job, lease->session(), *range, &*spool);
    const auto* extract = std::get_if<ExtractSpec>(&job.job.task);
    if (st.ok() && part == 0 && extract != nullptr && extract->recover_deleted) {
      st = RecoverDeleted(run, job, lease->session());
    }
    if (st.ok()) return st;
    const bool broken = ApplianceBroken(*lease);
    if (broken) {
      lease->MarkBroken();
      lease.reset();
    }
    if (run.cancelled()) return Interrupted();
    if (!broken || attempt >= run.retries) return st;
    if (WritesStdoutTar(job)) {
      return st.WithContext("not retried: part of the archive already went to standard output");
    }
    run.events.Log(LogLevel::kWarning,
                   RetryingLine(run, name + ": appliance failed", st, attempt) + " on a new one");
  }
}

}  // namespace

void RunWalkPart(RunShared& run, JobRun& job, size_t part, std::optional<Lease> lease) {
  Status st = RunAttempts(run, job, part, std::move(lease));
  EndPart(run, job, st);
}

}  // namespace diskferry
