#include "jobs/job_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "jobs/did_you_mean.h"
#include "jobs/manifest_keys.h"

namespace diskferry {
namespace {

namespace keys = manifest_keys;

struct JobScalarField {
  std::string_view key;
  Scalar JobConfig::*field;
};
constexpr JobScalarField kJobScalars[] = {{"name", &JobConfig::name},
                                          {"kind", &JobConfig::kind},
                                          {"probe_format", &JobConfig::probe_format},
                                          {"filesystem", &JobConfig::filesystem},
                                          {"replay", &JobConfig::replay},
                                          {"evidence", &JobConfig::evidence},
                                          {"against", &JobConfig::against},
                                          {"report", &JobConfig::report},
                                          {"in_place", &JobConfig::in_place},
                                          {"recover", &JobConfig::recover}};

// Keys whose value is one value or a list of them (one per disk).
struct JobListField {
  std::string_view key;
  ScalarList JobConfig::*field;
};
constexpr JobListField kJobScalarOrLists[] = {
    {"source", &JobConfig::source}, {"target", &JobConfig::target}, {"format", &JobConfig::format}};

struct StepScalarField {
  std::string_view key;
  Scalar StepConfig::*field;
};
constexpr StepScalarField kStepScalars[] = {
    {"from", &StepConfig::from},          {"to", &StepConfig::to},
    {"path", &StepConfig::path},          {"content", &StepConfig::content},
    {"mode", &StepConfig::mode},          {"owner", &StepConfig::owner},
    {"parents", &StepConfig::parents},    {"target", &StepConfig::target},
    {"recursive", &StepConfig::recursive}};

// "does not apply to extract jobs (only to inject jobs)" for a key of another kind.
std::string OtherKindHint(std::string_view kind, const std::string& key) {
  if (!keys::Contains(keys::kAnyJob, key)) return "";
  if (kind == "inject" && key == "replay") {
    return "key 'replay' does not apply to inject jobs: they mount read-write, which always "
           "replays a journal that needs it (into the output overlay, or into the target "
           "with in_place)";
  }
  if (kind == "inject" && key == "evidence") {
    return "key 'evidence' does not apply to inject jobs: they write their target; hash it "
           "with a list job (evidence: true) before and after";
  }
  std::vector<std::string_view> owners;
  for (std::string_view other : keys::kKinds) {
    if (keys::Contains(keys::JobKeys(other), key)) owners.push_back(other);
  }
  return "key '" + key + "' does not apply to " + std::string(kind) + " jobs (only to " +
         JoinAlternatives(owners) + " jobs)";
}

SelectConfig ReadSelect(YamlReader& reader, const YAML::Node& key, const YAML::Node& value) {
  SelectConfig select;
  select.mark = reader.MarkOf(key);
  if (!reader.ExpectMap(value, select.mark, "select")) return select;
  select.present = true;
  reader.ForEachKey(value, keys::kSelect, "select",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      (k == "include" ? select.include : select.exclude) = reader.ReadList(kn, v);
                    });
  return select;
}

// `allowed`: kExtractOutput, or kForensicOutput for a list job.
ExtractOutputConfig ReadExtractOutput(YamlReader& reader, const YAML::Node& key,
                                      const YAML::Node& value, keys::Keys allowed) {
  ExtractOutputConfig output;
  output.mark = reader.MarkOf(key);
  output.present = true;
  output.invalid = !reader.ExpectMap(value, output.mark, "output");
  reader.ForEachKey(value, allowed, "output",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      if (k == "preserve") {
                        output.preserve = reader.ReadList(kn, v);
                      } else {
                        Scalar& field = k == "dir"        ? output.dir
                                        : k == "tar"      ? output.tar
                                        : k == "compress" ? output.compress
                                        : k == "deleted"  ? output.deleted
                                        : k == "dfxml"    ? output.dfxml
                                        : k == "bodyfile" ? output.bodyfile
                                                          : output.on_exists;
                        field = reader.ReadScalar(kn, v);
                      }
                    });
  return output;
}

