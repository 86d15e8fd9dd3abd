// ManifestConfig: a job manifest exactly as the user wrote it, before validation.
//
// Every leaf is a Scalar: the text as written (variables not yet expanded, so `${n}` may
// stand where a number belongs) plus the mark where it was written. Types, defaults and
// variables are resolved by the validator (validator.h), which turns a ManifestConfig into
// a ManifestSpec. `present` tells an absent key from an empty value.
//
// Plain values; thread-compatible.
#ifndef DISKFERRY_JOBS_MANIFEST_CONFIG_H_
#define DISKFERRY_JOBS_MANIFEST_CONFIG_H_

#include <string>
#include <vector>

#include "jobs/diagnostics.h"

namespace diskferry {

// One scalar value. `mark` is the value's position; for a key written without a value the
// key's position (the value is then reported as missing by the parser).
struct Scalar {
  std::string text;
  SourceMark mark;
  bool present = false;
  bool invalid = false;  // written with the wrong shape (a list, a mapping): already reported
};

struct ScalarList {
  std::vector<Scalar> items;
  SourceMark mark;  // the list itself
  bool present = false;
  // Where one value may stand for a list (`source: a.img` or `source: [a.img, b.img]`):
  // written as one value, which is then the only item.
  bool scalar = false;
  bool invalid = false;  // written with the wrong shape (a mapping): already reported
};

// `vars: {NAME: {type: T, default: V}}` or the short form `NAME: V` (a string with a
// default). A variable with neither default nor override must be given with --var.
struct VarConfig {
  Scalar name;           // the key; its mark is the declaration
  Scalar type;           // string | int | bool | path; absent means string
  Scalar default_value;  // absent: required on the command line
};

struct RunConfig {
  Scalar max_parallel;
  Scalar fail_fast;
  Scalar retries;
  Scalar split;
  SourceMark mark;
  bool present = false;
};

// `select: {include: [GLOB...], exclude: [GLOB...]}` (extract, verify, list).
struct SelectConfig {
  ScalarList include;
  ScalarList exclude;
  SourceMark mark;
  bool present = false;
};

// Extract `output: {dir: PATH | tar: PATH.tar[.gz|.zst] | tar: "-", compress: ...,
// preserve: [...], on_exists: ..., dfxml: PATH, bodyfile: PATH}`; a list job's
// `output: {dfxml: PATH, bodyfile: PATH}` is read into the same struct.
struct ExtractOutputConfig {
  Scalar dir;
  Scalar tar;
  Scalar compress;  // none | gzip | zstd: for tar "-"; a file's must agree with its ending
  ScalarList preserve;
  Scalar on_exists;
  Scalar deleted;  // with `recover: deleted`: where the recovered files go
  Scalar dfxml;    // extract and list: DFXML listing of the entries
  Scalar bodyfile;  // extract and list: TSK body file of the entries
  SourceMark mark;
  bool present = false;
  bool invalid = false;  // not a mapping: already reported
};

// One entry of `keys:`, `{device: /dev/sda2, file: PATH}` or `{file: PATH}`.
struct KeyConfig {
  Scalar device;  // absent: the key is tried on every LUKS device
  Scalar file;
  SourceMark mark;       // the entry
  bool invalid = false;  // not a mapping: already reported
};

struct KeysConfig {
  std::vector<KeyConfig> items;
  SourceMark mark;
  bool present = false;
};

// `backing:`: the backing files the user vouches for, nearest first. One list (`[base.qcow2]`:
// the only disk's), or one entry per disk (`[[base-a.qcow2], []]`, `[base-a.qcow2, []]`): a
// path, a list of paths or [] each.
struct BackingConfig {
  std::vector<ScalarList> disks;  // one list when !per_disk
  bool per_disk = false;
  SourceMark mark;
  bool present = false;
};

struct IncrementalConfig {
  Scalar since;  // a previous run's manifest
  SourceMark mark;
  bool present = false;
};

// One inject step, `- OP: {FIELD: VALUE, ...}`. Which fields apply depends on `op`
// (upload, write, mkdir, chmod, chown, symlink, delete, move); the parser has already
// rejected fields that do not belong to `op`. A step the parser could not read (reported)
// is kept with `op` absent, so that the steps after it keep their numbers.
struct StepConfig {
  Scalar op;  // the step's key; its mark is the step's mark
  Scalar from;
  Scalar to;
  Scalar path;
  Scalar content;
  Scalar mode;
  Scalar owner;
  Scalar parents;
  Scalar target;
  Scalar recursive;
};

// One entry of `jobs:`, or the `defaults:` mapping (which has no name, kind or steps).
// Holds the fields of every kind; the parser accepts only those of the job's `kind`.
struct JobConfig {
  SourceMark mark;  // the job's mapping
  Scalar name;
  Scalar kind;  // extract | inject | verify | list

  // The disks a job reads (extract, verify, list: `source`) or writes (inject: `target`):
  // one path or a list. `format` is one format for every disk or one per disk.
  ScalarList source;
  ScalarList target;
  ScalarList format;
  Scalar probe_format;
  BackingConfig backing;
  Scalar filesystem;
  KeysConfig keys;  // LUKS key files
  Scalar replay;    // extract, verify, list
  Scalar evidence;  // extract, verify, list: hash the source before and after

  SelectConfig select;            // extract, verify, list
  ExtractOutputConfig output;     // extract: `output:` is a mapping
  IncrementalConfig incremental;  // extract
  ScalarList hashes;              // extract, list
  Scalar recover;                 // extract: "deleted"
  Scalar against;                 // verify: the previous run's manifest
  Scalar report;                  // verify, list: where the result is written

  Scalar output_image;            // inject: `output:` is the new image or overlay
  Scalar in_place;                // inject
  std::vector<StepConfig> steps;  // inject
  SourceMark steps_mark;
  bool steps_present = false;  // also when written but not as a list (already reported)
};

// `case: {id, examiner, evidence_id, notes}`: free text, every field optional.
struct CaseConfig {
  Scalar id;
  Scalar examiner;
  Scalar evidence_id;
  Scalar notes;
  SourceMark mark;
  bool present = false;
};

struct ManifestConfig {
  std::string file;  // as given to ParseManifest; every mark names it
  Scalar version;
  std::vector<VarConfig> vars;
  JobConfig defaults;
  bool defaults_present = false;
  RunConfig run;
  CaseConfig case_config;
  std::vector<JobConfig> jobs;
  SourceMark jobs_mark;
  bool jobs_present = false;
};

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_MANIFEST_CONFIG_H_
