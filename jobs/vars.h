// Manifest variables: declarations (`vars:`), `--var NAME=VALUE` overrides, the built-ins
// ${date}, ${time} and ${job}, and expansion of `${NAME}` in manifest strings.
//
// Values are templates: a variable's value may itself use other variables (and ${job},
// which is the name of the job whose field is being expanded). `$${` writes a literal
// `${`, read left to right (so `$$${a}` is `$${a}`); any other `$` is literal. Names are
// [A-Za-z_][A-Za-z0-9_-]*.
//
// Expansion is linear in the manifest's size: within one expansion each variable is
// expanded once (a value that uses another twice per level doubles at each level), and
// three limits bound the rest, each reported at the value concerned:
//   kMaxVarNesting            variables using variables, at most 16 deep;
//   kMaxExpandedBytes         one expanded value (and each variable's value inside it), 1 MiB;
//   kMaxManifestExpandedBytes every value that variables expand to in one manifest, 32 MiB.
//
// VarTable's values are immutable once built; const methods are thread-safe (the
// manifest-wide budget is an atomic counter shared by copies of a table).
#ifndef DISKFERRY_JOBS_VARS_H_
#define DISKFERRY_JOBS_VARS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/diagnostics.h"
#include "jobs/manifest_config.h"
#include "protocol/status.h"

namespace diskferry {

inline constexpr size_t kMaxVarNesting = 16;
inline constexpr size_t kMaxExpandedBytes = size_t{1} << 20;
inline constexpr uint64_t kMaxManifestExpandedBytes = uint64_t{32} << 20;

enum class VarType { kString, kInt, kBool, kPath };
std::string_view VarTypeName(VarType type);

// A civil time in the local zone: the source of ${date} (YYYY-MM-DD) and ${time} (HHMMSS).
// Read once per manifest, so every job of a run sees the same date and time.
struct LocalTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
};
using Clock = std::function<LocalTime()>;
LocalTime SystemLocalTime();  // localtime_r(time(nullptr))

struct VarOverride {
  std::string name;
  std::string value;
};

// "NAME=VALUE" from the command line; VALUE may be empty or contain '='. Fails
// (kInvalidArgument) without '=' or with a malformed NAME.
Result<VarOverride> ParseVarOverride(std::string_view arg);

// "" if `value` is acceptable for `type`, else why not ("expected an int, found 'x'"):
// int is an optional '-' and decimal digits fitting int64; bool is true or false; path is
// any non-empty string; string is anything.
std::string CheckVarValue(VarType type, std::string_view value);

// Expands every ${NAME} of `text` through `lookup`. Fails on an unterminated `${`, a
// malformed name, the first failing lookup (whose status is returned unchanged), or a
// result longer than kMaxExpandedBytes (kInvalidArgument).
using VarLookup = std::function<Result<std::string>(std::string_view name)>;
Result<std::string> ExpandVars(std::string_view text, const VarLookup& lookup);

class VarTable {
 public:
  // The declared variables (value: the override if any, else the default), plus date and
  // time from `now` (both overridable with --var). Reports into *diagnostics: unknown type
  // names, values of the wrong type, overrides of undeclared variables, variables without
  // a value, redeclared built-ins, and values that use unknown variables or form a cycle.
  // `file` names the manifest for problems that have no line (overrides).
  //
  // A relative override of a `path` variable was typed relative to `override_dir` (the
  // shell's current directory), unlike paths written in the manifest: it is made absolute
  // against it (unless it starts with "${" or `override_dir` is empty).
  static VarTable Build(const std::vector<VarConfig>& declarations,
                        const std::vector<VarOverride>& overrides, const LocalTime& now,
                        const std::string& override_dir, const std::string& file,
                        Diagnostics* diagnostics);

  // `scalar.text` expanded for the job named `job` ("" outside jobs, where ${job} is an
  // error). On failure reports at scalar.mark and returns nullopt (a variable whose own
  // value was already reported as broken fails without a second report).
  std::optional<std::string> Expand(const Scalar& scalar, std::string_view job,
                                    Diagnostics* diagnostics) const;

  // Every variable's value as given (templates unexpanded), including date and time.
  std::map<std::string, std::string> Values() const;

 private:
  struct Var {
    VarType type = VarType::kString;
    std::string value;
    SourceMark decl_mark;   // the declaration; the manifest file for built-ins
    SourceMark value_mark;  // where the value was written (the declaration for overrides)
    std::string origin;     // "--var NAME=VALUE: " when overridden, else ""
    bool has_value = false;
    bool broken = false;  // its problem is reported; uses of it fail silently
  };

  // One top-level expansion: the variables being expanded (innermost last) and the
  // values of those already expanded.
  struct Expansion {
    std::string_view job;
    std::vector<std::string> stack;
    std::map<std::string, std::string, std::less<>> done;
  };
  // Bytes of expanded values spent in this manifest, and whether passing
  // kMaxManifestExpandedBytes was reported.
  struct Budget {
    std::atomic<uint64_t> spent{0};
    std::atomic<bool> reported{false};
  };

  Result<std::string> ExpandText(std::string_view text, Expansion* expansion) const;
  Result<std::string> Lookup(std::string_view name, Expansion* expansion) const;
  Status Spend(size_t bytes) const;
  void Declare(const VarConfig& config, Diagnostics* diagnostics);
  void ApplyOverride(const VarOverride& o, const std::string& override_dir, const std::string& file,
                     Diagnostics* diagnostics);
  void CheckValue(const std::string& name, Var* var, Diagnostics* diagnostics);

  std::map<std::string, Var> vars_;
  std::shared_ptr<Budget> budget_ = std::make_shared<Budget>();
};

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_VARS_H_
