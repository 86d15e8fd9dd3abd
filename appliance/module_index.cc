#include "appliance/module_index.h"

#include <fnmatch.h>

#include <algorithm>

namespace diskferry {
namespace {

constexpr std::string_view kCompressionSuffixes[] = {".xz", ".zst", ".gz"};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Calls fn(line, line_number) for each line that is neither blank nor a comment.
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  size_t line_number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    fn(line.substr(first), line_number);
  }
}

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (true) {
    pos = line.find_first_not_of(" \t\r", pos);
    if (pos == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t\r", pos);
    words.push_back(line.substr(pos, end - pos));
    if (end == std::string_view::npos) break;
    pos = end;
  }
  return words;
}

// kmod's alias_normalize: '-' is '_' except inside a [...] character class, which a
// pattern such as "pci:v00001AF4d*sv*sd*bc*sc*i*" never has but usb aliases do.
std::string NormalizeAlias(std::string_view alias) {
  std::string out(alias);
  bool in_class = false;
  for (char& c : out) {
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    if (c == '-' && !in_class) c = '_';
  }
  return out;
}

bool HasWildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

Status LineError(std::string_view file, size_t line, std::string_view what) {
  return Status(Code::kInvalidArgument,
                std::string(file) + ":" + std::to_string(line) + ": " + std::string(what));
}

}  // namespace

std::string NormalizeModuleName(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string ModuleNameFromPath(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') + 1);  // npos + 1 == 0
  if (EndsWith(base, ".ko")) {
    base.remove_suffix(3);
  } else if (size_t ko = base.rfind(".ko."); ko != std::string_view::npos) {
    base = base.substr(0, ko);
  }
  return NormalizeModuleName(base);
}

bool IsCompressedModulePath(std::string_view path) {
  for (std::string_view suffix : kCompressionSuffixes) {
    if (EndsWith(path, std::string(".ko") + std::string(suffix))) return true;
  }
  return false;
}

std::string DecompressedModulePath(std::string_view path) {
  if (!IsCompressedModulePath(path)) return std::string(path);
  return std::string(path.substr(0, path.rfind(".ko.") + 3));
}

Result<ModuleIndex> ModuleIndex::Parse(const ModuleIndexFiles& files) {
  ModuleIndex index;
  if (Status s = index.ParseDep(files.dep); !s.ok()) return s;
  index.ParseBuiltin(files.builtin);
  index.ParseSoftdep(files.softdep);
  if (Status s = index.ParseAlias(files.alias); !s.ok()) return s;
  return index;
}

size_t ModuleIndex::AddModule(std::string_view path_view) {
  std::string path(path_view);  // path_view may point into modules_, which may grow
  auto [it, inserted] = by_path_.emplace(path, modules_.size());
  if (inserted) {
    by_name_.emplace(ModuleNameFromPath(path), it->second);
    modules_.push_back(Module{std::move(path), {}});
  }
  return it->second;
}

Status ModuleIndex::ParseDep(std::string_view text) {
  Status status;
  ForEachLine(text, [&](std::string_view line, size_t number) {
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      if (status.ok()) status = LineError("modules.dep", number, "expected \"MODULE: DEPS\"");
      return;
    }
    std::vector<std::string> deps;
    for (std::string_view dep : Split(line.substr(colon + 1))) deps.emplace_back(dep);
    size_t index = AddModule(line.substr(0, colon));
    modules_[index].deps = std::move(deps);
  });
  if (!status.ok()) return status;
  // A dependency without a line of its own still has to be loaded; give it one.
  for (size_t i = 0; i < modules_.size(); ++i) {
    for (size_t d = 0; d < modules_[i].deps.size(); ++d) AddModule(modules_[i].deps[d]);
  }
  return Status::Ok();
}

void ModuleIndex::ParseBuiltin(std::string_view text) {
  ForEachLine(text, [&](std::string_view line, size_t) {
    std::vector<std::string_view> words = Split(line);
    builtin_paths_.emplace_back(words[0]);
    builtin_names_.insert(ModuleNameFromPath(words[0]));
  });
}

void ModuleIndex::ParseSoftdep(std::string_view text) {
  ForEachLine(text, [&](std::string_view line, size_t) {
    std::vector<std::string_view> words = Split(line);
    if (words.size() < 3 || words[0] != "softdep") return;
    std::string name = NormalizeModuleName(words[1]);
    auto [it, inserted] = softdep_by_name_.emplace(name, softdeps_.size());
    if (inserted) softdeps_.emplace_back(name, Softdeps{});
    Softdeps& deps = softdeps_[it->second].second;
    // Words before the first "pre:" or "post:" belong to neither list; kmod ignores
    // them too (Linux 6.1's cifs writes such lines).
    std::vector<std::string>* list = nullptr;
    for (size_t i = 2; i < words.size(); ++i) {
      if (words[i] == "pre:") {
        list = &deps.pre;
      } else if (words[i] == "post:") {
        list = &deps.post;
      } else if (list != nullptr) {
        list->emplace_back(words[i]);
      }
    }
  });
}

