#include "protocol/glob.h"

#include <algorithm>

namespace diskferry {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool IsWildcard(char c) { return c == '*' || c == '?' || c == '['; }

// Walks the class that opens at p[open] == '[': an optional '!', then members up to the
// closing ']' (a ']' right after "[" or "[!" is a member), each a byte or a range "a-z";
// calls member(lo, hi) for each (lo == hi for a byte). Returns the index of the closing
// ']', or npos when there is none.
template <typename F>
size_t WalkClass(std::string_view p, size_t open, F&& member) {
  size_t j = open + 1;
  if (j < p.size() && p[j] == '!') ++j;
  for (bool first = true; j < p.size() && (first || p[j] != ']'); first = false) {
    if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
      member(p[j], p[j + 2]);
      j += 3;
    } else {
      member(p[j], p[j]);
      ++j;
    }
  }
  return j < p.size() ? j : std::string_view::npos;
}

// Checks one component other than "**"; on success sets *literal (no wildcard) and
// *unescaped (the text with escapes removed).
std::string CheckComponent(std::string_view c, bool* literal, std::string* unescaped) {
  if (c == "." || c == "..") return "'.' and '..' components never match (paths are normalized)";
  if (c.find("**") != std::string_view::npos) {
    return "'**' must be a whole path component (as in /a/**/b), found '" + std::string(c) + "'";
  }
  *literal = true;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '\\') {
      if (++i == c.size()) return "trailing '\\' in '" + std::string(c) + "'";
      *unescaped += c[i];
    } else if (c[i] == '[') {
      *literal = false;
      std::string problem;
      const size_t close = WalkClass(c, i, [&](unsigned char lo, unsigned char hi) {
        if (lo > hi && problem.empty()) {
          problem = "bad range '" + std::string{static_cast<char>(lo), '-', static_cast<char>(hi)} +
                    "' in '" + std::string(c) + "'";
        }
      });
      if (close == std::string_view::npos) return "unclosed '[' in '" + std::string(c) + "'";
      if (!problem.empty()) return problem;
      i = close;
    } else {
      if (IsWildcard(c[i])) *literal = false;
      *unescaped += c[i];
    }
  }
  return "";
}

// Matches one byte `b` against the single-byte item of `p` at *i ('?', a class, an escape or
// a literal), advancing *i past it.
bool MatchOne(std::string_view p, size_t* i, char b) {
  const char c = p[*i];
  if (c == '?') {
    ++*i;
    return true;
  }
  if (c == '\\') {
    *i += 2;
    return p[*i - 1] == b;
  }
  if (c != '[') {
    ++*i;
    return c == b;
  }
  bool found = false;
  const bool negate = p[*i + 1] == '!';
  *i = WalkClass(p, *i,
                 [&](unsigned char lo, unsigned char hi) {
                   found = found || (lo <= static_cast<unsigned char>(b) &&
                                     static_cast<unsigned char>(b) <= hi);
                 }) +
       1;
  return found != negate;
}

