// `diskferry copy-out`, `copy-in` and `cat`: trees and files through the data lanes.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "appliance/ewf.h"
#include "appliance/image_session.h"
#include "appliance/overlay.h"
#include "appliance/transfer.h"
#include "cli/cat_sink.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/image_spec.h"
#include "cli/run_events_text.h"
#include "protocol/printable_text.h"
#include "sinks/evidence.h"
#include "sinks/forensic_outputs.h"
#include "sinks/hashing_sink.h"
#include "sinks/host_file.h"
#include "sinks/host_tree_reader.h"
#include "sinks/host_tree_writer.h"
#include "sinks/tar_sink.h"

namespace diskferry {
namespace {

using Clock = std::chrono::steady_clock;

struct CopyOptions {
  ApplianceOptions appliance;
  std::vector<std::string> args;
  DiskOptions disk;
  std::string output;
  std::string lane = "shm";
  bool in_place = false;
  bool xattrs = false;       // copy-in: read the host files' xattrs
  std::string xattr_scope;   // copy-out: "" none, "user" (--xattrs), "all" (--xattrs=all)
  bool preserve_devices = false;
  bool preserve_setuid = false;
  bool quiet = false;
  std::string tar;       // copy-out: an archive instead of DEST; "-" is standard output
  std::string compress;  // copy-out --tar: none, gzip or zstd
  std::string recover_deleted;  // copy-out: where the image's deleted files go
  std::string dfxml;            // copy-out: a DFXML listing of what was copied
  std::string bodyfile;         // copy-out: a TSK body file of what was copied
  bool evidence = false;  // copy-out: hash the image files before and after
  CaseInfo case_info;     // copy-out: --case-id, --examiner, --evidence-id, --case-notes
};

constexpr int kStdoutFd = STDOUT_FILENO;

Result<ImageSessionConfig> SessionFor(const CopyOptions& o, const std::string& image) {
  auto made = SessionConfigFrom(o.appliance);
  if (!made.ok()) return made.status();
  ImageSessionConfig config = *made;
  config.image = image;
  if (Status st = ConfigureDisks(o.disk, &config); !st.ok()) return st;
  if (o.lane != "shm" && o.lane != "socket") {
    return Status(Code::kInvalidArgument, "--lane must be shm or socket");
  }
  if (o.lane == "socket") config.launch.shm_size = 0;
  return config;
}

TransferOptions TransferFor(const CopyOptions& o) {
  TransferOptions t;
  t.use_shm = o.lane == "shm";
  t.xattrs = o.xattrs || !o.xattr_scope.empty();
  return t;
}

HostSafety SafetyFor(const CopyOptions& o) {
  HostSafety safety;
  safety.devices = o.preserve_devices;
  safety.setuid = o.preserve_setuid;
  safety.xattrs = o.xattr_scope == "all"    ? XattrScope::kAll
                  : o.xattr_scope == "user" ? XattrScope::kUser
                                            : XattrScope::kNone;
  return safety;
}

// One line saying what the safe defaults kept out of DEST, and the options that keep it.
void ReportWithheld(const Withheld& w) {
  if (!w.any()) return;
  std::string flags;
  auto add = [&](const char* flag) { flags += (flags.empty() ? "" : ", ") + std::string(flag); };
  if (w.devices > 0) add("--preserve-devices");
  if (w.setuid > 0) add("--preserve-setuid");
  if (w.xattrs > 0) add("--xattrs=all");
  std::fprintf(stderr, "copy-out: not copied, as the safe defaults ask: %s (%s to keep them)\n",
               DescribeWithheld(w).c_str(), flags.c_str());
}

void Summarize(const char* what, const TransferResult& r, Clock::time_point start, bool quiet) {
  if (quiet) return;
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const uint64_t rate = secs > 0 ? static_cast<uint64_t>(static_cast<double>(r.bytes) / secs) : 0;
  std::fprintf(stderr, "%s: %llu %s, %s in %.2f s (%s/s), %s lane\n", what,
               static_cast<unsigned long long>(r.files), r.files == 1 ? "entry" : "entries",
               FormatBytes(r.bytes).c_str(), secs, FormatBytes(rate).c_str(),
               r.used_shm ? "shared-memory" : "socket");
}

int ReportGuestProblems(const std::string& image, const TransferResult& r) {
  for (const auto& p : r.problems) {
    std::fprintf(stderr, "diskferry: %s:/%s: %s\n", PrintableText(image).c_str(),
                 PrintableText(p.path).c_str(), PrintableText(p.message).c_str());
  }
  return r.problems.empty() ? kExitOk : kExitError;
}

Result<TarCompression> CompressionNamed(const std::string& name) {
  if (name == "none") return TarCompression::kNone;
  if (name == "gzip") return TarCompression::kGzip;
  if (name == "zstd") return TarCompression::kZstd;
  return Status(Code::kInvalidArgument, "--compress must be none, gzip or zstd");
}

// `--tar -`: standard output; `--tar FILE`: FILE's ending chooses the compression, and a
// --compress that says otherwise is an error rather than a misnamed archive.
Result<std::unique_ptr<TarSink>> OpenArchive(const CopyOptions& o) {
  TarOptions options;
  options.safety = SafetyFor(o);
  if (o.tar == "-") {
    if (::isatty(kStdoutFd)) {
      return Status(Code::kInvalidArgument,
                    "--tar -: standard output is a terminal; redirect it to a file or a pipe");
    }
    auto compression = CompressionNamed(o.compress.empty() ? "none" : o.compress);
    if (!compression.ok()) return compression.status();
    return TarSink::OpenStream(kStdoutFd, "standard output", *compression, options);
  }
  auto by_name = TarSink::CompressionFor(o.tar);
  if (!by_name.ok()) return by_name.status().WithContext("--tar");
  if (!o.compress.empty()) {
    auto asked = CompressionNamed(o.compress);
    if (!asked.ok()) return asked.status();
    if (*asked != *by_name) {
      return Status(Code::kInvalidArgument,
                    "--compress " + o.compress + " disagrees with " + o.tar +
                        ", whose ending chooses its compression: drop --compress or rename it");
    }
  }
  return TarSink::Open(o.tar, options);
}

// The sink copy-out writes into: DEST (a directory writer) or the --tar archive.
struct CopyOutSink {
  std::unique_ptr<TreeSink> sink;
  HostTreeWriter* writer = nullptr;  // a directory's
  const WriteReport* report = nullptr;
  std::string name;  // DEST, the archive's path, or "standard output"
};

Result<CopyOutSink> OpenCopyOutSink(const CopyOptions& o, const std::string& dest) {
  CopyOutSink out;
  if (!o.tar.empty()) {
    auto tar = OpenArchive(o);
    if (!tar.ok()) return tar.status();
    out.report = &(*tar)->report();
    out.sink = std::move(*tar);
    out.name = o.tar == "-" ? "standard output" : o.tar;
    return out;
  }
  if (!o.compress.empty()) return Status(Code::kInvalidArgument, "--compress is for --tar");
  HostWriterOptions wopts;
  wopts.safety = SafetyFor(o);
  auto writer = HostTreeWriter::Open(dest, wopts);
  if (!writer.ok() && writer.status().code() == Code::kNotFound) {
    return Status(Code::kNotFound, PrintableText(dest) +
                                       ": no such directory (copy-out copies into an existing "
                                       "directory: make it first, as with virt-copy-out)");
  }
  if (!writer.ok()) return writer.status();  // it names `dest`
  out.writer = writer->get();
  out.report = &out.writer->report();
  out.sink = std::move(*writer);
  out.name = dest;
  return out;
}

// copy-out --dfxml / --bodyfile: every entry hashed (sha256 for DFXML, md5 for the body
// file) on its way into DEST and listed, with its path from the filesystem's root: a
// record's path starts at its start path's last component ("etc/hostname" for
// IMAGE:/etc), so the start path's parent goes in front.
class CopyOutListings {
 public:
  // `before`: the image files' digests when --evidence has them already (they go into the
  // DFXML's <source>).
  Status Open(const CopyOptions& o, const ImageSession& session, const std::string& image,
              const std::vector<std::string>& paths, std::vector<ImageDigests> before) {
    for (const std::string& p : paths) {
      const size_t slash = p.find_last_of('/');
      if (slash == std::string::npos || p == "/") continue;
      parents_[p.substr(slash + 1)] = p.substr(1, slash);  // "/usr/share" -> "usr/"
    }
    DfxmlOptions options;
    options.program_version = DISKFERRY_VERSION;
    options.command_line = CommandLine();
    options.image_filenames = {image};
    options.image_digests = std::move(before);
    if (!o.case_info.empty()) options.case_info = o.case_info;
    for (const MountedFilesystem& m : session.mounted()) {
      options.filesystems.push_back({m.device, m.fstype, m.mount_point, m.replayed});
    }
    return listings_.Open(o.dfxml, o.bodyfile, options);
  }

