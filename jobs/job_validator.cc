#include <algorithm>
#include <system_error>

#include "jobs/did_you_mean.h"
#include "jobs/field_reader.h"
#include "jobs/manifest_keys.h"

namespace diskferry {
namespace {

namespace keys = manifest_keys;

template <typename T>
void Inherit(T& field, const T& fallback) {
  if (!field.present) field = fallback;
}

// "1 format", "2 disks", "3 entries".
std::string Count(size_t n, std::string_view noun) {
  std::string plural(noun);
  if (n != 1)
    plural = noun.ends_with('y') ? plural.substr(0, plural.size() - 1) + "ies" : plural + "s";
  return std::to_string(n) + " " + plural;
}

// One disk: a file or block device that exists. `image` empty when the path is unusable.
DiskSpec ValidateDisk(const Scalar& item, std::string_view key, FieldReader& fields) {
  DiskSpec disk;
  std::optional<HostPath> path = fields.Host(item, key);
  if (!path) return disk;
  disk.image = *path;
  const HostFileKind file_kind = fields.options().probe(path->path);
  disk.block_device = file_kind == HostFileKind::kBlockDevice;
  if (file_kind == HostFileKind::kMissing) {
    fields.Error(item.mark, std::string(key) + ": " + path->text + " does not exist");
  } else if (file_kind == HostFileKind::kDirectory || file_kind == HostFileKind::kOther) {
    fields.Error(item.mark, std::string(key) + ": " + path->text +
                                " is not a disk image file or a block device");
  }
  return disk;
}

// `source:` or `target:`: one disk or a list of them, none named twice. Empty when absent
// or unusable (reported).
std::vector<DiskSpec> ValidateDisks(const JobConfig& job, const ScalarList& images,
                                    std::string_view key, FieldReader& fields) {
  const std::string k(key);
  const std::string what = key == "target" ? "the disk image or block device to write"
                                           : "the disk image or block device to read";
  std::vector<DiskSpec> disks;
  if (!images.present) {
    fields.Error(job.mark, "missing '" + k + "' (" + what + ", or a list of them)");
    return disks;
  }
  if (images.invalid) return disks;
  if (images.items.empty()) {
    fields.Error(images.mark, k + ": an empty list names no disk (" + what + ")");
    return disks;
  }
  for (const Scalar& item : images.items) {
    DiskSpec disk = ValidateDisk(item, key, fields);
    const bool twice =
        !disk.image.path.empty() && std::any_of(disks.begin(), disks.end(), [&](const DiskSpec& d) {
          return d.image.path == disk.image.path;
        });
    if (twice) {
      fields.Error(item.mark,
                   k + ": " + disk.image.text + " is listed twice (a disk is attached once)");
    }
    disks.push_back(std::move(disk));
  }
  return disks;
}

// `format:` (one for every disk, or one per disk in the order of `key`), or
// `probe_format: true`; a block device without either is raw.
void ValidateFormats(const JobConfig& job, std::string_view key, FieldReader& fields,
                     std::vector<DiskSpec>* disks) {
  bool probe = false;
  fields.Bool(job.probe_format, "probe_format", &probe);
  const ScalarList& format = job.format;
  if (format.present && probe) {
    fields.Error(format.mark, "format: give either format or probe_format: true, not both");
    return;
  }
  if (format.invalid) return;
  if (format.present && format.scalar) {
    if (auto i = fields.Choice(format.items[0], "format", "image format", keys::kFormats)) {
      for (DiskSpec& disk : *disks) disk.format = static_cast<ImageFormat>(*i);
    }
  } else if (format.present && format.items.size() != disks->size()) {
    fields.Error(format.mark, "format: " + Count(format.items.size(), "format") + " for " +
                                  Count(disks->size(), "disk") + ": give one format per disk of " +
                                  std::string(key) + ", in its order, or one format for all");
  } else if (format.present) {
    for (size_t d = 0; d < disks->size(); ++d) {
      if (auto i = fields.Choice(format.items[d], "format", "image format", keys::kFormats)) {
        (*disks)[d].format = static_cast<ImageFormat>(*i);
      }
    }
  } else {
    bool missing = false;
    for (DiskSpec& disk : *disks) {
      if (disk.block_device) {
        disk.format = ImageFormat::kRaw;
      } else if (!probe && !disk.image.path.empty()) {
        missing = true;
      }
    }
    if (missing) {
      fields.Error(job.mark,
                   "format: required for untrusted images (raw, qcow2, vmdk, vdi, vhdx or "
                   "ewf); or set probe_format: true to probe it and report the result");
    }
  }
  // An E01 is evidence: served read-only (appliance/ewf.h), never a target.
  const bool ewf = std::any_of(disks->begin(), disks->end(),
                               [](const DiskSpec& d) { return d.format == ImageFormat::kEwf; });
  if (ewf && key == "target") {
    fields.Error(format.mark,
                 "format: ewf images are read-only evidence; an inject job cannot "
                 "write one (convert it with ewfexport -f raw first)");
  }
}

void ValidateFilesystem(const Scalar& s, FieldReader& fields, FilesystemSpec* fs) {
  std::optional<std::string> text = fields.Text(s);
  if (!text || *text == "auto") return;
  if (*text == "os") {
    fs->kind = FilesystemKind::kOs;
    return;
  }
  for (auto [prefix, kind] :
       {std::pair{"LABEL=", FilesystemKind::kLabel}, std::pair{"UUID=", FilesystemKind::kUuid},
        std::pair{"/dev/", FilesystemKind::kDevice}}) {
    const std::string_view p(prefix);
    if (text->starts_with(p) && text->size() > p.size()) {
      fs->kind = kind;
      fs->value = kind == FilesystemKind::kDevice ? *text : text->substr(p.size());
      return;
    }
  }
  fields.Error(s.mark,
               "filesystem: expected a device (/dev/sda1), LABEL=name, UUID=id, os (a whole OS "
               "tree) or auto, found '" +
                   *text + "'");
}

// One disk's `backing:` chain: files that exist, and only under a format that can have them.
void ValidateChain(const ScalarList& chain, FieldReader& fields, DiskSpec* disk,
                   const std::string& which) {
  for (const Scalar& item : chain.items) {
    std::optional<HostPath> path = fields.Host(item, "backing");
    if (!path) continue;
    if (fields.options().probe(path->path) == HostFileKind::kMissing) {
      fields.Error(item.mark, "backing: " + path->text + " does not exist");
    }
    disk->backing.push_back(*path);
  }
  if (!disk->backing.empty() && disk->format == ImageFormat::kRaw) {
    fields.Error(chain.mark, which.empty()
                                 ? "backing: a raw image has no backing file"
                                 : "backing: " + which + " is raw, which has no backing file");
  }
}

// `backing:`: one chain for a single disk, or one entry per disk of `key` in its order.
void ValidateBacking(const JobConfig& job, std::string_view key, FieldReader& fields,
                     std::vector<DiskSpec>* disks) {
  const BackingConfig& backing = job.backing;
  if (!backing.present || disks->empty()) return;
  const std::string k(key);
  if (!backing.per_disk && disks->size() > 1 && !backing.disks[0].items.empty()) {
    fields.Error(backing.mark, "backing: " + k + " names " + Count(disks->size(), "disk") +
                                   ": give one entry per disk, in its order, each a path, a "
                                   "list of paths or [] (backing: [[base.qcow2], []])");
    return;
  }
  if (backing.per_disk && backing.disks.size() != disks->size()) {
    fields.Error(backing.mark, "backing: " + Count(backing.disks.size(), "entry") + " for " +
                                   Count(disks->size(), "disk") + ": give one entry per disk of " +
                                   k + ", in its order ([] for a disk without backing files)");
    return;
  }
  for (size_t d = 0; d < backing.disks.size(); ++d) {
    DiskSpec& disk = (*disks)[d];
    const std::string which = disks->size() == 1 ? "" : disk.image.text;
    ValidateChain(backing.disks[d], fields, &disk, which);
  }
}

// Why the key file at `path` cannot be used; "" when it can. Its content is never read.
std::string KeyFileProblem(const std::string& path, const ValidateOptions& options) {
  switch (options.probe(path)) {
    case HostFileKind::kFile:
      break;
    case HostFileKind::kMissing:
      return "does not exist";
    case HostFileKind::kUnknown:
      return "cannot be read";
    default:
      return "is not a regular file";
  }
  if (int err = options.open_check(path); err != 0) {
    return "cannot be read: " + std::generic_category().message(err);
  }
  return "";
}

// `keys:`: LUKS key files that are readable regular files, each for one device or all.
std::vector<KeySpec> ValidateKeys(const KeysConfig& config, FieldReader& fields) {
  std::vector<KeySpec> keys;
  for (const KeyConfig& entry : config.items) {
    if (entry.invalid) continue;
    KeySpec key;
    bool usable = true;
    if (entry.device.present) {
      std::optional<std::string> device = fields.NonEmpty(entry.device, "device");
      if (device && (!device->starts_with("/dev/") || device->size() == 5)) {
        fields.Error(entry.device.mark,
                     "device: expected a device such as /dev/sda2, found '" + *device + "'");
        device.reset();
      }
      usable = device.has_value();
      if (device) key.device = *device;
    }
    if (!fields.Require(entry.file, "file", "the key file", entry.mark)) continue;
    std::optional<HostPath> file = fields.Host(entry.file, "file");
    if (!file) continue;
    if (std::string problem = KeyFileProblem(file->path, fields.options()); !problem.empty()) {
      fields.Error(entry.file.mark, "keys: key file " + file->text + " " + problem);
      continue;
    }
    key.file = *file;
    if (usable) keys.push_back(std::move(key));
  }
  return keys;
}

MachineSpec ValidateMachine(const JobConfig& job, const ScalarList& images, std::string_view key,
                            FieldReader& fields) {
  MachineSpec machine;
  machine.disks = ValidateDisks(job, images, key, fields);
  if (!machine.disks.empty()) ValidateFormats(job, key, fields, &machine.disks);
  ValidateBacking(job, key, fields, &machine.disks);
  ValidateFilesystem(job.filesystem, fields, &machine.filesystem);
  machine.keys = ValidateKeys(job.keys, fields);
  fields.Bool(job.replay, "replay", &machine.replay);
  fields.Bool(job.evidence, "evidence", &machine.evidence);
  return machine;
}

std::vector<std::string> Patterns(const ScalarList& list, std::string_view key,
                                  FieldReader& fields) {
  std::vector<std::string> patterns;
  if (list.present && list.items.empty() && key == "include") {
    fields.Error(list.mark,
                 "include: an empty list selects nothing (leave include out to "
                 "select everything)");
  }
  if (list.items.size() > kMaxSelectPatterns) {
    fields.Error(list.mark, std::string(key) + ": " + std::to_string(list.items.size()) +
                                " patterns, at most " + std::to_string(kMaxSelectPatterns));
  }
  for (const Scalar& item : list.items) {
    std::optional<std::string> text = fields.Text(item);
    if (!text) continue;
    Result<Glob> glob = Glob::Compile(*text);
    if (!glob.ok()) {
      // A pattern past the length limit is shown by its start.
      const std::string shown = text->size() > 80 ? text->substr(0, 60) + "..." : *text;
      fields.Error(item.mark,
                   std::string(key) + ": bad glob '" + shown + "': " + glob.status().message());
    } else {
      patterns.push_back(*text);
    }
  }
  return patterns;
}

PathSelector ValidateSelect(const SelectConfig& select, FieldReader& fields) {
  const size_t before = fields.problems();
  std::vector<std::string> include = Patterns(select.include, "include", fields);
  std::vector<std::string> exclude = Patterns(select.exclude, "exclude", fields);
  if (fields.problems() != before) return PathSelector();
  Result<PathSelector> selector = PathSelector::Create(include, exclude);
  return selector.ok() ? std::move(selector).value() : PathSelector();
}

std::vector<HashAlgorithm> ValidateHashes(const ScalarList& list, FieldReader& fields) {
  std::vector<HashAlgorithm> hashes;
  for (const Scalar& item : list.items) {
    std::optional<size_t> i = fields.Choice(item, "hashes", "hash", keys::kHashes);
    if (!i) continue;
    const auto hash = static_cast<HashAlgorithm>(*i);
    if (std::find(hashes.begin(), hashes.end(), hash) != hashes.end()) {
      fields.Error(item.mark, "hashes: '" + item.text + "' is listed twice");
    } else {
      hashes.push_back(hash);
    }
  }
  return hashes;
}

std::optional<HostPath> OptionalHost(const Scalar& s, std::string_view key, FieldReader& fields) {
  return s.present ? fields.Host(s, key) : std::nullopt;
}

// The compression a tar path's ending asks for; nullopt for another ending (reported).
std::optional<ArchiveCompression> CompressionOfPath(const Scalar& tar, const HostPath& path,
                                                    FieldReader& fields) {
  for (size_t i = 0; i < std::size(keys::kTarSuffixes); ++i) {
    if (path.text.ends_with(keys::kTarSuffixes[i])) return static_cast<ArchiveCompression>(i);
  }
  fields.Error(tar.mark, "tar: '" + path.text + "' must end in " +
                             JoinAlternatives(keys::kTarSuffixes) + ", or be \"" +
                             std::string(keys::kStdoutPath) + "\" for standard output");
  return std::nullopt;
}

// `compress:` chooses the filter of an archive on stdout; a file's ending already says
// it, so there the key may only repeat what the ending says.
void ValidateCompress(const ExtractOutputConfig& c, FieldReader& fields, ExtractOutputSpec* out,
                      std::optional<ArchiveCompression> by_path) {
  if (!c.compress.present) return;
  if (out->kind != OutputKind::kTar) {
    fields.Error(c.compress.mark,
                 out->kind == OutputKind::kDir
                     ? "compress: only for tar output (a directory is not compressed)"
                     : "compress: only for tar output");
    return;
  }
  const std::optional<size_t> i =
      fields.Choice(c.compress, "compress", "compression", keys::kCompress);
  if (!i) return;
  const auto asked = static_cast<ArchiveCompression>(*i);
  if (out->to_stdout) {
    out->compression = asked;
  } else if (by_path && asked != *by_path) {
    fields.Error(c.compress.mark,
                 "compress: " + std::string(ArchiveCompressionName(asked)) + " disagrees with '" +
                     out->path.text + "', whose ending means " +
                     std::string(ArchiveCompressionName(*by_path)) +
                     " (a file's ending chooses its compression: drop compress or rename it)");
  }
}

void ValidateTarget(const ExtractOutputConfig& c, FieldReader& fields, ExtractOutputSpec* out) {
  if (c.dir.present) {
    if (std::optional<HostPath> path = fields.Host(c.dir, "dir")) out->path = *path;
    ValidateCompress(c, fields, out, std::nullopt);
    return;
  }
  std::optional<HostPath> path = fields.Host(c.tar, "tar");
  if (!path) return;
  out->kind = OutputKind::kTar;
  std::optional<ArchiveCompression> by_path;
  if (path->text == keys::kStdoutPath) {
    out->to_stdout = true;
    out->path = HostPath{path->text, path->text};
  } else {
    out->path = *path;
    by_path = CompressionOfPath(c.tar, *path, fields);
    if (by_path) out->compression = *by_path;
  }
  ValidateCompress(c, fields, out, by_path);
}

ForensicOutputSpec ValidateForensicOutput(const ExtractOutputConfig& c, FieldReader& fields) {
  ForensicOutputSpec out;
  out.dfxml = OptionalHost(c.dfxml, "dfxml", fields);
  out.bodyfile = OptionalHost(c.bodyfile, "bodyfile", fields);
  return out;
}

ExtractOutputSpec ValidateExtractOutput(const JobConfig& job, FieldReader& fields) {
  ExtractOutputSpec out;
  const ExtractOutputConfig& c = job.output;
  const std::string what = "dir: PATH, or tar: PATH.tar, .tar.gz, .tar.zst or \"-\" (stdout)";
  if (c.invalid) return out;
  if (!c.present) {
    fields.Error(job.mark, "missing 'output' (" + what + ")");
  } else if (c.dir.present && c.tar.present) {
    fields.Error(c.tar.mark, "tar: give either dir or tar, not both");
  } else if (!c.dir.present && !c.tar.present && (c.dfxml.present || c.bodyfile.present)) {
    out.kind = OutputKind::kNone;  // listings only
    ValidateCompress(c, fields, &out, std::nullopt);
  } else if (!c.dir.present && !c.tar.present) {
    fields.Error(c.mark, "output: missing 'dir' or 'tar' (" + what +
                             "), or dfxml: PATH or bodyfile: PATH for listings without files");
  } else {
    ValidateTarget(c, fields, &out);
  }
  if (c.preserve.present) out.preserve = PreserveSpec{false, false, false, false};
  for (const Scalar& item : c.preserve.items) {
    const std::optional<size_t> i = fields.Choice(item, "preserve", "attribute", keys::kPreserve);
    bool* flags[] = {&out.preserve.mode,      &out.preserve.owner,   &out.preserve.times,
                     &out.preserve.xattrs,    &out.preserve.devices, &out.preserve.setuid,
                     &out.preserve.all_xattrs};
    static_assert(std::size(flags) == std::size(keys::kPreserve));
    if (i) *flags[*i] = true;
  }
  if (out.preserve.all_xattrs) out.preserve.xattrs = true;
  if (auto i = fields.Choice(c.on_exists, "on_exists", "value", keys::kOnExists)) {
    out.on_exists = static_cast<OnExistsPolicy>(*i);
  }
  out.forensic = ValidateForensicOutput(c, fields);
  return out;
}

// `recover: deleted` and its `output: {deleted: PATH}`.
void ValidateRecover(const JobConfig& job, FieldReader& fields, ExtractSpec* spec) {
  const Scalar& deleted = job.output.deleted;
  if (!job.recover.present) {
    if (deleted.present) fields.Error(deleted.mark, "deleted: only with 'recover: deleted'");
    return;
  }
  if (!fields.Choice(job.recover, "recover", "value", keys::kRecover)) return;
  spec->recover_deleted = true;
  if (job.output.invalid || !job.output.dir.present) {
    fields.Error(job.recover.mark,
                 "recover: deleted needs 'output: {dir: PATH}' (recovered files are written "
                 "to a directory, not to an archive)");
    return;
  }
  if (deleted.present) {
    if (std::optional<HostPath> path = fields.Host(deleted, "deleted"))
      spec->output.deleted = *path;
  } else if (!spec->output.path.text.empty()) {
    spec->output.deleted = HostPath{spec->output.path.text + std::string(keys::kDeletedSuffix),
                                    spec->output.path.path + std::string(keys::kDeletedSuffix)};
  }
}

ExtractSpec ValidateExtract(const JobConfig& job, FieldReader& fields) {
  ExtractSpec spec;
  spec.source = ValidateMachine(job, job.source, "source", fields);
  spec.select = ValidateSelect(job.select, fields);
  spec.output = ValidateExtractOutput(job, fields);
  if (job.incremental.present &&
      fields.Require(job.incremental.since, "since",
                     "the baseline file diskferry keeps for this job", job.incremental.mark)) {
    spec.since = fields.Host(job.incremental.since, "since");
  }
  spec.hashes = ValidateHashes(job.hashes, fields);
  ValidateRecover(job, fields, &spec);
  return spec;
}

VerifySpec ValidateVerify(const JobConfig& job, FieldReader& fields) {
  VerifySpec spec;
  spec.source = ValidateMachine(job, job.source, "source", fields);
  spec.select = ValidateSelect(job.select, fields);
  if (fields.Require(job.against, "against", "the previous run's manifest to compare with",
                     job.mark)) {
    if (std::optional<HostPath> against = fields.Host(job.against, "against")) {
      spec.against = *against;
    }
  }
  spec.report = OptionalHost(job.report, "report", fields);
  return spec;
}

ListSpec ValidateList(const JobConfig& job, FieldReader& fields) {
  ListSpec spec;
  spec.source = ValidateMachine(job, job.source, "source", fields);
  spec.select = ValidateSelect(job.select, fields);
  spec.hashes = ValidateHashes(job.hashes, fields);
  spec.report = OptionalHost(job.report, "report", fields);
  if (job.output_image.present) {  // a scalar `output:`
    fields.Error(job.output_image.mark,
                 "output: a list job's output is a mapping: {dfxml: PATH, bodyfile: PATH}");
  } else if (job.output.present && !job.output.invalid) {
    spec.forensic = ValidateForensicOutput(job.output, fields);
    if (!spec.forensic.any()) {
      fields.Error(job.output.mark,
                   "output: a list job's output is dfxml: PATH, bodyfile: PATH or both");
    }
  }
  return spec;
}

void ValidateInjectOutput(const JobConfig& job, FieldReader& fields, InjectSpec* spec) {
  const std::vector<DiskSpec>& disks = spec->target.disks;
  const size_t before = fields.problems();
  fields.Bool(job.in_place, "in_place", &spec->in_place);
  if (job.output_image.present && spec->in_place) {
    fields.Error(job.output_image.mark, "output: give either output or in_place: true, not both");
  } else if (!job.output_image.present && !spec->in_place && fields.problems() == before) {
    fields.Error(job.mark,
                 "missing 'output' (inject writes a new qcow2 overlay, output: "
                 "NEW.qcow2, and writes the target itself only with in_place: true)");
  } else if (job.output_image.present) {
    spec->output = fields.Host(job.output_image, "output");
    if (!spec->output) return;
    if (!spec->output->text.ends_with(".qcow2")) {
      fields.Error(job.output_image.mark,
                   "output: the new overlay is a qcow2 image: name it "
                   "*.qcow2, found '" +
                       spec->output->text + "'");
    } else if (std::any_of(disks.begin(), disks.end(),
                           [&](const DiskSpec& d) { return d.image.path == spec->output->path; })) {
      fields.Error(job.output_image.mark,
                   "output: is the target itself (to write the target, "
                   "set in_place: true instead)");
    } else if (disks.size() > 1) {
      fields.Error(job.output_image.mark,
                   "output: an overlay covers one disk, and this job has " +
                       Count(disks.size(), "target disk") +
                       " (the others would be written directly): give one target, or set "
                       "in_place: true to write them all");
    }
  }
}

InjectSpec ValidateInject(const JobConfig& job, FieldReader& fields) {
  InjectSpec spec;
  spec.target = ValidateMachine(job, job.target, "target", fields);
  ValidateInjectOutput(job, fields, &spec);
  if (!job.steps_present) {
    fields.Error(job.mark,
                 "missing 'steps' (upload, write, mkdir, chmod, chown, symlink, "
                 "delete, move)");
  }
  ValidateSteps(job, fields, &spec.steps);
  return spec;
}

void MergeExtractOutput(const ExtractOutputConfig& d, ExtractOutputConfig* m) {
  Inherit(*m, d);
  if (!m->invalid && !m->dir.present && !m->tar.present) {  // alternatives come together
    m->dir = d.dir;
    m->tar = d.tar;
    Inherit(m->compress, d.compress);  // it belongs to the default's tar
  }
  Inherit(m->preserve, d.preserve);
  Inherit(m->on_exists, d.on_exists);
  Inherit(m->deleted, d.deleted);
  Inherit(m->dfxml, d.dfxml);
  Inherit(m->bodyfile, d.bodyfile);
}

// A list job takes only the forensic listings from `defaults: {output: ...}`.
void MergeListOutput(const ExtractOutputConfig& d, ExtractOutputConfig* m) {
  if (!d.present || d.invalid || (!d.dfxml.present && !d.bodyfile.present)) return;
  if (m->invalid) return;
  if (!m->present) {
    m->present = true;
    m->mark = d.mark;
  }
  Inherit(m->dfxml, d.dfxml);
  Inherit(m->bodyfile, d.bodyfile);
}

}  // namespace

JobConfig MergeDefaults(const JobConfig& d, const JobConfig& job, JobKind kind) {
  JobConfig m = job;
  const keys::Keys own = keys::JobKeys(JobKindName(kind));
  auto has = [&](std::string_view key) { return keys::Contains(own, key); };
  if (has("source")) Inherit(m.source, d.source);
  if (has("target")) Inherit(m.target, d.target);
  if (!m.format.present && !m.probe_format.present) {  // alternatives come together
    m.format = d.format;
    m.probe_format = d.probe_format;
  }
  Inherit(m.filesystem, d.filesystem);
  Inherit(m.backing, d.backing);
  Inherit(m.keys, d.keys);
  if (has("replay")) Inherit(m.replay, d.replay);
  if (has("evidence")) Inherit(m.evidence, d.evidence);
  if (has("select")) {
    Inherit(m.select, d.select);
    Inherit(m.select.include, d.select.include);
    Inherit(m.select.exclude, d.select.exclude);
  }
  if (kind == JobKind::kExtract) {
    MergeExtractOutput(d.output, &m.output);
    Inherit(m.incremental, d.incremental);
    Inherit(m.recover, d.recover);
  }
  if (kind == JobKind::kList) MergeListOutput(d.output, &m.output);
  if (has("hashes")) Inherit(m.hashes, d.hashes);
  if (has("against")) Inherit(m.against, d.against);
  if (has("report")) Inherit(m.report, d.report);
  if (kind == JobKind::kInject && !m.output_image.present && !m.in_place.present) {
    m.output_image = d.output_image;
    m.in_place = d.in_place;
  }
  return m;
}

std::optional<JobSpec> ValidateJob(const JobConfig& job, JobKind kind, const std::string& name,
                                   FieldReader& fields) {
  const size_t before = fields.problems();
  JobSpec spec;
  spec.name = name;
  spec.mark = job.mark;
  switch (kind) {
    case JobKind::kExtract:
      spec.task = ValidateExtract(job, fields);
      break;
    case JobKind::kInject:
      spec.task = ValidateInject(job, fields);
      break;
    case JobKind::kVerify:
      spec.task = ValidateVerify(job, fields);
      break;
    case JobKind::kList:
      spec.task = ValidateList(job, fields);
      break;
  }
  if (fields.problems() != before) return std::nullopt;
  return spec;
}

}  // namespace diskferry
