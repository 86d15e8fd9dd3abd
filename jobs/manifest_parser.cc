#include "jobs/manifest_parser.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <vector>

#include "jobs/job_parser.h"
#include "jobs/manifest_keys.h"
#include "jobs/yaml_reader.h"

namespace diskferry {
namespace {

namespace keys = manifest_keys;

VarConfig ParseVar(YamlReader& reader, const YAML::Node& key, const YAML::Node& value) {
  VarConfig var;
  var.name = Scalar{key.Scalar(), reader.MarkOf(key), true};
  if (!value.IsMap()) {  // short form: `NAME: DEFAULT` (a string); `NAME:` has no default
    if (!value.IsNull()) var.default_value = reader.ReadScalar(key, value);
    return var;
  }
  reader.ForEachKey(value, keys::kVar, "variable '" + key.Scalar() + "'",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      Scalar& field = (k == "type") ? var.type : var.default_value;
                      field = reader.ReadScalar(kn, v);
                    });
  return var;
}

std::vector<VarConfig> ParseVars(YamlReader& reader, const YAML::Node& key,
                                 const YAML::Node& value) {
  std::vector<VarConfig> vars;
  if (!reader.ExpectMap(value, reader.MarkOf(value.IsNull() ? key : value), "vars")) return vars;
  std::set<std::string> seen;  // any name may be declared, so ForEachKey does not apply
  for (const auto& entry : value) {
    const SourceMark where = reader.MarkOf(entry.first);
    if (!entry.first.IsScalar()) {
      reader.Error(where, "vars: variable names must be plain names");
    } else if (!seen.insert(entry.first.Scalar()).second) {
      reader.Error(where, "vars: variable '" + entry.first.Scalar() + "' is declared twice");
    } else {
      vars.push_back(ParseVar(reader, entry.first, entry.second));
    }
  }
  return vars;
}

RunConfig ParseRun(YamlReader& reader, const YAML::Node& key, const YAML::Node& value) {
  RunConfig run;
  run.mark = reader.MarkOf(key);
  if (!reader.ExpectMap(value, run.mark, "run")) return run;
  run.present = true;
  reader.ForEachKey(value, keys::kRun, "run",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      Scalar& field = (k == "max_parallel") ? run.max_parallel : run.fail_fast;
                      field = reader.ReadScalar(kn, v);
                    });
  return run;
}

void ParseJobs(YamlReader& reader, const YAML::Node& key, const YAML::Node& value,
               ManifestConfig* config) {
  config->jobs_mark = reader.MarkOf(key);
  if (!value.IsSequence()) {
    reader.Error(config->jobs_mark, "jobs: expected a list of jobs, found " +
                                        std::string(YamlReader::KindName(value)));
    return;
  }
  config->jobs_present = true;
  if (value.size() == 0) {
    reader.Error(config->jobs_mark, "jobs: the list is empty (a manifest needs at least one job)");
  }
  for (const YAML::Node& item : value) {
    if (!item.IsMap()) {
      reader.Error(reader.MarkOf(item), "jobs: each job must be a mapping, found " +
                                            std::string(YamlReader::KindName(item)));
      continue;
    }
    config->jobs.push_back(ParseJob(reader, item));
  }
}

void ReadTopKey(YamlReader& reader, const std::string& key, const YAML::Node& key_node,
                const YAML::Node& value, ManifestConfig* config) {
  if (key == "version") {
    config->version = reader.ReadScalar(key_node, value);
  } else if (key == "vars") {
    config->vars = ParseVars(reader, key_node, value);
  } else if (key == "defaults") {
    config->defaults_present = reader.ExpectMap(value, reader.MarkOf(key_node), "defaults");
    if (config->defaults_present) {
      config->defaults = ParseDefaults(reader, value);
      config->defaults.mark = reader.MarkOf(key_node);
    }
  } else if (key == "run") {
    config->run = ParseRun(reader, key_node, value);
  } else {
    ParseJobs(reader, key_node, value, config);
  }
}

// yaml-cpp's message, plus a hint for the usual cause: an unquoted ${...} inside {...} or
// [...], where '{' and '}' are YAML syntax.
std::string SyntaxMessage(std::string_view text, const YAML::Exception& e) {
  std::string message = "YAML syntax error: " + e.msg;
  size_t start = 0;
  for (int line = 0; line < e.mark.line && start != std::string_view::npos; ++line) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return message;
  const std::string_view line = text.substr(start, text.find('\n', start) - start);
  if (line.find("${") != std::string_view::npos && line.find_first_of("{[") < line.find("${")) {
    message += " (inside {...} or [...], quote values that use variables: \"${name}\")";
  }
  return message;
}

// The one document of `text`, or a reported failure.
Result<YAML::Node> LoadDocument(YamlReader& reader, std::string_view text) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    reader.Error(SourceMark{reader.file(), e.mark.line + 1, e.mark.column + 1},
                 SyntaxMessage(text, e));
    return Status(Code::kInvalidArgument, reader.file() + ": not valid YAML");
  }
  std::string problem;
  if (documents.empty()) problem = "the manifest is empty (it needs at least version and jobs)";
  if (documents.size() > 1) problem = "a manifest is one YAML document, found several";
  if (problem.empty() && !documents[0].IsMap()) {
    problem = "the manifest must be a mapping (version, vars, defaults, run, jobs), found " +
              std::string(YamlReader::KindName(documents[0]));
  }
  if (!problem.empty()) {
    reader.Error(SourceMark{reader.file(), 1, 1}, problem);
    return Status(Code::kInvalidArgument, reader.file() + ": " + problem);
  }
  return documents[0];
}

}  // namespace

Result<ManifestConfig> ParseManifest(const std::string& path, std::string_view text,
                                     Diagnostics* diagnostics) {
  YamlReader reader(path, diagnostics);
  Result<YAML::Node> root = LoadDocument(reader, text);
  if (!root.ok()) return root.status();
  ManifestConfig config;
  config.file = path;
  reader.ForEachKey(*root, keys::kTop, "the manifest",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      ReadTopKey(reader, k, kn, v, &config);
                    });
  return config;
}

}  // namespace diskferry
