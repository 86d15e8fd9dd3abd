// ManifestSpec: a validated manifest. Variables are expanded, defaults merged into each job,
// names resolved into enums, globs compiled, host paths resolved. Produced only by
// ValidateManifest (validator.h), and only when the manifest had no problem at all, so a
// runner may rely on every field without checking it again.
//
// Guest paths are absolute and normalized (no '.', '..', empty or trailing components).
// Host paths keep the text the user wrote (for messages and plans) beside the path
// resolved against the manifest's directory.
//
// Plain values; thread-compatible.
#ifndef DISKFERRY_JOBS_MANIFEST_SPEC_H_
#define DISKFERRY_JOBS_MANIFEST_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jobs/diagnostics.h"
#include "jobs/vars.h"
#include "protocol/glob.h"

namespace diskferry {

struct HostPath {
  std::string text;  // as written, variables expanded
  std::string path;  // `text` resolved against the manifest's base directory
};

enum class JobKind { kExtract, kInject, kVerify, kList };  // the order of JobSpec::task
enum class ImageFormat { kRaw, kQcow2, kVmdk, kVdi, kVhdx, kEwf };
enum class FilesystemKind { kAuto, kDevice, kLabel, kUuid, kOs };
// `on_exists:`. (sinks/host_tree_writer.h's OnExists is the writer's own, narrower
// setting: kSkip maps to its kKeep, and kFail is the runner's to enforce.)
enum class OnExistsPolicy { kOverwrite, kSkip, kFail };
// kNone: an extract job with only forensic listings (`output: {dfxml: ...}`), no files.
enum class OutputKind { kDir, kTar, kNone };
// `compress:` of a tar output: the archive's compression filter.
enum class ArchiveCompression { kNone, kGzip, kZstd };
enum class HashAlgorithm { kSha256, kSha1, kMd5 };

// The manifest's spelling of each value ("extract", "qcow2" (also QEMU's driver name),
// "overwrite", "dir", "sha256").
std::string_view JobKindName(JobKind kind);
std::string_view ImageFormatName(ImageFormat format);
std::string_view OnExistsPolicyName(OnExistsPolicy on_exists);
std::string_view OutputKindName(OutputKind kind);
std::string_view ArchiveCompressionName(ArchiveCompression compression);
std::string_view HashName(HashAlgorithm hash);

// `filesystem:`. kOs (`filesystem: os`) mounts a whole OS tree: the root filesystem with
// the others where its fstab says (appliance/image_session.h, kWholeOs).
struct FilesystemSpec {
  FilesystemKind kind = FilesystemKind::kAuto;
  std::string value;  // "/dev/sda2", the label, the UUID; empty for kAuto and kOs

  // "auto", "/dev/sda2", "LABEL=root", "UUID=...", "os".
  std::string ToString() const;
  // The `--fs` / ImageSessionConfig::filesystem syntax: as ToString() but "" for kAuto
  // (the only mountable filesystem).
  std::string AsFsArgument() const;
};

// One image file or block device.
struct DiskSpec {
  HostPath image;
  // nullopt: `probe_format: true`; the runner probes the format and must report what it
  // found. A block device without `format` is raw.
  std::optional<ImageFormat> format;
  // `backing:`: the backing files QEMU may open for this disk, nearest first. A disk whose
  // header names a backing file is refused unless it is given here
  // (appliance/image_inspect.h).
  std::vector<HostPath> backing;
  bool block_device = false;
};

// One entry of `keys:`: a LUKS key file. Only its path is known here: the validator
// checks that it is a readable regular file and never reads it.
struct KeySpec {
  std::string device;  // "/dev/sda2"; empty: every LUKS device that has no key of its own
  HostPath file;
};

// What a job opens (`source:`, or an inject job's `target:`): the disks of one machine and
// how their filesystems are unlocked, found and mounted.
struct MachineSpec {
  // At least one; attached in this order, the first as /dev/sda, the next as /dev/sdb...
  // No path appears twice.
  std::vector<DiskSpec> disks;
  FilesystemSpec filesystem;
  // Tried in order: a device's own keys first, then those for every device.
  std::vector<KeySpec> keys;
  // Reading jobs: replay a journal that needs it into a throw-away overlay (true), or read
  // the on-disk state (false). Inject jobs have no `replay:` and keep true.
  bool replay = true;
  // Reading jobs (`evidence: true`, or `diskferry run --evidence`): sha256 and md5 of every
  // disk and backing file before and after the job, which fails if they differ
  // (sinks/evidence.h). Inject jobs have no `evidence:` and keep false.
  bool evidence = false;