Status ModuleIndex::ParseAlias(std::string_view text) {
  Status status;
  ForEachLine(text, [&](std::string_view line, size_t number) {
    std::vector<std::string_view> words = Split(line);
    if (words.size() != 3 || words[0] != "alias") {
      if (status.ok())
        status = LineError("modules.alias", number, "expected \"alias PATTERN MODULE\"");
      return;
    }
    size_t index = aliases_.size();
    aliases_.push_back(
        Alias{std::string(words[1]), NormalizeAlias(words[1]), NormalizeModuleName(words[2])});
    if (HasWildcard(aliases_.back().normalized)) {
      pattern_aliases_.push_back(index);
    } else {
      exact_aliases_[aliases_.back().normalized].push_back(index);
    }
  });
  return status;
}

bool ModuleIndex::IsBuiltin(std::string_view name) const {
  return builtin_names_.contains(NormalizeModuleName(name));
}

bool ModuleIndex::HasModule(std::string_view name) const {
  return by_name_.contains(NormalizeModuleName(name));
}

std::vector<std::string> ModuleIndex::Resolve(std::string_view name_or_alias) const {
  std::string name = NormalizeModuleName(name_or_alias);
  if (by_name_.contains(name)) return {name};
  if (builtin_names_.contains(name)) return {};
  std::string alias = NormalizeAlias(name_or_alias);
  std::vector<size_t> hits;
  if (auto it = exact_aliases_.find(alias); it != exact_aliases_.end()) hits = it->second;
  for (size_t i : pattern_aliases_) {
    if (fnmatch(aliases_[i].normalized.c_str(), alias.c_str(), 0) == 0) hits.push_back(i);
  }
  std::sort(hits.begin(), hits.end());  // modules.alias order, whichever map found them
  std::vector<std::string> modules;
  for (size_t i : hits) {
    const std::string& module = aliases_[i].module;
    bool seen = std::find(modules.begin(), modules.end(), module) != modules.end();
    if (!seen && by_name_.contains(module)) modules.push_back(module);
  }
  return modules;
}

// Depth-first, emitting a module after its softdeps and dependencies. state: 0 = not
// seen, 1 = in progress, 2 = emitted. Meeting a module in progress means a cycle, which
// depmod refuses to write; stopping there keeps a corrupt index from looping us.
void ModuleIndex::Visit(size_t index, std::vector<char>* state,
                        std::vector<std::string>* out) const {
  if ((*state)[index] != 0) return;
  (*state)[index] = 1;
  const Module& module = modules_[index];
  auto softdeps = softdep_by_name_.find(ModuleNameFromPath(module.path));
  if (softdeps != softdep_by_name_.end()) {
    for (const std::string& pre : softdeps_[softdeps->second].second.pre) {
      for (const std::string& name : Resolve(pre)) Visit(by_name_.at(name), state, out);
    }
  }
  // depmod lists the deepest dependency last, so walking backwards loads in its order.
  for (auto dep = module.deps.rbegin(); dep != module.deps.rend(); ++dep) {
    Visit(by_path_.at(*dep), state, out);
  }
  (*state)[index] = 2;
  out->push_back(module.path);
}

ModuleClosure ModuleIndex::Closure(std::span<const std::string> names) const {
  ModuleClosure closure;
  std::vector<char> state(modules_.size(), 0);
  for (const std::string& name : names) {
    std::vector<std::string> modules = Resolve(name);
    if (modules.empty()) {
      (IsBuiltin(name) ? closure.builtin : closure.missing).push_back(name);
      continue;
    }
    for (const std::string& module : modules) {
      Visit(by_name_.at(module), &state, &closure.paths);
    }
  }
  return closure;
}

bool ModuleIndex::IsShippedName(std::string_view name, const std::set<std::string>& shipped) const {
  auto it = by_name_.find(NormalizeModuleName(name));
  return it != by_name_.end() && shipped.contains(modules_[it->second].path);
}

bool ModuleIndex::SoftdepTargetShipped(std::string_view target,
                                       const std::set<std::string>& shipped) const {
  if (IsBuiltin(target)) return true;
  for (const std::string& name : Resolve(target)) {
    if (IsShippedName(name, shipped)) return true;
  }
  return false;
}

std::string ModuleIndex::RenderDep(const std::set<std::string>& shipped) const {
  std::string out;
  for (const Module& module : modules_) {
    if (!shipped.contains(module.path)) continue;
    out += DecompressedModulePath(module.path) + ":";
    for (const std::string& dep : module.deps) out += " " + DecompressedModulePath(dep);
    out += "\n";
  }
  return out;
}

std::string ModuleIndex::RenderAlias(const std::set<std::string>& shipped) const {
  std::string out;
  for (const Alias& alias : aliases_) {
    if (IsShippedName(alias.module, shipped)) {
      out += "alias " + alias.pattern + " " + alias.module + "\n";
    }
  }
  return out;
}

std::string ModuleIndex::RenderSoftdep(const std::set<std::string>& shipped) const {
  std::string out;
  for (const auto& [name, deps] : softdeps_) {
    if (!IsShippedName(name, shipped)) continue;
    std::string pre, post;
    for (const std::string& t : deps.pre) {
      if (SoftdepTargetShipped(t, shipped)) pre += " " + t;
    }
    for (const std::string& t : deps.post) {
      if (SoftdepTargetShipped(t, shipped)) post += " " + t;
    }
    if (pre.empty() && post.empty()) continue;
    out += "softdep " + name;
    if (!pre.empty()) out += " pre:" + pre;
    if (!post.empty()) out += " post:" + post;
    out += "\n";
  }
  return out;
}

std::string ModuleIndex::RenderBuiltin() const {
  std::string out;
  for (const std::string& path : builtin_paths_) out += path + "\n";
  return out;
}

}  // namespace diskferry