// `keys: [{device: /dev/sda2, file: PATH}, {file: PATH}]`. A null value is an empty list.
KeysConfig ReadKeys(YamlReader& reader, const YAML::Node& key, const YAML::Node& value) {
  KeysConfig keys_config;
  keys_config.mark = reader.MarkOf(value.IsNull() ? key : value);
  if (!value.IsNull() && !value.IsSequence()) {
    reader.Error(keys_config.mark, "keys: expected a list such as [{file: luks.key}], found " +
                                       std::string(YamlReader::KindName(value)));
    return keys_config;
  }
  keys_config.present = true;
  for (const YAML::Node& item : value) {
    KeyConfig& entry = keys_config.items.emplace_back();
    entry.mark = reader.MarkOf(item);
    if (!item.IsMap()) {
      entry.invalid = true;
      reader.Error(entry.mark,
                   "keys: each key is a mapping such as {file: luks.key} or {device: /dev/sda2, "
                   "file: luks.key}, found " +
                       std::string(YamlReader::KindName(item)));
      continue;
    }
    reader.ForEachKey(item, keys::kKey, "keys",
                      [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                        (k == "device" ? entry.device : entry.file) = reader.ReadScalar(kn, v);
                      });
  }
  return keys_config;
}

// `backing: [a, b]` (the only disk's chain) or, when an item is itself a list,
// `backing: [[a1, a2], b1, []]` (one entry per disk: a list, a path, or [] for none).
BackingConfig ReadBacking(YamlReader& reader, const YAML::Node& key, const YAML::Node& value) {
  BackingConfig backing;
  backing.mark = reader.MarkOf(value.IsNull() ? key : value);
  const bool per_disk =
      value.IsSequence() &&
      std::any_of(value.begin(), value.end(), [](const YAML::Node& n) { return n.IsSequence(); });
  if (!per_disk) {
    backing.disks.push_back(reader.ReadList(key, value));
    backing.present = backing.disks.back().present;
    return backing;
  }
  backing.per_disk = true;
  backing.present = true;
  for (const YAML::Node& item : value) {
    if (item.IsScalar()) {
      ScalarList one;
      one.items.push_back(reader.ReadScalar(key, item));
      one.mark = one.items.back().mark;
      one.present = true;
      backing.disks.push_back(std::move(one));
    } else {
      backing.disks.push_back(reader.ReadList(key, item));
    }
  }
  return backing;
}

IncrementalConfig ReadIncremental(YamlReader& reader, const YAML::Node& key,
                                  const YAML::Node& value) {
  IncrementalConfig incremental;
  incremental.mark = reader.MarkOf(key);
  if (!reader.ExpectMap(value, incremental.mark, "incremental")) return incremental;
  incremental.present = true;
  reader.ForEachKey(value, keys::kIncremental, "incremental",
                    [&](const std::string&, const YAML::Node& kn, const YAML::Node& v) {
                      incremental.since = reader.ReadScalar(kn, v);
                    });
  return incremental;
}

// "upload, from, to": the keys of a mapping, for messages.
std::string KeyNames(const YAML::Node& map) {
  std::string out;
  for (const auto& entry : map) {
    out += (out.empty() ? "" : ", ") + (entry.first.IsScalar() ? entry.first.Scalar() : "?");
  }
  return out;
}

// Whether `item` is `OP: {...}` with a known OP; reports why not.
bool IsStepShaped(YamlReader& reader, const YAML::Node& item) {
  if (!item.IsMap() || item.size() != 1) {
    reader.Error(reader.MarkOf(item),
                 item.IsMap()
                     ? "a step has exactly one key, its operation; found " + KeyNames(item) +
                           " (indent the fields under the operation)"
                     : "each step must be a mapping such as '- mkdir: {path: /srv}', found " +
                           std::string(YamlReader::KindName(item)));
    return false;
  }
  const auto entry = *item.begin();
  const std::string op = entry.first.IsScalar() ? entry.first.Scalar() : "?";
  const YamlReader::Keys fields = keys::StepKeys(op);
  if (fields.empty()) {
    reader.Error(reader.MarkOf(entry.first),
                 "unknown step '" + op + "'" + UnknownWordHint(op, keys::kStepOps));
    return false;
  }
  if (!entry.second.IsMap()) {
    std::string names;
    for (std::string_view field : fields) names += (names.empty() ? "" : ", ") + std::string(field);
    reader.Error(reader.MarkOf(entry.first), op + ": expected a mapping of its fields (" + names +
                                                 "), found " +
                                                 std::string(YamlReader::KindName(entry.second)));
    return false;
  }
  return true;
}