  Result<std::unique_ptr<HashingSink>> Wrap(TreeSink* inner) {
    return HashingSink::Create(inner, {"sha256", "md5"}, [this](const FileRecord& r) {
      FileRecord rooted = r;
      const std::string first = r.path.substr(0, r.path.find('/'));
      if (auto it = parents_.find(first); it != parents_.end()) {
        rooted.path = it->second + r.path;
        if (r.type == "hardlink") rooted.target = it->second + r.target;
      }
      listings_.Add(rooted);
    });
  }

  // A record whose path already runs from the filesystem's root (a recovered file's).
  void AddRooted(const FileRecord& r) { listings_.Add(r); }

  Status Close() { return listings_.Close(); }

 private:
  std::map<std::string, std::string> parents_;  // a start's last component -> its parent
  ForensicListings listings_;
};

// Paths the guest could not read (a missing IMAGE:PATH, an unreadable file): each named,
// and the copy is not a success, since what it wrote lacks them.
int ReportSourceErrors(const std::string& image, const WriteReport& report) {
  for (const SourceError& e : report.source_errors.items()) {
    // The guest's message names the path in the image ("/no/such: No such file or
    // directory"); the record's path is the name in DEST or the archive.
    const std::string why =
        !e.message.empty()
            ? e.message
            : e.path + ": " + (e.errno_value != 0 ? std::strerror(e.errno_value) : "unreadable");
    std::fprintf(stderr, "diskferry: %s: %s\n", PrintableText(image).c_str(),
                 PrintableText(why).c_str());
  }
  if (report.source_errors.total() > report.source_errors.items().size()) {
    std::fprintf(stderr, "diskferry: %s: %llu more unreadable paths not listed\n",
                 PrintableText(image).c_str(),
                 static_cast<unsigned long long>(report.source_errors.total() -
                                                 report.source_errors.items().size()));
  }
  return report.source_errors.empty() ? kExitOk : kExitError;
}

// --recover-deleted DIR: the deleted files the appliance's Sleuth Kit finds in the
// filesystem, written under DIR (made if missing) at their original paths. Those it cannot
// recover are listed, but do not fail the copy. Returns the exit code's contribution.
int RecoverDeletedFiles(const CopyOptions& o, ImageSession& session, const std::string& image,
                        CopyOutListings* listings) {
  if (int err = MakeHostDirectory(o.recover_deleted); err != 0 && err != EEXIST) {
    return ReportFailure(ErrnoStatus(err, o.recover_deleted));
  }
  HostWriterOptions wopts;
  wopts.safety = SafetyFor(o);
  auto writer = HostTreeWriter::Open(o.recover_deleted, wopts);
  if (!writer.ok()) return ReportFailure(writer.status());
  TransferOptions t = TransferFor(o);
  t.recover_deleted = true;
  t.call_timeout = std::chrono::minutes(30);  // fls, then icat twice per file: see transfer.h
  t.progress_deadline = std::chrono::minutes(30);
  uint64_t recovered = 0, lost = 0;
  // With --dfxml or --bodyfile the recovered files are listed there too, hashed like the
  // others and marked deleted (DFXML alloc 0, "(deleted)" in the body file).
  std::vector<std::string> hashes;
  if (listings != nullptr) hashes = {"sha256", "md5"};
  auto counting = HashingSink::Create(writer->get(), hashes, [&](const FileRecord& r) {
    if (listings != nullptr && r.type != "dir") {
      FileRecord deleted = r;
      deleted.deleted = true;
      listings->AddRooted(deleted);
    }
    if (r.type == "file" && r.status == kStatusOk) {
      ++recovered;
    } else if (r.type != "dir") {
      ++lost;
    }
  });
  if (!counting.ok()) return ReportFailure(counting.status());
  auto result = ExtractTree(session.appliance(), {"/"}, counting->get(), t);
  if (!result.ok()) {
    (*writer)->RemoveUnfinished();
    return ReportFailure(InImage(result.status(), image).WithContext("--recover-deleted"));
  }
  const WriteReport& report = (*writer)->report();
  for (const SourceError& e : report.source_errors.items()) {
    std::fprintf(stderr, "diskferry: %s: %s\n", PrintableText(image).c_str(),
                 PrintableText(e.message).c_str());
  }
  int rc = kExitOk;
  for (const auto& p : report.problems.items()) {
    std::fprintf(stderr, "diskferry: %s/%s: %s\n", PrintableText(o.recover_deleted).c_str(),
                 PrintableText(p.path).c_str(), PrintableText(p.message).c_str());
    rc = kExitError;
  }
  if (!o.quiet) {
    std::fprintf(stderr, "diskferry: %llu deleted file%s recovered, %llu could not be\n",
                 static_cast<unsigned long long>(recovered), recovered == 1 ? "" : "s",
                 static_cast<unsigned long long>(lost));
  }
  return rc;
}

// The files the appliance reads for `config`: every disk and its backing files.
std::vector<std::string> EvidencePathsFor(const ImageSessionConfig& config) {
  std::vector<EvidenceDisk> disks;
  for (const DiskConfig& d : SessionDisks(config)) {
    EvidenceDisk disk{d.image, {}};
    for (const ImageLayer& layer : d.backing) disk.backing.push_back(layer.path);
    disks.push_back(std::move(disk));
  }
  return EvidencePaths(disks);
}

// "id C-17, examiner A. Smith": the fields given, escaped for the terminal.
std::string CaseWords(const CaseInfo& c) {
  std::string words;
  for (const auto& [key, value] :
       {std::pair{"id", &c.id}, std::pair{"examiner", &c.examiner},
        std::pair{"evidence_id", &c.evidence_id}, std::pair{"notes", &c.notes}}) {
    if (!value->empty()) words += (words.empty() ? "" : ", ") + std::string(key) + " " + *value;
  }
  return PrintableText(words);
}

// --evidence after the copy: hashes every file again and prints one line per file, with
// the "before" hashes. kExitError (and the one-line reason) for a file that changed or
// could not be read.
int ReportEvidence(const Result<std::vector<ImageDigests>>& before) {
  if (!before.ok()) return ReportFailure(before.status().WithContext("evidence: before the copy"));
  int rc = kExitOk;
  for (const ImageDigests& b : *before) {
    ImageEvidence e{b, std::nullopt, ""};
    Result<ImageDigests> after = DigestImage(b.path);
    if (after.ok()) {
      e.after = std::move(*after);
    } else {
      e.error = "evidence: after the copy: " + after.status().message();
    }
    if (!e.match()) {
      std::fprintf(stderr, "diskferry: %s\n", PrintableText(EvidenceProblem(e)).c_str());
      rc = kExitError;
      continue;
    }
    std::fprintf(stderr,
                 "diskferry: evidence: %s (%llu bytes): sha256 %s, md5 %s, the same before and "
                 "after the copy\n",
                 PrintableText(b.path).c_str(), static_cast<unsigned long long>(b.size),
                 b.hashes.at("sha256").c_str(), b.hashes.at("md5").c_str());
  }
  return rc;
}

int RunCopyOut(const CopyOptions& o) {
  const bool to_tar = !o.tar.empty();
  if (o.args.size() < (to_tar ? 1u : 2u)) {
    return ReportFailure(
        Status(Code::kInvalidArgument,
               "usage: copy-out IMAGE:PATH... DEST, or copy-out --tar FILE|- IMAGE:PATH..."));
  }
  const std::string dest = to_tar ? std::string() : o.args.back();
  const size_t sources = to_tar ? o.args.size() : o.args.size() - 1;
  std::string image;
  std::vector<std::string> paths;
  for (size_t i = 0; i < sources; ++i) {
    auto spec = ParseImageSpec(o.args[i], HostPathExists);
    if (!spec.ok()) return ReportFailure(spec.status());
    if (!image.empty() && spec->image != image) {
      return ReportFailure(Status(Code::kInvalidArgument, "copy-out takes paths from one image at a time"));
    }
    image = spec->image;
    paths.push_back(spec->path);
  }
  auto out = OpenCopyOutSink(o, dest);
  if (!out.ok()) return ReportFailure(out.status());
  auto config = SessionFor(o, image);
  if (!config.ok()) return ReportFailure(config.status());
  // The "before" pass runs while the appliance boots and copies; a copy that cannot start
  // stops it.
  std::atomic<bool> stop_evidence{false};
  std::optional<EvidencePass> evidence;
  if (o.evidence) evidence.emplace(EvidencePathsFor(*config), &stop_evidence, nullptr);
  auto session = ImageSession::Open(*config);
  if (!session.ok()) {
    stop_evidence = true;
    return ReportFailure(session.status());
  }
  ReportSession(**session, image);
  const bool listing = !o.dfxml.empty() || !o.bodyfile.empty();
  CopyOutListings listings;
  std::optional<Result<std::vector<ImageDigests>>> evidence_before;
  std::unique_ptr<HashingSink> hashing;
  if (listing) {
    // A DFXML names the image's digests in its header, so with --evidence the copy waits
    // for the "before" pass here (it ran while the appliance booted).
    if (evidence && !evidence_before) evidence_before = evidence->Wait();
    std::vector<ImageDigests> digests;
    if (evidence_before && evidence_before->ok()) digests = **evidence_before;
    if (Status st = listings.Open(o, **session, image, paths, std::move(digests)); !st.ok()) {
      return ReportFailure(st);
    }
    auto wrapped = listings.Wrap(out->sink.get());
    if (!wrapped.ok()) return ReportFailure(wrapped.status());
    hashing = std::move(*wrapped);
  }
  TreeSink* sink = listing ? static_cast<TreeSink*>(hashing.get()) : out->sink.get();
  const auto start = Clock::now();
  auto result = ExtractTree((*session)->appliance(), paths, sink, TransferFor(o));
  int deleted_rc = kExitOk;
  if (result.ok() && !o.recover_deleted.empty()) {
    deleted_rc = RecoverDeletedFiles(o, **session, image, listing ? &listings : nullptr);
  }
  Status closed = (*session)->Close();
  // The listings are complete only when the copy is: a broken-off one leaves neither.
  if (result.ok() && listing) {
    if (Status st = listings.Close(); !st.ok()) return ReportFailure(st);
  }
  if (!o.case_info.empty()) {
    std::fprintf(stderr, "diskferry: case: %s\n", CaseWords(o.case_info).c_str());
  }
  if (evidence && !evidence_before) evidence_before = evidence->Wait();
  const int evidence_rc = evidence ? ReportEvidence(*evidence_before) : kExitOk;
  if (!result.ok()) {
    // Stream files are created at their full size before their data comes: a transfer
    // that broke off would leave them looking complete.
    const size_t removed = out->writer != nullptr ? out->writer->RemoveUnfinished() : 0;
    if (removed > 0) {
      std::fprintf(stderr, "diskferry: %s: removed %zu partly written file%s\n",
                   PrintableText(dest).c_str(), removed, removed == 1 ? "" : "s");
    }
    Status failed = InImage(result.status(), image);
    // A file archive is left as FILE.partial and removed; what went to stdout stays.
    if (o.tar == "-" && failed.message().find("the archive is incomplete") == std::string::npos) {
      failed = Status(failed.code(),
                      failed.message() + "; the archive on standard output is incomplete");
    }
    return ReportFailure(failed);
  }
  Summarize("copy-out", *result, start, o.quiet);
  ReportWithheld(out->report->withheld);
  int rc = std::max(
      {evidence_rc, ReportGuestProblems(image, *result), ReportSourceErrors(image, *out->report),
       deleted_rc});
  for (const auto& p : out->report->problems.items()) {
    std::fprintf(stderr, "diskferry: %s%s%s: %s\n", PrintableText(out->name).c_str(),
                 to_tar ? ": " : "/", PrintableText(p.path).c_str(),
                 PrintableText(p.message).c_str());
    rc = kExitError;
  }
  if (!closed.ok()) return ReportFailure(closed);
  return rc;
}

int RunCopyIn(const CopyOptions& o) {
  if (o.args.size() < 2) return ReportFailure(Status(Code::kInvalidArgument, "usage: copy-in SRC... IMAGE:DIR"));
  auto spec = ParseImageSpec(o.args.back(), HostPathExists);
  if (!spec.ok()) return ReportFailure(spec.status());
  if (o.in_place && !o.output.empty()) {
    return ReportFailure(Status(Code::kInvalidArgument, "--in-place and --output exclude each other"));
  }
  std::vector<std::string> sources(o.args.begin(), o.args.end() - 1);
  HostReaderOptions ropts;
  ropts.xattrs = o.xattrs;
  auto reader = HostTreeReader::Open(sources, ropts);
  if (!reader.ok()) return ReportFailure(reader.status());
  auto config = SessionFor(o, spec->image);
  if (!config.ok()) return ReportFailure(config.status());
  for (const DiskConfig& disk : SessionDisks(*config)) {
    if (disk.format == kEwfFormat) {
      return ReportFailure(Status(Code::kInvalidArgument,
                                  disk.image + ": an E01 image is read-only evidence; copy-in "
                                               "never writes one (convert it with ewfexport "
                                               "-f raw first)"));
    }
  }
  config->writable = true;
  std::string target = spec->image;
  if (!o.in_place && !config->extra_disks.empty()) {
    // The new image would hold the first disk's changes only; the others would be
    // written in place.
    return ReportFailure(Status(Code::kInvalidArgument,
                                "copy-in with --add writes into every disk: pass --in-place"));
  }
  if (!o.in_place) {
    auto base = ResolveDisk(SessionDisks(*config).front());
    if (!base.ok()) return ReportFailure(base.status());
    target = o.output.empty() ? spec->image + ".new.qcow2" : o.output;
    auto overlay = CreateOverlay(*base, target);
    if (!overlay.ok()) return ReportFailure(overlay.status());
    config->image = target;
    config->format = overlay->image.format;
    config->backing = overlay->backing;
    if (!o.quiet) {
      std::fprintf(stderr, "copy-in: writing to %s (over %s)\n", PrintableText(target).c_str(),
                   PrintableText(spec->image).c_str());
    }
  }
  auto session = ImageSession::Open(*config);
  if (!session.ok()) return ReportFailure(session.status());
  ReportSession(**session, target);
  const auto start = Clock::now();
  auto result = InjectTree((*session)->appliance(), reader->get(), spec->path, TransferFor(o));
  Status closed = (*session)->Close();  // syncs and unmounts in the guest
  if (!result.ok()) return ReportFailure(InImage(result.status(), target));
  Summarize("copy-in", *result, start, o.quiet);
  int rc = ReportGuestProblems(target, *result);
  for (const auto& p : (*reader)->problems().items()) {
    std::fprintf(stderr, "diskferry: %s: %s\n", PrintableText(p.path).c_str(),
                 PrintableText(p.message).c_str());
    rc = kExitError;
  }
  if (!closed.ok()) return ReportFailure(closed.WithContext("shutting the appliance down"));
  return rc;
}

int RunCat(const CopyOptions& o) {
  if (o.args.size() != 1) return ReportFailure(Status(Code::kInvalidArgument, "usage: cat IMAGE:PATH"));
  auto spec = ParseImageSpec(o.args[0], HostPathExists);
  if (!spec.ok()) return ReportFailure(spec.status());
  if (spec->path == "/") return ReportFailure(Status(Code::kInvalidArgument, o.args[0] + ": is a directory"));
  auto config = SessionFor(o, spec->image);
  if (!config.ok()) return ReportFailure(config.status());
  auto session = ImageSession::Open(*config);
  if (!session.ok()) return ReportFailure(session.status());
  ReportSession(**session, spec->image);
  Status st = CatFile((*session)->appliance(), spec->path, TransferFor(o), STDOUT_FILENO);
  Status closed = (*session)->Close();
  if (!st.ok()) return ReportFailure(InImage(st, spec->image));
  if (!closed.ok()) return ReportFailure(closed);
  return kExitOk;
}

void AddCopyOptions(CLI::App* cmd, CopyOptions* o) {
  AddDiskOptions(cmd, &o->disk, /*with_filesystem=*/true);
  cmd->add_option("--lane", o->lane, "shm (shared memory) or socket")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "no summary line");
  AddApplianceOptions(cmd, &o->appliance);
}

}  // namespace

