#include "jobs/manifest_parser.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <set>
#include <sstream>
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

// The field of `run` that holds key `k`, one of keys::kRun.
Scalar& RunField(RunConfig& run, std::string_view k) {
  if (k == "max_parallel") return run.max_parallel;
  if (k == "fail_fast") return run.fail_fast;
  if (k == "retries") return run.retries;
  return run.split;
}

RunConfig ParseRun(YamlReader& reader, const YAML::Node& key, const YAML::Node& value) {
  RunConfig run;
  run.mark = reader.MarkOf(key);
  if (!reader.ExpectMap(value, run.mark, "run")) return run;
  run.present = true;
  reader.ForEachKey(value, keys::kRun, "run",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      RunField(run, k) = reader.ReadScalar(kn, v);
                    });
  return run;
}

// The field of `case` that holds key `k`, one of keys::kCase.
Scalar& CaseField(CaseConfig& c, std::string_view k) {
  if (k == "id") return c.id;
  if (k == "examiner") return c.examiner;
  if (k == "evidence_id") return c.evidence_id;
  return c.notes;
}

CaseConfig ParseCase(YamlReader& reader, const YAML::Node& key, const YAML::Node& value) {
  CaseConfig c;
  c.mark = reader.MarkOf(key);
  if (!reader.ExpectMap(value, c.mark, "case")) return c;
  c.present = true;
  reader.ForEachKey(value, keys::kCase, "case",
                    [&](const std::string& k, const YAML::Node& kn, const YAML::Node& v) {
                      CaseField(c, k) = reader.ReadScalar(kn, v);
                    });
  return c;
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
  } else if (key == "case") {
    config->case_config = ParseCase(reader, key_node, value);
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

// Counts the documents of a stream, and notes whether the parser got stuck: yaml-cpp
// 0.7 (Debian 12) can return "another document" forever without consuming input when a
// document starts with a token it cannot place (a stray ','), and its LoadAll then
// allocates until the process dies (jbeder/yaml-cpp#1040; fixed upstream after 0.7 by
// PR #1319). So LoadAll is never used: documents are counted with a bounded loop, and a
// document starting where the previous one did is a syntax error.
//
// It also measures the first document as the parser's walk will see it: yaml-cpp shares
// an aliased node, but the walk copies it at every use, so ten aliases of ten aliases of
// ... stand for exponentially many values (a "billion laughs"). Each alias counts as a
// copy of what it names, and the first event past kMaxYamlAliases, kMaxYamlNodes or
// kMaxYamlBytes is noted with its mark.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    stuck_ = stuck_ || (documents_ > 0 && mark.pos == last_start_.pos);
    last_start_ = mark;
    ++documents_;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Add(mark, Size{1, 0}, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (++aliases_ > kMaxYamlAliases) {
      Exceed(mark, "more than " + std::to_string(kMaxYamlAliases) +
                       " uses of aliases (*name); a manifest may hold at most " +
                       std::to_string(kMaxYamlAliases));
    }
    auto it = anchors_.find(anchor);
    Add(mark, it == anchors_.end() ? Size{1, 0} : it->second, 0);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    Add(mark, Size{1, value.size()}, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

  int documents() const { return documents_; }
  bool stuck() const { return stuck_; }
  const YAML::Mark& last_start() const { return last_start_; }
  // The first limit passed, with the mark of the event that passed it; empty if none.
  const std::string& over_limit() const { return over_limit_; }
  const YAML::Mark& over_limit_mark() const { return over_limit_mark_; }

 private:
  // What a node stands for once aliases are copied; saturates past the limits.
  struct Size {
    uint64_t nodes = 0;
    uint64_t bytes = 0;
  };
  struct OpenNode {
    YAML::anchor_t anchor;
    Size at_start;
  };

  void Add(const YAML::Mark& mark, Size size, YAML::anchor_t anchor) {
    if (documents_ > 1 || !over_limit_.empty()) return;
    total_.nodes += size.nodes;
    total_.bytes += size.bytes;
    if (anchor != 0) anchors_[anchor] = size;
    if (total_.nodes > kMaxYamlNodes) {
      Exceed(mark, "the manifest holds more than " + std::to_string(kMaxYamlNodes) +
                       " values, lists and mappings, each use of an alias (*name) counting "
                       "as a copy of what it names");
    } else if (total_.bytes > kMaxYamlBytes) {
      Exceed(mark, "the manifest's values hold more than " + std::to_string(kMaxYamlBytes) +
                       " bytes, each use of an alias (*name) counting as a copy of what it "
                       "names");
    }
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    open_.push_back(OpenNode{anchor, total_});
    Add(mark, Size{1, 0}, 0);
  }
  void Close() {
    if (open_.empty()) return;
    const OpenNode node = open_.back();
    open_.pop_back();
    if (node.anchor != 0) {
      anchors_[node.anchor] =
          Size{total_.nodes - node.at_start.nodes, total_.bytes - node.at_start.bytes};
    }
  }
  void Exceed(const YAML::Mark& mark, std::string problem) {
    if (documents_ > 1 || !over_limit_.empty()) return;
    over_limit_ = std::move(problem);
    over_limit_mark_ = mark;
  }

  int documents_ = 0;
  bool stuck_ = false;
  YAML::Mark last_start_;
  size_t aliases_ = 0;
  Size total_;
  std::vector<OpenNode> open_;
  std::map<YAML::anchor_t, Size> anchors_;
  std::string over_limit_;
  YAML::Mark over_limit_mark_;
};

// Reads at most two documents (enough to refuse several); throws YAML::Exception on a
// syntax error.
DocumentCounter CountDocuments(std::string_view text) {
  std::istringstream stream{std::string(text)};
  YAML::Parser parser(stream);
  DocumentCounter counter;
  while (counter.documents() < 2 && !counter.stuck() && parser.HandleNextDocument(counter)) {
  }
  return counter;
}

// The one document of `text`, or a reported failure.
Result<YAML::Node> LoadDocument(YamlReader& reader, std::string_view text) {
  auto fail = [&](const YAML::Mark& mark, const std::string& problem) {
    reader.Error(SourceMark{reader.file(), mark.line + 1, mark.column + 1}, problem);
    return Status(Code::kInvalidArgument, reader.file() + ": " + problem);
  };
  YAML::Node root;
  try {
    const DocumentCounter counter = CountDocuments(text);
    if (counter.stuck()) {
      const size_t pos = static_cast<size_t>(counter.last_start().pos);
      const std::string token = pos < text.size() ? std::string(1, text[pos]) : "end";
      return fail(counter.last_start(), "YAML syntax error: unexpected '" + token + "'");
    }
    if (counter.documents() == 0) {
      return fail(YAML::Mark(), "the manifest is empty (it needs at least version and jobs)");
    }
    if (counter.documents() > 1) {
      return fail(YAML::Mark(), "a manifest is one YAML document, found several");
    }
    if (!counter.over_limit().empty()) {
      return fail(counter.over_limit_mark(), counter.over_limit());
    }
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(e.mark, SyntaxMessage(text, e));
  }
  if (!root.IsMap()) {
    return fail(YAML::Mark(),
                "the manifest must be a mapping (version, vars, defaults, run, "
                "case, jobs), found " +
                    std::string(YamlReader::KindName(root)));
  }
  return root;
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
