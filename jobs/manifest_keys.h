// The keys a manifest may use, per mapping and per job kind: the one list that the parser
// (unknown keys, did-you-mean), the validator (which defaults apply to a job) and the docs
// (jobs/README.md) agree on. Constants only.
#ifndef DISKFERRY_JOBS_MANIFEST_KEYS_H_
#define DISKFERRY_JOBS_MANIFEST_KEYS_H_

#include <algorithm>
#include <span>
#include <string_view>

namespace diskferry::manifest_keys {

using Keys = std::span<const std::string_view>;

inline constexpr std::string_view kTop[] = {"version", "vars", "defaults", "run", "jobs", "case"};
// `case:`: the case metadata every report carries.
inline constexpr std::string_view kCase[] = {"id", "examiner", "evidence_id", "notes"};
inline constexpr std::string_view kVar[] = {"type", "default"};
inline constexpr std::string_view kRun[] = {"max_parallel", "fail_fast", "retries", "split"};
inline constexpr std::string_view kSelect[] = {"include", "exclude"};
inline constexpr std::string_view kExtractOutput[] = {
    "dir", "tar", "compress", "preserve", "on_exists", "deleted", "dfxml", "bodyfile"};
// The forensic listings (sinks/forensic_outputs.h): beside a dir or tar in extract
// jobs, and the only keys of a list job's `output:`.
inline constexpr std::string_view kForensicOutput[] = {"dfxml", "bodyfile"};
inline constexpr std::string_view kIncremental[] = {"since"};

inline constexpr std::string_view kKinds[] = {"extract", "inject", "verify", "list"};
// `replay` is for the kinds that read: an inject job mounts read-write, and a read-write
// mount always replays a journal that needs it.
inline constexpr std::string_view kExtract[] = {
    "name", "kind",   "source", "format", "probe_format", "backing", "filesystem",
    "keys", "replay", "select", "output", "incremental",  "hashes",  "evidence", "recover"};
inline constexpr std::string_view kInject[] = {"name",         "kind",     "target",     "format",
                                               "probe_format", "backing",  "filesystem", "keys",
                                               "output",       "in_place", "steps"};
inline constexpr std::string_view kVerify[] = {
    "name", "kind",   "source", "format",  "probe_format", "backing", "filesystem",
    "keys", "replay", "select", "against", "report",       "evidence"};
inline constexpr std::string_view kList[] = {
    "name", "kind",   "source", "format", "probe_format", "backing", "filesystem",
    "keys", "replay", "select", "hashes", "report",       "evidence", "output"};
// A job whose kind is missing or unknown is read with every key any kind has.
inline constexpr std::string_view kAnyJob[] = {
    "name",       "kind",   "source",   "target", "format",  "probe_format", "backing",
    "filesystem", "keys",   "replay",   "select", "output",  "incremental",  "hashes",
    "against",    "report", "in_place", "steps",  "evidence", "recover"};
// `defaults:` takes every job key except these, each applied to the jobs whose kind has it.
inline constexpr std::string_view kNotInDefaults[] = {"name", "kind", "steps"};
inline constexpr std::string_view kDefaults[] = {
    "source",  "target", "format",   "probe_format", "backing",     "filesystem",
    "keys",    "replay", "select",   "output",       "incremental", "hashes",
    "against", "report", "in_place", "evidence", "recover"};
// One entry of `keys:`.
inline constexpr std::string_view kKey[] = {"device", "file"};

inline constexpr std::string_view kStepOps[] = {"upload", "write",   "mkdir",  "chmod",
                                                "chown",  "symlink", "delete", "move"};
inline constexpr std::string_view kUpload[] = {"from", "to", "mode", "owner"};
inline constexpr std::string_view kWrite[] = {"path", "content", "mode"};
inline constexpr std::string_view kMkdir[] = {"path", "mode", "parents"};
inline constexpr std::string_view kChmod[] = {"path", "mode"};
inline constexpr std::string_view kChown[] = {"path", "owner"};
inline constexpr std::string_view kSymlink[] = {"target", "path"};
inline constexpr std::string_view kDelete[] = {"path", "recursive"};
inline constexpr std::string_view kMove[] = {"from", "to"};

// Values, in the order of the enums of manifest_spec.h.
// "ewf": E01/Ex01 evidence images, read-only (appliance/ewf.h).
inline constexpr std::string_view kFormats[] = {"raw", "qcow2", "vmdk", "vdi", "vhdx", "ewf"};
inline constexpr std::string_view kOnExists[] = {"overwrite", "skip", "fail"};
// "none": an extract output with neither (only dfxml and/or bodyfile); not a key.
inline constexpr std::string_view kOutputKinds[] = {"dir", "tar", "none"};
inline constexpr std::string_view kTarSuffixes[] = {".tar", ".tar.gz", ".tar.zst"};
// `compress:`, in the order of ArchiveCompression; each kTarSuffixes entry asks for the same.
inline constexpr std::string_view kCompress[] = {"none", "gzip", "zstd"};
// `tar:` with this value writes the archive to standard output.
inline constexpr std::string_view kStdoutPath = "-";
// `recover:` of an extract job: what else to recover than the files of the tree.
inline constexpr std::string_view kRecover[] = {"deleted"};
// `output: {deleted: PATH}` defaults to the `dir:` path with this appended.
inline constexpr std::string_view kDeletedSuffix = ".deleted";
inline constexpr std::string_view kHashes[] = {"sha256", "sha1", "md5"};
// `devices`, `setuid` and `all_xattrs` opt out of the safe defaults (sinks/host_safety.h):
// device nodes, setuid/setgid bits, and xattrs beyond user.* (which `xattrs` copies).
inline constexpr std::string_view kPreserve[] = {"mode",    "owner",  "times",     "xattrs",
                                                 "devices", "setuid", "all_xattrs"};

// The keys of a job of `kind`; kAnyJob for a missing or unknown kind.
inline Keys JobKeys(std::string_view kind) {
  if (kind == "extract") return kExtract;
  if (kind == "inject") return kInject;
  if (kind == "verify") return kVerify;
  if (kind == "list") return kList;
  return kAnyJob;
}

// The fields of a step `op`; empty for an unknown op.
inline Keys StepKeys(std::string_view op) {
  if (op == "upload") return kUpload;
  if (op == "write") return kWrite;
  if (op == "mkdir") return kMkdir;
  if (op == "chmod") return kChmod;
  if (op == "chown") return kChown;
  if (op == "symlink") return kSymlink;
  if (op == "delete") return kDelete;
  if (op == "move") return kMove;
  return {};
}

inline bool Contains(Keys keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace diskferry::manifest_keys

#endif  // DISKFERRY_JOBS_MANIFEST_KEYS_H_