// Classic wildcard matching with one backtrack point for the latest '*'.
bool MatchComponent(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = ++pi;
      star_s = si;
      continue;
    }
    size_t next = pi;
    if (pi < p.size() && MatchOne(p, &next, s[si])) {
      pi = next;
      ++si;
    } else if (star_p != std::string_view::npos) {
      pi = star_p;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace

Result<Glob> Glob::Compile(std::string_view pattern) {
  auto fail = [&](const std::string& why) { return Status(Code::kInvalidArgument, why); };
  if (pattern.empty() || pattern[0] != '/') {
    return fail("patterns start at the guest root: write '/" + std::string(pattern) + "'");
  }
  if (pattern.size() > kMaxGlobBytes) {
    return fail("pattern of " + std::to_string(pattern.size()) + " bytes, at most " +
                std::to_string(kMaxGlobBytes));
  }
  if (pattern.find('\0') != std::string_view::npos) return fail("NUL byte in pattern");
  if (pattern.size() > 1 && pattern.back() == '/') {
    return fail("trailing '/' (write " + std::string(pattern.substr(0, pattern.size() - 1)) +
                " for the directory, " + std::string(pattern) + "** for it and what is below)");
  }
  if (pattern.find("//") != std::string_view::npos) return fail("empty path component ('//')");
  Glob glob;
  glob.pattern_ = std::string(pattern);
  for (std::string_view part : SplitPath(pattern)) {
    Component component;
    if (part == "**") {
      component.any_depth = true;
    } else {
      std::string unescaped;
      std::string problem = CheckComponent(part, &component.literal, &unescaped);
      if (!problem.empty()) return fail(problem);
      component.text = component.literal ? unescaped : std::string(part);
    }
    glob.components_.push_back(std::move(component));
  }
  return glob;
}

void Glob::Close(std::vector<bool>& states) const {
  for (size_t i = 0; i < components_.size(); ++i) {
    if (states[i] && components_[i].any_depth) states[i + 1] = true;
  }
}

std::vector<bool> Glob::Start() const {
  std::vector<bool> states(components_.size() + 1, false);
  states[0] = true;
  Close(states);
  return states;
}

std::vector<bool> Glob::Step(const std::vector<bool>& states, std::string_view name) const {
  std::vector<bool> next(components_.size() + 1, false);
  for (size_t i = 0; i < components_.size(); ++i) {
    if (!states[i]) continue;
    const Component& c = components_[i];
    if (c.any_depth) {
      next[i] = true;
    } else if (c.literal ? c.text == name : MatchComponent(c.text, name)) {
      next[i + 1] = true;
    }
  }
  Close(next);
  return next;
}

std::vector<bool> Glob::Reachable(std::string_view path) const {
  if (path.empty() || path[0] != '/') return std::vector<bool>(components_.size() + 1, false);
  std::vector<bool> states = Start();
  for (std::string_view name : SplitPath(path)) states = Step(states, name);
  return states;
}

bool Glob::Matches(std::string_view path) const { return Reachable(path).back(); }

bool Glob::MatchesSelfOrAbove(std::string_view path) const {
  if (path.empty() || path[0] != '/') return false;
  std::vector<bool> states = Start();
  if (states.back()) return true;
  for (std::string_view name : SplitPath(path)) {
    states = Step(states, name);
    if (states.back()) return true;
  }
  return false;
}

bool Glob::CouldMatchBelow(std::string_view dir) const {
  const std::vector<bool> states = Reachable(dir);
  return std::find(states.begin(), states.end() - 1, true) != states.end() - 1;
}

bool Glob::HasWildcards() const {
  return std::any_of(components_.begin(), components_.end(),
                     [](const Component& c) { return !c.literal; });
}

bool GlobMatches(std::string_view pattern, std::string_view path) {
  Result<Glob> glob = Glob::Compile(pattern);
  return glob.ok() && glob->Matches(path);
}

PathSelector::PathSelector() : include_{std::move(Glob::Compile("/**")).value()} {}

Result<PathSelector> PathSelector::Create(const std::vector<std::string>& include,
                                          const std::vector<std::string>& exclude) {
  for (const auto* list : {&include, &exclude}) {
    if (list->size() > kMaxSelectPatterns) {
      return Status(Code::kInvalidArgument, std::string(list == &include ? "include" : "exclude") +
                                                ": " + std::to_string(list->size()) +
                                                " patterns, at most " +
                                                std::to_string(kMaxSelectPatterns));
    }
  }
  PathSelector selector;
  if (!include.empty()) selector.include_.clear();
  for (const auto* list : {&include, &exclude}) {
    for (const std::string& pattern : *list) {
      Result<Glob> glob = Glob::Compile(pattern);
      if (!glob.ok()) return glob.status().WithContext(pattern);
      (list == &include ? selector.include_ : selector.exclude_).push_back(std::move(glob).value());
    }
  }
  return selector;
}

bool PathSelector::Excluded(std::string_view path) const {
  return std::any_of(exclude_.begin(), exclude_.end(),
                     [&](const Glob& g) { return g.MatchesSelfOrAbove(path); });
}

bool PathSelector::Selects(std::string_view path) const {
  const bool included =
      std::any_of(include_.begin(), include_.end(), [&](const Glob& g) { return g.Matches(path); });
  return included && !Excluded(path);
}

bool PathSelector::Descends(std::string_view dir) const {
  if (Excluded(dir)) return false;
  return std::any_of(include_.begin(), include_.end(),
                     [&](const Glob& g) { return g.CouldMatchBelow(dir); });
}

bool PathSelector::SelectsEverything() const {
  return exclude_.empty() && include_.size() == 1 && include_[0].pattern() == "/**";
}

SelectPatterns PathSelector::patterns() const {
  SelectPatterns out;
  for (const Glob& g : include_) out.include.push_back(g.pattern());
  for (const Glob& g : exclude_) out.exclude.push_back(g.pattern());
  return out;
}

}  // namespace diskferry