  const DiskSpec& first() const { return disks.front(); }
};

struct PreserveSpec {  // default [mode, owner, times], as copy-out
  bool mode = true;
  bool owner = true;  // applied only when running as root (sinks/HostTreeWriter)
  bool times = true;
  bool xattrs = false;      // user.* extended attributes
  bool devices = false;     // device nodes (withheld by default: sinks/host_safety.h)
  bool setuid = false;      // setuid/setgid bits of regular files
  bool all_xattrs = false;  // extended attributes of every namespace (implies xattrs)
};

// `dfxml:` and `bodyfile:` of an extract or list job's output (sinks/forensic_outputs.h).
struct ForensicOutputSpec {
  std::optional<HostPath> dfxml;
  std::optional<HostPath> bodyfile;
  bool any() const { return dfxml.has_value() || bodyfile.has_value(); }
};

struct ExtractOutputSpec {
  OutputKind kind = OutputKind::kDir;
  // For kTar the path ends in .tar, .tar.gz or .tar.zst, and that ending is the whole
  // compression setting (as sinks/tar_sink.h's TarSink::CompressionFor reads it);
  // with `to_stdout` (`tar: "-"`) the path is "-" and `compress:` chooses (default none).
  HostPath path;
  bool to_stdout = false;
  ArchiveCompression compression = ArchiveCompression::kNone;  // kTar: from the ending or key
  PreserveSpec preserve;
  OnExistsPolicy on_exists = OnExistsPolicy::kFail;  // per entry for kDir; the archive for kTar
  // With ExtractSpec::recover_deleted: the directory the deleted files are written to
  // (`deleted:`, default the dir path + ".deleted").
  HostPath deleted;
  ForensicOutputSpec forensic;
};

struct ExtractSpec {
  MachineSpec source;
  PathSelector select;
  ExtractOutputSpec output;
  std::optional<HostPath> since;  // incremental: a previous run's manifest
  std::vector<HashAlgorithm> hashes;
  bool recover_deleted = false;  // `recover: deleted` (needs a dir output)
};

struct VerifySpec {
  MachineSpec source;
  PathSelector select;
  HostPath against;  // the previous run's manifest whose hashes are compared
  std::optional<HostPath> report;
};

struct ListSpec {
  MachineSpec source;
  PathSelector select;
  std::vector<HashAlgorithm> hashes;
  std::optional<HostPath> report;
  ForensicOutputSpec forensic;  // `output:` of a list job: only these
};

struct Owner {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// `from` (a host file or directory) becomes the guest path `to`: a directory's contents
// land under `to`. `mode` applies to uploaded regular files, `owner` to every entry.
struct UploadStep {
  HostPath from;
  std::string to;
  std::optional<uint32_t> mode;
  std::optional<Owner> owner;
};
struct WriteStep {
  std::string path;
  std::string content;
  uint32_t mode = 0644;
};
struct MkdirStep {
  std::string path;
  uint32_t mode = 0755;
  bool parents = false;
};
struct ChmodStep {
  std::string path;
  uint32_t mode = 0;
};
struct ChownStep {
  std::string path;
  Owner owner;
};
struct SymlinkStep {
  std::string target;  // the link's content, stored as written
  std::string path;
};
// `path` may be a glob (`glob` is then set): every match is deleted.
struct DeleteStep {
  std::string path;
  bool recursive = false;
  std::optional<Glob> glob;
};
struct MoveStep {
  std::string from;
  std::string to;
};

using StepAction = std::variant<UploadStep, WriteStep, MkdirStep, ChmodStep, ChownStep, SymlinkStep,
                                DeleteStep, MoveStep>;

struct StepSpec {
  int number = 0;  // 1-based position in `steps`
  SourceMark mark;
  StepAction action;
};

struct InjectSpec {
  MachineSpec target;              // several disks only with in_place: an overlay covers one disk
  std::optional<HostPath> output;  // a new qcow2 overlay over `target`; unset when in_place
  bool in_place = false;
  std::vector<StepSpec> steps;  // run in order; the first failure stops the job
};

struct JobSpec {
  std::string name;
  SourceMark mark;
  std::variant<ExtractSpec, InjectSpec, VerifySpec, ListSpec> task;

  JobKind kind() const { return static_cast<JobKind>(task.index()); }
};

// `run:`, how the runner schedules the jobs. Scheduling itself is runner/'s.
struct RunSpec {
  static constexpr int kMaxParallel = 256;
  static constexpr int kDefaultRetries = 2;
  static constexpr int kMaxRetries = 10;

  // Appliances running at once, 1..kMaxParallel. nullopt: the runner decides at run time
  // from the host's cores and free memory; the command line's `-j N` overrides both.
  std::optional<int> max_parallel;
  bool fail_fast = false;  // stop starting jobs after the first failed one
  // How often a job part whose appliance died or hung is retried, each time on a fresh
  // appliance; 0..kMaxRetries.
  int retries = kDefaultRetries;
  // Whether a large extract job may be split over several appliances.
  bool split = true;
};

// `case:`: the case metadata every report carries, as written (variables expanded). Empty
// fields were not given.
struct CaseSpec {
  std::string id;
  std::string examiner;
  std::string evidence_id;
  std::string notes;
};

struct ManifestSpec {
  std::string file;
  std::string base_dir;                     // relative host paths were resolved against this
  LocalTime now;                            // the time ${date} and ${time} came from
  std::map<std::string, std::string> vars;  // every variable's value, as given
  RunSpec run;
  CaseSpec case_spec;
  std::vector<JobSpec> jobs;  // in manifest order
};

// `diskferry run --evidence`: sets `evidence` on every reading job (extract, list, verify).
void RequireEvidence(ManifestSpec* spec);

// The job whose archive goes to standard output (`tar: "-"`; at most one), or nullptr.
const JobSpec* StdoutJob(const ManifestSpec& spec);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_MANIFEST_SPEC_H_
