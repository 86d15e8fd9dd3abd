// Globs over guest paths, anchored at the guest root, and the include/exclude rule of
// `select:`. The rules are spelled out in jobs/README.md ("Selecting files").
//
// A pattern starts with '/' and is matched one path component at a time:
//   *       any run of bytes within one component (also a leading '.')
//   ?       one byte within a component
//   [abc] [a-z] [!a]   one byte from (with '!', not from) the set; a ']' right after
//           "[" or "[!" is a member, and every other byte inside the brackets is literal
//   \c      the byte c itself
//   **      as a whole component only: any number of components, zero included
// Matching is bytewise and case-sensitive. Rejected: a pattern not starting with '/', an
// empty component ('//' or a trailing '/'), '.' or '..' components, '**' inside a
// component ('a**'), an unclosed '[', a reversed range ('[z-a]'), a trailing '\'.
//
// Both ends compile this: the host validates a job's `select:` with it and keeps it as the
// guard on what the guest sends; the daemon walks only what it selects (ExtractStart,
// Survey). Patterns from the host are checked again there against the same limits.
//
// Glob and PathSelector are immutable values; const methods are thread-safe.
#ifndef DISKFERRY_PROTOCOL_GLOB_H_
#define DISKFERRY_PROTOCOL_GLOB_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace diskferry {

// A pattern is at most this long (the longest path a record may carry), and a selector
// holds at most this many include and this many exclude patterns. Matching one path
// costs up to patterns x components x bytes, so both bound the daemon's work per entry.
inline constexpr size_t kMaxGlobBytes = 4096;
inline constexpr size_t kMaxSelectPatterns = 256;

class Glob {
 public:
  // Fails with kInvalidArgument and a message naming the problem (no location: the caller
  // knows where the pattern was written); a pattern longer than kMaxGlobBytes fails too.
  static Result<Glob> Compile(std::string_view pattern);

  // Whether the absolute guest path `path` ("/" is the root; empty components are ignored)
  // matches the whole pattern. A relative path never matches.
  bool Matches(std::string_view path) const;

  // Whether `path` itself or a directory above it ("/" included) matches: the exclude rule
  // of PathSelector, in one walk down the path (linear in its depth, not quadratic).
  bool MatchesSelfOrAbove(std::string_view path) const;

  // Whether some path strictly below directory `dir` could match: the walker's test for
  // descending into `dir`.
  bool CouldMatchBelow(std::string_view dir) const;

  // Whether any component has a wildcard (*, ?, [...], **); false for a plain path.
  bool HasWildcards() const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Component {
    std::string text;        // as written (escapes kept) unless literal
    bool any_depth = false;  // "**"
    bool literal = false;    // no wildcard: `text` is unescaped and compared whole
  };

  // Pattern positions (0..size) reachable after matching the components of `path`;
  // empty when `path` is not absolute.
  std::vector<bool> Reachable(std::string_view path) const;
  // The positions at the root, and those reachable from `states` over one component.
  std::vector<bool> Start() const;
  std::vector<bool> Step(const std::vector<bool>& states, std::string_view name) const;
  void Close(std::vector<bool>& states) const;  // "**" may match zero components

  std::string pattern_;
  std::vector<Component> components_;
};

// Compiles `pattern` and matches `path`; false for a bad pattern.
bool GlobMatches(std::string_view pattern, std::string_view path);

// A selection as it travels to the daemon (ExtractStartRequest, SurveyRequest): the
// patterns as written. No include means "/**".
struct SelectPatterns {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
};

// The `select:` rule:
//  - a path is selected when it matches some include (no include list means "/**") and
//    neither it nor any directory above it matches an exclude;
//  - a directory is descended when neither it nor any directory above it matches an
//    exclude, and some include could match a path below it.
// So excluding a directory excludes everything beneath it, and `/etc/**` selects /etc
// itself as well as everything below it.
class PathSelector {
 public:
  PathSelector();  // include /**, exclude nothing

  // Fails on the first bad pattern, with "PATTERN: reason", and on a list of more than
  // kMaxSelectPatterns ("include: N patterns, at most 256"); kInvalidArgument.
  static Result<PathSelector> Create(const std::vector<std::string>& include,
                                     const std::vector<std::string>& exclude);

  bool Selects(std::string_view path) const;
  bool Descends(std::string_view dir) const;
  // Whether this is the default: include /** and exclude nothing.
  bool SelectsEverything() const;
  // The patterns, for Create on the other side.
  SelectPatterns patterns() const;

  const std::vector<Glob>& include() const { return include_; }
  const std::vector<Glob>& exclude() const { return exclude_; }

 private:
  bool Excluded(std::string_view path) const;  // the path or a directory above it

  std::vector<Glob> include_;
  std::vector<Glob> exclude_;
};

}  // namespace diskferry

#endif  // DISKFERRY_PROTOCOL_GLOB_H_
