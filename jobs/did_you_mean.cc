#include "jobs/did_you_mean.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace diskferry {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> DidYouMean(std::string_view word,
                                      std::span<const std::string_view> candidates) {
  constexpr size_t kMaxDistance = 2;
  std::optional<std::string> best;
  size_t best_distance = kMaxDistance + 1;
  for (std::string_view candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance && distance < std::max<size_t>(word.size(), 1)) {
      best = std::string(candidate);
      best_distance = distance;
    }
  }
  return best;
}

std::string DidYouMeanSuffix(std::string_view word, std::span<const std::string_view> candidates) {
  std::optional<std::string> best = DidYouMean(word, candidates);
  if (!best || *best == word) return "";
  return " (did you mean '" + *best + "'?)";
}

std::string UnknownWordHint(std::string_view word, std::span<const std::string_view> candidates) {
  const std::string suggestion = DidYouMeanSuffix(word, candidates);
  return suggestion.empty() ? " (expected " + JoinAlternatives(candidates) + ")" : suggestion;
}

std::string ExpectedHint(std::string_view word, std::span<const std::string_view> candidates) {
  std::optional<std::string> best = DidYouMean(word, candidates);
  std::string hint = " (expected " + JoinAlternatives(candidates);
  if (best && *best != word) hint += "; did you mean '" + *best + "'?";
  return hint + ")";
}

std::string JoinAlternatives(std::span<const std::string_view> candidates) {
  std::string out;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i > 0) out += (i + 1 == candidates.size()) ? " or " : ", ";
    out += candidates[i];
  }
  return out;
}

}  // namespace diskferry