// Appends the step, or a placeholder (op absent) for one that could not be read, so that
// the steps after it keep their numbers.
void ReadStep(YamlReader& reader, const YAML::Node& item, std::vector<StepConfig>* steps) {
  StepConfig& step = steps->emplace_back();
  if (!IsStepShaped(reader, item)) return;
  const auto entry = *item.begin();
  step.op = Scalar{entry.first.Scalar(), reader.MarkOf(entry.first), true};
  const YamlReader::Keys fields = keys::StepKeys(step.op.text);
  reader.ForEachKey(entry.second, fields, step.op.text + " step",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      for (const StepScalarField& f : kStepScalars) {
                        if (f.key == k) step.*f.field = reader.ReadScalar(kn, v);
                      }
                    });
}

void ReadSteps(YamlReader& reader, const YAML::Node& key, const YAML::Node& value, JobConfig* job) {
  job->steps_mark = reader.MarkOf(key);
  job->steps_present = true;
  if (!value.IsSequence()) {
    reader.Error(job->steps_mark, "steps: expected a list of steps, found " +
                                      std::string(YamlReader::KindName(value)));
    return;
  }
  if (value.size() == 0)
    reader.Error(job->steps_mark, "steps: an inject job needs at least one step");
  for (const YAML::Node& item : value) ReadStep(reader, item, &job->steps);
}

// Reads one known job key. `kind` decides how `output:` is read ("" for defaults or an
// unknown kind: by the shape of the value).
void ReadJobKey(YamlReader& reader, std::string_view kind, const std::string& key,
                const YAML::Node& key_node, const YAML::Node& value, JobConfig* job) {
  for (const JobScalarField& f : kJobScalars) {
    if (f.key == key) {
      job->*f.field = reader.ReadScalar(key_node, value);
      return;
    }
  }
  for (const JobListField& f : kJobScalarOrLists) {
    if (f.key == key) {
      job->*f.field = reader.ReadScalarOrList(key_node, value);
      return;
    }
  }
  if (key == "select") {
    job->select = ReadSelect(reader, key_node, value);
  } else if (key == "incremental") {
    job->incremental = ReadIncremental(reader, key_node, value);
  } else if (key == "hashes") {
    job->hashes = reader.ReadList(key_node, value);
  } else if (key == "backing") {
    job->backing = ReadBacking(reader, key_node, value);
  } else if (key == "keys") {
    job->keys = ReadKeys(reader, key_node, value);
  } else if (key == "steps") {
    ReadSteps(reader, key_node, value, job);
  } else if (kind == "inject" || (kind != "extract" && value.IsScalar())) {
    job->output_image = reader.ReadScalar(key_node, value);
  } else {
    job->output = ReadExtractOutput(
        reader, key_node, value,
        kind == "list" ? keys::Keys(keys::kForensicOutput) : keys::Keys(keys::kExtractOutput));
  }
}

// The first `kind:` value as written ("" if none). Looked up by iterating, since yaml-cpp's
// operator[] on a missing key yields a node that throws when inspected.
std::string KindOf(const YAML::Node& node) {
  for (const auto& entry : node) {
    if (entry.first.IsScalar() && entry.first.Scalar() == "kind") {
      return entry.second.IsScalar() ? entry.second.Scalar() : "";
    }
  }
  return "";
}

}  // namespace

JobConfig ParseJob(YamlReader& reader, const YAML::Node& node) {
  JobConfig job;
  job.mark = reader.MarkOf(node);
  const std::string kind = KindOf(node);
  const YamlReader::Keys allowed = keys::JobKeys(kind);
  const bool known_kind = allowed.data() != std::data(keys::kAnyJob);
  const std::string what = known_kind ? kind + " job" : "a job";
  reader.ForEachKey(
      node, allowed, what,
      [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
        ReadJobKey(reader, known_kind ? kind : "", k, kn, v, &job);
      },
      [&](const std::string& k) { return OtherKindHint(kind, k); });
  return job;
}

JobConfig ParseDefaults(YamlReader& reader, const YAML::Node& node) {
  JobConfig defaults;
  reader.ForEachKey(
      node, keys::kDefaults, "defaults",
      [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
        ReadJobKey(reader, "", k, kn, v, &defaults);
      },
      [](const std::string& k) -> std::string {
        if (!keys::Contains(keys::kNotInDefaults, k)) return "";
        return "'" + k + "' cannot be set in defaults (each job has its own)";
      });
  return defaults;
}

}  // namespace diskferry
