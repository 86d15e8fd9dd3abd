#include "pipeline/job_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "appliance/image_session.h"
#include "appliance/overlay.h"
#include "appliance/transfer.h"
#include "pipeline/digests.h"
#include "pipeline/hashing_sink.h"
#include "pipeline/host_tree_writer.h"
#include "pipeline/inject_steps.h"
#include "pipeline/run_report.h"
#include "pipeline/selecting_sink.h"
#include "pipeline/tar_sink.h"

namespace diskferry {
namespace {

using WallClock = std::chrono::system_clock;

struct JobContext {
  const RunOptions& options;
  RunReport& report;
  JobOutcome outcome;
};

std::vector<std::string> HashNames(const std::vector<HashAlgorithm>& hashes) {
  std::vector<std::string> names;
  for (HashAlgorithm h : hashes) names.emplace_back(HashName(h));
  return names;
}

// The session for a job's disk: format explicit, or probed and reported.
Result<std::unique_ptr<ImageSession>> OpenDisk(const DiskSpec& disk, const std::string& image,
                                               bool writable, JobContext* ctx) {
  ImageSessionConfig config;
  config.image = image;
  config.writable = writable;
  config.filesystem = disk.filesystem.AsFsArgument();
  config.build.kernel = ctx->options.kernel;
  if (disk.format) {
    config.format = std::string(ImageFormatName(*disk.format));
  } else {
    auto probed = ProbeImageFormat(image);
    if (!probed.ok()) return probed.status();
    config.format = probed->empty() ? "raw" : *probed;
    ctx->options.log(ctx->outcome.name + ": " + image + ": format probed as " + config.format);
  }
  auto session = ImageSession::Open(config);
  if (!session.ok()) return session.status();
  ctx->options.log(ctx->outcome.name + ": mounted " + (*session)->filesystem().device + " (" +
                   (*session)->mount().fstype + ")");
  return session;
}

// Walks the whole filesystem of `session` through select -> hash -> inner.
Status Walk(ImageSession& session, const PathSelector& select,
            const std::vector<HashAlgorithm>& hashes, TreeSink* inner,
            const std::function<bool(std::string_view, const RecordMeta&)>& also,
            const FileRecordCallback& on_record, JobContext* ctx, bool xattrs) {
  auto hashing = HashingSink::Create(inner, HashNames(hashes), [&](const FileRecord& r) {
    if (r.status != kStatusOk) ++ctx->outcome.errors;
    if (r.type == "file") {
      ++ctx->outcome.files;
      ctx->outcome.bytes += r.size;
    }
    on_record(r);
  });
  if (!hashing.ok()) return hashing.status();
  SelectingSink selecting(hashing->get(), [&](std::string_view path, const RecordMeta& meta) {
    const std::string guest = "/" + std::string(path);
    if (!select.Selects(guest)) return false;
    if (also && !also(path, meta)) {
      ++ctx->outcome.skipped;
      return false;
    }
    return true;
  });
  TransferOptions transfer;
  transfer.xattrs = xattrs;
  auto result = ExtractTree(session.appliance(), {"/"}, &selecting, transfer);
  if (!result.ok()) return result.status();
  for (const auto& p : result->problems) {
    ++ctx->outcome.errors;
    ctx->options.log(ctx->outcome.name + ": /" + p.path + ": " + p.message);
  }
  return Status::Ok();
}

Result<std::unique_ptr<TreeSink>> OpenOutput(const ExtractOutputSpec& out, JobContext* ctx,
                                             bool* skip) {
  struct stat st;
  const bool exists = ::stat(out.path.path.c_str(), &st) == 0;
  if (out.kind == OutputKind::kTar) {
    if (exists && out.on_exists == OnExistsPolicy::kFail) {
      return Status(Code::kInvalidArgument, out.path.text + ": exists (on_exists: fail)");
    }
    *skip = exists && out.on_exists == OnExistsPolicy::kSkip;
    TarOptions options;
    options.xattrs = out.preserve.xattrs;
    auto tar = TarSink::Open(out.path.path, options);
    if (!tar.ok()) return tar.status();
    return std::unique_ptr<TreeSink>(std::move(*tar));
  }
  if (!exists && ::mkdir(out.path.path.c_str(), 0755) != 0) {
    return ErrnoStatus(errno, out.path.text);
  }
  if (exists && out.on_exists == OnExistsPolicy::kFail && ::rmdir(out.path.path.c_str()) != 0) {
    return Status(Code::kInvalidArgument, out.path.text + ": exists and is not empty (on_exists: fail)");
  }
  if (exists && out.on_exists == OnExistsPolicy::kFail) ::mkdir(out.path.path.c_str(), 0755);
  HostWriterOptions options;
  options.xattrs = out.preserve.xattrs;
  options.preserve_owner = out.preserve.owner ? OwnerPolicy::kAuto : OwnerPolicy::kNever;
  options.on_exists = out.on_exists == OnExistsPolicy::kSkip ? OnExists::kKeep : OnExists::kOverwrite;
  auto writer = HostTreeWriter::Open(out.path.path, options);
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<TreeSink>(std::move(*writer));
}

Status RunExtract(const ExtractSpec& spec, JobContext* ctx) {
  bool skip = false;
  auto output = OpenOutput(spec.output, ctx, &skip);
  if (!output.ok()) return output.status();
  if (skip) {
    ctx->outcome.status = "skipped";
    return Status::Ok();
  }
  // Incremental: unchanged files (same size and mtime as in the previous run) are skipped;
  // files of the previous run not seen now are recorded as deleted.
  std::map<std::string, FileRecord> previous;
  if (spec.since) {
    auto prev = ReadFileRecords(spec.since->path, ctx->outcome.name);
    if (!prev.ok()) return prev.status().WithContext("incremental: since");
    for (auto& r : *prev) previous[r.path] = std::move(r);
  }
  std::set<std::string> seen;
  auto unchanged = [&](std::string_view path, const RecordMeta& meta) {
    seen.insert(std::string(path));
    auto it = previous.find(std::string(path));
    const bool same = it != previous.end() && it->second.type == "file" &&
                      it->second.size == meta.size && it->second.mtime_ns == meta.mtime_ns;
    return !same;
  };
  // With sha256 among the hashes, OUTPUT.sha256 lists the files for `sha256sum -c` (run
  // from inside the output directory, or after unpacking the archive).
  std::optional<Sha256SumsWriter> sums;
  if (std::find(spec.hashes.begin(), spec.hashes.end(), HashAlgorithm::kSha256) !=
      spec.hashes.end()) {
    auto opened = Sha256SumsWriter::Open(spec.output.path.path + ".sha256");
    if (!opened.ok()) return opened.status();
    sums.emplace(std::move(*opened));
  }
  auto session = OpenDisk(spec.source, spec.source.image.path, false, ctx);
  if (!session.ok()) return session.status();
  Status st = Walk(**session, spec.select, spec.hashes, output->get(),
                   spec.since ? std::function<bool(std::string_view, const RecordMeta&)>(unchanged)
                              : nullptr,
                   [&](const FileRecord& r) {
                     (void)ctx->report.AddFile(ctx->outcome.name, r);
                     if (sums && r.type == "file") (void)sums->Add(r);
                   },
                   ctx, spec.output.preserve.xattrs);
  Status closed = (*session)->Close();
  if (!st.ok()) return st;
  if (sums) {
    if (Status s = sums->Close(); !s.ok()) return s;
  }
  for (const auto& [path, r] : previous) {
    if (seen.count(path)) continue;
    FileRecord gone = r;
    gone.status = "deleted";
    (void)ctx->report.AddFile(ctx->outcome.name, gone);
  }
  return closed;
}

Status RunList(const ListSpec& spec, JobContext* ctx) {
  auto session = OpenDisk(spec.source, spec.source.image.path, false, ctx);
  if (!session.ok()) return session.status();
  Status st = Walk(**session, spec.select, spec.hashes, nullptr, nullptr,
                   [&](const FileRecord& r) {
                     (void)ctx->report.AddFile(ctx->outcome.name, r);
                     std::string line = r.type + "\t" + std::to_string(r.size) + "\t/" + r.path;
                     for (const auto& [name, hex] : r.hashes) line += "\t" + name + ":" + hex;
                     ctx->options.out(line);
                   },
                   ctx, false);
  Status closed = (*session)->Close();
  return st.ok() ? closed : st;
}

Status RunVerify(const VerifySpec& spec, JobContext* ctx) {
  auto prev = ReadFileRecords(spec.against.path, "");
  if (!prev.ok()) return prev.status().WithContext("verify: against");
  std::map<std::string, FileRecord> expected;
  std::set<std::string> algorithms;
  for (auto& r : *prev) {
    for (const auto& [name, hex] : r.hashes) algorithms.insert(name);
    if (r.type == "file") expected[r.path] = std::move(r);
  }
  std::vector<HashAlgorithm> hashes;
  for (HashAlgorithm h : {HashAlgorithm::kSha256, HashAlgorithm::kSha1, HashAlgorithm::kMd5}) {
    if (algorithms.count(std::string(HashName(h)))) hashes.push_back(h);
  }
  uint64_t differences = 0;
  auto note = [&](const std::string& what, const std::string& path) {
    ++differences;
    ctx->options.out(what + "\t/" + path);
  };
  auto session = OpenDisk(spec.source, spec.source.image.path, false, ctx);
  if (!session.ok()) return session.status();
  Status st = Walk(**session, spec.select, hashes, nullptr, nullptr,
                   [&](const FileRecord& r) {
                     if (r.type != "file") return;
                     auto it = expected.find(r.path);
                     if (it == expected.end()) return note("new", r.path);
                     if (it->second.hashes != r.hashes || it->second.size != r.size) {
                       note("changed", r.path);
                     }
                     expected.erase(it);
                   },
                   ctx, false);
  Status closed = (*session)->Close();
  if (!st.ok()) return st;
  for (const auto& [path, r] : expected) {
    if (spec.select.Selects("/" + path)) note("missing", path);
  }
  if (differences > 0) {
    ctx->outcome.status = "differences";
    ctx->outcome.message = std::to_string(differences) + " differences";
  }
  return closed;
}

Status RunInject(const InjectSpec& spec, JobContext* ctx) {
  std::string image = spec.target.image.path;
  DiskSpec disk = spec.target;
  if (!spec.in_place) {
    const std::string format = disk.format ? std::string(ImageFormatName(*disk.format)) : "raw";
    if (Status st = CreateOverlay(image, format, spec.output->path); !st.ok()) return st;
    image = spec.output->path;
    disk.format = ImageFormat::kQcow2;
  }
  auto session = OpenDisk(disk, image, true, ctx);
  if (!session.ok()) return session.status();
  Status st = RunInjectSteps((*session)->appliance(), spec,
                             [&](const StepSpec&, const std::string& what) {
                               ctx->options.log(ctx->outcome.name + ": " + what);
                             });
  Status closed = (*session)->Close();
  return st.ok() ? closed : st;
}

Status RunJob(const JobSpec& job, JobContext* ctx) {
  try {
    switch (job.kind()) {
      case JobKind::kExtract: return RunExtract(std::get<ExtractSpec>(job.task), ctx);
      case JobKind::kInject: return RunInject(std::get<InjectSpec>(job.task), ctx);
      case JobKind::kVerify: return RunVerify(std::get<VerifySpec>(job.task), ctx);
      case JobKind::kList: return RunList(std::get<ListSpec>(job.task), ctx);
    }
  } catch (const std::exception& e) {  // tier 3: nothing escapes a job
    return Status(Code::kInternal, e.what());
  }
  return Status(Code::kInternal, "unknown job kind");
}

int ExitCodeOf(const std::vector<JobOutcome>& jobs) {
  int code = 0;
  for (const auto& j : jobs) {
    if (j.status == "failed") return 2;
    if (j.status == "differences") code = 3;
    if (j.status == "warnings" && code == 0) code = 1;
  }
  return code;
}

// SHA-256 of the manifest file as run, for the run summary ("" if unreadable).
std::string ManifestSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string bytes = text.str();
  const DigestAlgorithm sha256[] = {DigestAlgorithm::kSha256};
  auto digest = MultiDigest::Create(sha256);
  if (!digest.ok()) return "";
  digest->Update({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  auto hex = digest->Final();
  return hex.ok() ? (*hex)["sha256"] : "";
}

std::string HostName() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

Result<RunOutcome> RunManifest(const ManifestSpec& spec, const RunOptions& options) {
  auto report = RunReport::Open(options.report_path);
  if (!report.ok()) return report.status().WithContext(options.report_path);
  RunOutcome outcome;
  RunSummary summary{DISKFERRY_VERSION, ManifestSha256(spec.file), HostName(), WallClock::now(), {}, {}};
  for (const JobSpec& job : spec.jobs) {
    JobContext ctx{options, *report, JobOutcome{job.name, std::string(JobKindName(job.kind())),
                                                "ok", "", 0, 0, 0, 0}};
    const auto started = WallClock::now();
    options.log(job.name + ": started");
    Status st = RunJob(job, &ctx);
    if (!st.ok()) {
      ctx.outcome.status = "failed";
      ctx.outcome.message = st.ToString();
    } else if (ctx.outcome.status == "ok" && ctx.outcome.errors > 0) {
      ctx.outcome.status = "warnings";
    }
    options.log(job.name + ": " + ctx.outcome.status +
                (ctx.outcome.message.empty() ? "" : ": " + ctx.outcome.message));
    const JobOutcome& o = ctx.outcome;
    (void)report->AddJobSummary(JobSummary{o.name, o.kind, o.status, o.message, o.files, o.bytes,
                                           o.skipped, o.errors, started, WallClock::now()});
    summary.jobs.push_back({o.name, o.status});
    outcome.jobs.push_back(o);
    if (o.status == "failed" && spec.run.fail_fast) break;
  }
  summary.ended = WallClock::now();
  (void)report->AddRunSummary(summary);
  if (Status st = report->Close(); !st.ok()) return st;
  outcome.exit_code = ExitCodeOf(outcome.jobs);
  return outcome;
}

}  // namespace diskferry
