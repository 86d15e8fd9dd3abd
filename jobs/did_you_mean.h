// "Did you mean ...?" for misspelled keys and values. Pure functions; thread-safe.
#ifndef DISKFERRY_JOBS_DID_YOU_MEAN_H_
#define DISKFERRY_JOBS_DID_YOU_MEAN_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace diskferry {

// Levenshtein distance (insertions, deletions, substitutions; each costs 1), bytewise.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if its distance is at most 2 and smaller than the length
// of `word` (so that "ab" suggests nothing rather than any two-letter key). Ties go to the
// earliest candidate. An exact match is returned as itself.
std::optional<std::string> DidYouMean(std::string_view word,
                                      std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" when DidYouMean finds one, else "".
std::string DidYouMeanSuffix(std::string_view word, std::span<const std::string_view> candidates);

// For an unknown word: " (did you mean 'x'?)" when DidYouMean finds one, else
// " (expected a, b or c)".
std::string UnknownWordHint(std::string_view word, std::span<const std::string_view> candidates);

// For an unknown value of a short list: " (expected a, b or c; did you mean 'x'?)", the
// suggestion only when DidYouMean finds one.
std::string ExpectedHint(std::string_view word, std::span<const std::string_view> candidates);

// "a, b or c": candidates joined for messages such as "expected raw, qcow2 or vmdk".
std::string JoinAlternatives(std::span<const std::string_view> candidates);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_DID_YOU_MEAN_H_
