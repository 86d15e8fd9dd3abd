#include "jobs/vars.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "host/host_path.h"
#include "jobs/did_you_mean.h"

namespace diskferry {
namespace {

constexpr std::string_view kTypeNames[] = {"string", "int", "bool", "path"};
constexpr std::string_view kJob = "job";
// Expanding a value that failed: the failure was already reported where it is.
constexpr Code kReported = Code::kCancelled;
// A cycle, or nesting past kMaxVarNesting: reported where the expansion started.
constexpr Code kCycle = Code::kFailedPrecondition;
// Passing kMaxManifestExpandedBytes: reported once, where the expansion started.
constexpr Code kBudget = Code::kUnavailable;

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }

bool IsVarName(std::string_view name) {
  return !name.empty() && IsNameStart(name[0]) && std::all_of(name.begin(), name.end(), IsNameChar);
}

std::string Quoted(std::string_view value) {
  return value.empty() ? "nothing" : "'" + std::string(value) + "'";
}

std::string TwoDigits(int n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

Status TooLong() {
  return Status(Code::kInvalidArgument,
                "expands to more than " + std::to_string(kMaxExpandedBytes) +
                    " bytes (the limit of one expanded value, variables inside it included)");
}

std::string Chain(const std::vector<std::string>& stack, std::string_view last) {
  std::string chain;
  for (const std::string& n : stack) chain += n + " -> ";
  return chain + std::string(last);
}

}  // namespace

std::string_view VarTypeName(VarType type) { return kTypeNames[static_cast<int>(type)]; }

LocalTime SystemLocalTime() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  return LocalTime{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
}

Result<VarOverride> ParseVarOverride(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) {
    return Status(Code::kInvalidArgument, "--var " + std::string(arg) + ": expected NAME=VALUE");
  }
  VarOverride o{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
  if (!IsVarName(o.name)) {
    return Status(Code::kInvalidArgument,
                  "--var " + std::string(arg) + ": '" + o.name + "' is not a variable name");
  }
  return o;
}

std::string CheckVarValue(VarType type, std::string_view value) {
  switch (type) {
    case VarType::kString:
      return "";
    case VarType::kPath:
      return value.empty() ? "expected a path, found nothing" : "";
    case VarType::kBool:
      return value == "true" || value == "false" ? ""
                                                 : "expected true or false, found " + Quoted(value);
    case VarType::kInt: {
      int64_t n = 0;
      const char* end = value.data() + value.size();
      const auto [ptr, ec] = std::from_chars(value.data(), end, n);
      if (value.empty() || ec != std::errc() || ptr != end) {
        return "expected an int, found " + Quoted(value);
      }
      return "";
    }
  }
  return "";
}

Result<std::string> ExpandVars(std::string_view text, const VarLookup& lookup) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
    } else if (text.substr(i, 2) == "${") {
      const size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        return Status(Code::kInvalidArgument, "unterminated '${' (write $${ for a literal ${)");
      }
      const std::string_view name = text.substr(i + 2, close - i - 2);
      if (!IsVarName(name)) {
        return Status(Code::kInvalidArgument,
                      "bad variable name '${" + std::string(name) +
                          "}' (names are letters, "
                          "digits, '_' and '-', starting with a letter or '_')");
      }
      Result<std::string> value = lookup(name);
      if (!value.ok()) return value.status();
      if (value->size() > kMaxExpandedBytes - out.size()) return TooLong();
      out += *value;
      i = close + 1;
    } else {
      if (out.size() == kMaxExpandedBytes) return TooLong();
      out += text[i++];
    }
  }
  return out;
}

VarTable VarTable::Build(const std::vector<VarConfig>& declarations,
                         const std::vector<VarOverride>& overrides, const LocalTime& now,
                         const std::string& override_dir, const std::string& file,
                         Diagnostics* diagnostics) {
  VarTable table;
  const SourceMark builtin{file, 0, 0};
  const std::string date =
      std::to_string(now.year) + "-" + TwoDigits(now.month) + "-" + TwoDigits(now.day);
  const std::string time = TwoDigits(now.hour) + TwoDigits(now.minute) + TwoDigits(now.second);
  for (const auto& [name, value] : {std::pair{"date", date}, std::pair{"time", time}}) {
    Var& var = table.vars_[name];
    var.value = value;
    var.decl_mark = var.value_mark = builtin;
    var.has_value = true;
  }
  for (const VarConfig& config : declarations) table.Declare(config, diagnostics);
  for (const VarOverride& o : overrides) {
    table.ApplyOverride(o, override_dir, file, diagnostics);
  }
  for (auto& [name, var] : table.vars_) {
    if (!var.has_value) {
      diagnostics->Add(
          var.decl_mark,
          "variable '" + name + "' has no default; give it with --var " + name + "=VALUE");
      var.broken = true;
    }
  }
  for (auto& [name, var] : table.vars_) {
    if (!var.broken) table.CheckValue(name, &var, diagnostics);
  }
  return table;
}

void VarTable::Declare(const VarConfig& config, Diagnostics* diagnostics) {
  const std::string& name = config.name.text;
  if (name == kJob || vars_.contains(name)) {
    diagnostics->Add(config.name.mark, "'" + name +
                                           "' is a built-in variable and cannot be "
                                           "declared (--var can override date and time)");
    return;
  }
  if (!IsVarName(name)) {
    diagnostics->Add(config.name.mark, "variable name '" + name +
                                           "' must be letters, digits, "
                                           "'_' and '-', starting with a letter or '_'");
    return;
  }
  Var var;
  var.decl_mark = config.name.mark;
  var.value_mark = config.default_value.present ? config.default_value.mark : config.name.mark;
  var.value = config.default_value.text;
  var.has_value = config.default_value.present;
  if (config.type.present) {
    const auto* it = std::find(std::begin(kTypeNames), std::end(kTypeNames), config.type.text);
    if (it == std::end(kTypeNames)) {
      diagnostics->Add(config.type.mark, "type: unknown variable type " + Quoted(config.type.text) +
                                             UnknownWordHint(config.type.text, kTypeNames));
    } else {
      var.type = static_cast<VarType>(it - std::begin(kTypeNames));
    }
  }
  vars_[name] = std::move(var);
}

