// Fuzz target: the globs of `select:` (protocol/glob.h), checked against a reference matcher.
//
// Input: one byte, then patterns separated by '\n', then a NUL byte, then a guest path. The
// first byte says how many of the patterns are includes (byte % (count + 1)); the rest are
// excludes. Each pattern that compiles is matched against the path with Glob::Matches,
// CouldMatchBelow and MatchesSelfOrAbove, and the whole list drives PathSelector::Selects
// and Descends.
//
// The reference follows jobs/README.md ("Selecting files") literally: a path matches when
// its components (empty ones ignored) and the pattern's line up, "**" taking any number of
// components, every other component matched by fnmatch(3) with no flags (no FNM_PERIOD: a
// leading '.' is an ordinary byte; no FNM_NOESCAPE: '\c' is c), in the C locale (bytewise).
// Where fnmatch's brackets mean more than the documented ones (a '\' inside brackets is an
// escape to fnmatch, a literal to Glob; "[^" negates; "[:alpha:]", "[=a=]" and "[.a.]" are
// classes), the component is not compared. A disagreement traps. Slow matching shows up
// as a libFuzzer timeout.
#include <fnmatch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/glob.h"

namespace diskferry {
namespace {

void Require(bool promise) {
  if (!promise) __builtin_trap();
}

std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// Whether fnmatch and the documented brackets may disagree on `component`.
bool BeyondTheDocs(std::string_view component) {
  const size_t open = component.find('[');
  if (open == std::string_view::npos) return false;
  for (std::string_view extra : {"\\", "[^", "[:", "[=", "[."}) {
    if (component.find(extra, open) != std::string_view::npos) return true;
  }
  return false;
}

class Reference {
 public:
  // nullopt-like: comparable() is false when a component is beyond the docs.
  explicit Reference(std::string_view pattern) : parts_(Components(pattern)) {
    for (const std::string& p : parts_) comparable_ = comparable_ && !BeyondTheDocs(p);
  }
  bool comparable() const { return comparable_; }

  // table[i][j]: pattern components [0, i) match the first j names of `path` (empty
  // components ignored); empty when `path` is not absolute.
  std::vector<std::vector<bool>> Table(std::string_view path) const {
    if (path.empty() || path[0] != '/') return {};
    const size_t n = parts_.size();
    const std::vector<std::string> names = Components(path);
    std::vector<std::vector<bool>> dp(n + 1, std::vector<bool>(names.size() + 1, false));
    dp[0][0] = true;
    for (size_t i = 1; i <= n; ++i) {
      const std::string& p = parts_[i - 1];
      for (size_t j = 0; j <= names.size(); ++j) {
        if (p == "**") {
          dp[i][j] = dp[i - 1][j] || (j > 0 && dp[i][j - 1]);
        } else {
          dp[i][j] = j > 0 && dp[i - 1][j - 1] && fnmatch(p.c_str(), names[j - 1].c_str(), 0) == 0;
        }
      }
    }
    return dp;
  }
  // The pattern positions reachable after all of `path`'s names, as Glob defines them
  // (CouldMatchBelow is "a position before the end is reachable"): position i with the
  // first i components matched, or a "**" at i that has taken some of the names.
  std::vector<bool> Reachable(std::string_view path) const {
    const size_t n = parts_.size();
    std::vector<bool> reach(n + 1, false);
    const std::vector<std::vector<bool>> dp = Table(path);
    if (dp.empty()) return reach;
    const size_t m = dp[0].size() - 1;
    for (size_t i = 0; i <= n; ++i) {
      reach[i] = dp[i][m] || (i < n && parts_[i] == "**" && dp[i + 1][m]);
    }
    return reach;
  }
  // Whether `path` or a directory above it matches ("/" included).
  bool MatchesSelfOrAbove(std::string_view path) const {
    const std::vector<std::vector<bool>> dp = Table(path);
    if (dp.empty()) return false;
    for (bool matched : dp.back()) {
      if (matched) return true;
    }
    return false;
  }
  bool Matches(std::string_view path) const { return Reachable(path).back(); }
  bool CouldMatchBelow(std::string_view dir) const {
    const std::vector<bool> reach = Reachable(dir);
    for (size_t i = 0; i + 1 < reach.size(); ++i) {
      if (reach[i]) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> parts_;
  bool comparable_ = true;
};

void CheckSelector(const std::vector<std::string>& include, const std::vector<std::string>& exclude,
                   std::string_view path) {
  Result<PathSelector> selector = PathSelector::Create(include, exclude);
  if (!selector.ok()) return;
  std::vector<Reference> inc, exc;
  for (const std::string& p : include) inc.emplace_back(p);
  for (const std::string& p : exclude) exc.emplace_back(p);
  if (include.empty()) inc.emplace_back("/**");
  for (const auto* list : {&inc, &exc}) {
    for (const Reference& r : *list) {
      if (!r.comparable()) return;
    }
  }
  bool excluded = false;
  for (const Reference& r : exc) excluded = excluded || r.MatchesSelfOrAbove(path);
  bool included = false, below = false;
  for (const Reference& r : inc) {
    included = included || r.Matches(path);
    below = below || r.CouldMatchBelow(path);
  }
  Require(selector->Selects(path) == (included && !excluded));
  Require(selector->Descends(path) == (below && !excluded));
}

}  // namespace
}  // namespace diskferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return 0;
  const std::string_view path = text.substr(nul + 1);
  // fnmatch reads C strings: a path holding NUL cannot be compared.
  if (path.find('\0') != std::string_view::npos) return 0;
  std::vector<std::string> patterns;
  for (std::string_view rest = text.substr(0, nul);;) {
    const size_t nl = rest.find('\n');
    patterns.emplace_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest = rest.substr(nl + 1);
  }
  for (const std::string& pattern : patterns) {
    Result<Glob> glob = Glob::Compile(pattern);
    if (!glob.ok()) continue;
    const Reference reference(pattern);
    if (!reference.comparable()) continue;
    Require(glob->Matches(path) == reference.Matches(path));
    Require(glob->CouldMatchBelow(path) == reference.CouldMatchBelow(path));
    Require(glob->MatchesSelfOrAbove(path) == reference.MatchesSelfOrAbove(path));
  }
  const size_t includes = data[0] % (patterns.size() + 1);
  const std::vector<std::string> include(patterns.begin(), patterns.begin() + includes);
  const std::vector<std::string> exclude(patterns.begin() + includes, patterns.end());
  CheckSelector(include, exclude, path);
  return 0;
}