void RegisterCopyCommands(CLI::App* app, int* exit_code) {
  static CopyOptions out, in, cat;
  auto* co = app->add_subcommand("copy-out", "copy files or trees out of an image (like virt-copy-out)");
  co->add_option("args", out.args, "IMAGE:PATH... DEST (with --tar: IMAGE:PATH...)")
      ->required()
      ->expected(1, -1);
  co->add_option("--tar", out.tar,
                 "write a tar archive instead of DEST: FILE.tar, .tar.gz or .tar.zst (the ending "
                 "chooses the compression), or - for standard output")
      ->type_name("FILE|-");
  co->add_option("--compress", out.compress,
                 "compression of --tar -: none (default), gzip or zstd; with a FILE it must "
                 "agree with the ending")
      ->check(CLI::IsMember({"none", "gzip", "zstd"}));
  co->add_option("--dfxml", out.dfxml,
                 "also write a DFXML listing of the copied entries (sha256 and md5 of each "
                 "file; fiwalk's format) to FILE")
      ->type_name("FILE");
  co->add_option("--bodyfile", out.bodyfile,
                 "also write a TSK body file of the copied entries (for mactime -b) to FILE")
      ->type_name("FILE");
  co->add_flag("--xattrs{user}", out.xattr_scope,
               "copy user.* extended attributes; --xattrs=all copies every namespace "
               "(security.*, trusted.*, system.*)")
      ->check(CLI::IsMember({"user", "all"}));
  co->add_flag("--preserve-devices", out.preserve_devices,
               "create the image's device nodes (not created by default)");
  co->add_flag("--preserve-setuid", out.preserve_setuid,
               "keep setuid/setgid bits of regular files (cleared by default)");
  co->add_flag("--evidence", out.evidence,
               "hash every image file (each disk and backing file) with sha256 and md5 before "
               "and after the copy; a file that changed fails it");
  co->add_option("--case-id", out.case_info.id,
                 "case metadata, printed after the copy and kept in the reports it writes")
      ->type_name("TEXT");
  co->add_option("--examiner", out.case_info.examiner, "case metadata: who made the copy")
      ->type_name("TEXT");
  co->add_option("--evidence-id", out.case_info.evidence_id, "case metadata: the evidence item")
      ->type_name("TEXT");
  co->add_option("--case-notes", out.case_info.notes, "case metadata: free text")
      ->type_name("TEXT");
  co->add_option("--recover-deleted", out.recover_deleted,
                 "also write the filesystem's deleted files that The Sleuth Kit can recover "
                 "under DIR, at their original paths")
      ->type_name("DIR");
  AddCopyOptions(co, &out);
  co->callback([=] { *exit_code = RunCopyOut(out); });

  auto* ci = app->add_subcommand("copy-in", "copy host files or trees into an image (like virt-copy-in)");
  ci->add_option("args", in.args, "SRC... IMAGE:DIR")->required()->expected(2, -1);
  ci->add_option("--output", in.output, "new qcow2 overlay to write (default IMAGE.new.qcow2)");
  ci->add_flag("--in-place", in.in_place, "write into IMAGE itself");
  ci->add_flag("--xattrs", in.xattrs, "copy extended attributes");
  AddCopyOptions(ci, &in);
  ci->callback([=] { *exit_code = RunCopyIn(in); });

  auto* ca = app->add_subcommand("cat", "print a file from an image (like virt-cat)");
  ca->add_option("target", cat.args, "IMAGE:PATH")->required()->expected(1);
  AddCopyOptions(ca, &cat);
  cat.quiet = true;
  ca->callback([=] { *exit_code = RunCat(cat); });
}

}  // namespace diskferry