void VarTable::ApplyOverride(const VarOverride& o, const std::string& override_dir,
                             const std::string& file, Diagnostics* diagnostics) {
  const std::string origin = "--var " + o.name + "=" + o.value + ": ";
  auto it = vars_.find(o.name);
  if (it == vars_.end()) {
    std::vector<std::string_view> names;
    for (const auto& entry : vars_) names.push_back(entry.first);
    const std::string why = o.name == kJob ? "${job} is each job's name and cannot be set"
                                           : "no variable '" + o.name + "' is declared in vars" +
                                                 DidYouMeanSuffix(o.name, names);
    diagnostics->Add(SourceMark{file, 0, 0}, origin + why);
    return;
  }
  Var& var = it->second;
  var.value = o.value;
  if (var.type == VarType::kPath && !o.value.empty() && !o.value.starts_with("${")) {
    var.value = ResolveHostPath(override_dir, o.value);
  }
  var.value_mark = var.decl_mark;
  var.origin = origin;
  var.has_value = true;
}

void VarTable::CheckValue(const std::string& name, Var* var, Diagnostics* diagnostics) {
  // A placeholder job name: values may use ${job}, which only has a value at a use site.
  Expansion expansion{"JOB", {name}, {}};
  Result<std::string> expanded = ExpandText(var->value, &expansion);
  std::string problem;
  if (!expanded.ok()) {
    if (expanded.status().code() != kReported) problem = expanded.status().message();
  } else {
    problem = CheckVarValue(var->type, *expanded);
  }
  if (!expanded.ok() || !problem.empty()) var->broken = true;
  if (!problem.empty()) {
    diagnostics->Add(var->value_mark, var->origin + "variable '" + name + "': " + problem);
  }
}

Result<std::string> VarTable::ExpandText(std::string_view text, Expansion* expansion) const {
  Result<std::string> value =
      ExpandVars(text, [&](std::string_view name) { return Lookup(name, expansion); });
  if (!value.ok()) return value;
  if (text.find("${") != std::string_view::npos) {
    if (Status spent = Spend(value->size()); !spent.ok()) return spent;
  }
  return value;
}

Result<std::string> VarTable::Lookup(std::string_view name, Expansion* expansion) const {
  if (name == kJob) {
    if (expansion->job.empty()) {
      return Status(Code::kInvalidArgument, "${job} is only defined inside a job");
    }
    return std::string(expansion->job);
  }
  auto it = vars_.find(std::string(name));
  if (it == vars_.end()) {
    std::vector<std::string_view> names{kJob};
    for (const auto& entry : vars_) names.push_back(entry.first);
    std::string message = "unknown variable ${" + std::string(name) + "}";
    if (std::optional<std::string> best = DidYouMean(name, names)) {
      message += " (did you mean ${" + *best + "}?)";
    }
    return Status(Code::kNotFound, std::move(message));
  }
  if (it->second.broken) return Status(kReported, "reported at its declaration");
  std::vector<std::string>& stack = expansion->stack;
  if (std::find(stack.begin(), stack.end(), name) != stack.end()) {
    return Status(kCycle, "cycle: " + Chain(stack, name));
  }
  if (auto done = expansion->done.find(name); done != expansion->done.end()) return done->second;
  // A chain of kMaxVarNesting + 1 variables nests kMaxVarNesting deep.
  if (stack.size() + 1 > kMaxVarNesting + 1) {
    return Status(kCycle, "variables nest more than " + std::to_string(kMaxVarNesting) +
                              " deep: " + Chain(stack, name));
  }
  stack.push_back(std::string(name));
  Result<std::string> value = ExpandText(it->second.value, expansion);
  stack.pop_back();
  if (value.ok()) {
    expansion->done.emplace(std::string(name), *value);
    return value;
  }
  const Code code = value.status().code();
  if (code == kCycle || code == kReported || code == kBudget) return value;
  // A problem inside another variable's value is reported at that variable.
  return Status(kReported, value.status().message());
}

Status VarTable::Spend(size_t bytes) const {
  const uint64_t before = budget_->spent.fetch_add(bytes);
  if (before + bytes <= kMaxManifestExpandedBytes) return Status();
  if (budget_->reported.exchange(true)) return Status(kReported, "budget already reported");
  return Status(kBudget,
                "variables expand to more than " + std::to_string(kMaxManifestExpandedBytes) +
                    " bytes in this manifest (the limit of all expanded values together); later "
                    "values using variables are not checked");
}

std::optional<std::string> VarTable::Expand(const Scalar& scalar, std::string_view job,
                                            Diagnostics* diagnostics) const {
  Expansion expansion{job, {}, {}};
  Result<std::string> value = ExpandText(scalar.text, &expansion);
  if (value.ok()) return std::move(value).value();
  if (value.status().code() != kReported) diagnostics->Add(scalar.mark, value.status().message());
  return std::nullopt;
}

std::map<std::string, std::string> VarTable::Values() const {
  std::map<std::string, std::string> values;
  for (const auto& [name, var] : vars_) values[name] = var.value;
  return values;
}

}  // namespace diskferry
