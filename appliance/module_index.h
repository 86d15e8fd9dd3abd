// ModuleIndex: the kernel's module metadata (modules.dep, modules.builtin, modules.softdep,
// modules.alias) parsed from text, answering "which .ko files, in which order, make module X
// loadable". Pure: no file system access, so it is tested on small fixture strings.
//
// Names follow kmod: '-' and '_' are the same character in module names and aliases
// ("nls_iso8859-1.ko" is module nls_iso8859_1). Paths are relative to the modules
// directory, exactly as modules.dep spells them, including a compression suffix
// (".ko.xz", ".ko.zst", ".ko.gz").
//
// Immutable after Parse; safe to share between threads.
#ifndef DISKFERRY_APPLIANCE_MODULE_INDEX_H_
#define DISKFERRY_APPLIANCE_MODULE_INDEX_H_

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

// "nls_iso8859-1" -> "nls_iso8859_1".
std::string NormalizeModuleName(std::string_view name);

// "kernel/fs/nls/nls_iso8859-1.ko.xz" -> "nls_iso8859_1".
std::string ModuleNameFromPath(std::string_view path);

// True for ".ko.xz", ".ko.zst" and ".ko.gz": files that must be decompressed before
// the kernel (or busybox insmod) can load them.
bool IsCompressedModulePath(std::string_view path);

// The path a module has once decompressed: "a/b.ko.zst" -> "a/b.ko"; "a/b.ko" unchanged.
std::string DecompressedModulePath(std::string_view path);

// The text of the index files; any but `dep` may be empty (an absent file).
struct ModuleIndexFiles {
  std::string dep;
  std::string builtin;
  std::string softdep;
  std::string alias;
};

// What Closure() found for a list of requested modules.
struct ModuleClosure {
  // Relative module paths, dependencies and "pre:" softdeps before their dependents,
  // each path once.
  std::vector<std::string> paths;
  std::vector<std::string> builtin;  // requested names built into the kernel
  std::vector<std::string> missing;  // requested names neither built in nor available
};

class ModuleIndex {
 public:
  // Errors: kInvalidArgument naming the file and line of a malformed modules.dep or
  // modules.alias line. Unknown lines in modules.softdep are ignored, as kmod does.
  static Result<ModuleIndex> Parse(const ModuleIndexFiles& files);

  bool IsBuiltin(std::string_view name) const;
  bool HasModule(std::string_view name) const;  // loadable from a .ko file
  size_t module_count() const { return modules_.size(); }

  // Module names `name_or_alias` stands for: itself when it is a module, every module an
  // alias in modules.alias matches (kmod's fnmatch rules) otherwise. Empty when it is
  // built in or unknown.
  std::vector<std::string> Resolve(std::string_view name_or_alias) const;

  // The files to load, in order, so that every requested module (a module name or an
  // alias) is usable. "pre:" softdeps of every module in the closure are included when
  // they resolve (a softdep that resolves to nothing is skipped: it is optional or built
  // in). "post:" softdeps are not followed.
  ModuleClosure Closure(std::span<const std::string> names) const;

  // Index files for a module tree holding only `shipped` (relative paths as in
  // modules.dep) decompressed: every path is rewritten to DecompressedModulePath, lines
  // for modules not shipped are dropped. `shipped` must be closed under dependencies,
  // as a Closure() result is.
  std::string RenderDep(const std::set<std::string>& shipped) const;
  std::string RenderAlias(const std::set<std::string>& shipped) const;
  std::string RenderSoftdep(const std::set<std::string>& shipped) const;
  std::string RenderBuiltin() const;

 private:
  struct Module {
    std::string path;
    std::vector<std::string> deps;  // paths, in modules.dep order
  };
  struct Softdeps {
    std::vector<std::string> pre;
    std::vector<std::string> post;
  };
  struct Alias {
    std::string pattern;     // as written, for rendering
    std::string normalized;  // for matching
    std::string module;      // normalized module name
  };

  Status ParseDep(std::string_view text);
  void ParseBuiltin(std::string_view text);
  void ParseSoftdep(std::string_view text);
  Status ParseAlias(std::string_view text);
  size_t AddModule(std::string_view path);
  void Visit(size_t index, std::vector<char>* state, std::vector<std::string>* out) const;
  bool IsShippedName(std::string_view name, const std::set<std::string>& shipped) const;
  bool SoftdepTargetShipped(std::string_view target, const std::set<std::string>& shipped) const;

  std::vector<Module> modules_;  // modules.dep order
  std::unordered_map<std::string, size_t> by_path_;
  std::unordered_map<std::string, size_t> by_name_;
  std::vector<std::string> builtin_paths_;
  std::unordered_set<std::string> builtin_names_;
  std::vector<std::pair<std::string, Softdeps>> softdeps_;  // modules.softdep order
  std::unordered_map<std::string, size_t> softdep_by_name_;
  std::vector<Alias> aliases_;
  std::unordered_map<std::string, std::vector<size_t>> exact_aliases_;  // normalized -> aliases_
  std::vector<size_t> pattern_aliases_;  // aliases_ indexes holding wildcards
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_MODULE_INDEX_H_
