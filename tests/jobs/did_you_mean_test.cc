#include "jobs/did_you_mean.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

constexpr std::string_view kKeys[] = {"source", "format", "filesystem",
                                      "select", "output", "hashes"};

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("source", "source"), 0u);
  EXPECT_EQ(EditDistance("sorce", "source"), 1u);    // deletion
  EXPECT_EQ(EditDistance("sourcee", "source"), 1u);  // insertion
  EXPECT_EQ(EditDistance("sourse", "source"), 1u);   // substitution
  EXPECT_EQ(EditDistance("osurce", "source"), 2u);   // a swap is two edits
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("sitting", "kitten"), 3u);
}

TEST(DidYouMeanTest, SuggestsTheNearestKeyWithinTwoEdits) {
  EXPECT_EQ(DidYouMean("sorce", kKeys), "source");
  EXPECT_EQ(DidYouMean("fromat", kKeys), "format");
  EXPECT_EQ(DidYouMean("filesytem", kKeys), "filesystem");
  EXPECT_EQ(DidYouMean("hash", kKeys), "hashes");
  EXPECT_EQ(DidYouMean("Source", kKeys), "source");
}

TEST(DidYouMeanTest, SuggestsNothingBeyondTwoEdits) {
  EXPECT_EQ(DidYouMean("frobnicate", kKeys), std::nullopt);
  EXPECT_EQ(DidYouMean("outptu_dir", kKeys), std::nullopt);
}

TEST(DidYouMeanTest, ShortWordsNeedFewerEditsThanTheirLength) {
  constexpr std::string_view kShort[] = {"to", "from", "dir", "tar"};
  EXPECT_EQ(DidYouMean("ab", kShort), std::nullopt);  // two edits from "to"
  EXPECT_EQ(DidYouMean("t", kShort), std::nullopt);
  EXPECT_EQ(DidYouMean("tp", kShort), "to");
  EXPECT_EQ(DidYouMean("dri", kShort), "dir");
}

TEST(DidYouMeanTest, TiesGoToTheEarliestCandidate) {
  constexpr std::string_view kCandidates[] = {"dir", "tar"};
  EXPECT_EQ(DidYouMean("tir", kCandidates), "dir");
}

TEST(DidYouMeanTest, ExactMatchIsItselfAndGetsNoSuffix) {
  EXPECT_EQ(DidYouMean("select", kKeys), "select");
  EXPECT_EQ(DidYouMeanSuffix("select", kKeys), "");
}

TEST(DidYouMeanTest, HintsForKeysAndValues) {
  constexpr std::string_view kFormats[] = {"raw", "qcow2", "vmdk"};
  EXPECT_EQ(DidYouMeanSuffix("sorce", kKeys), " (did you mean 'source'?)");
  EXPECT_EQ(UnknownWordHint("sorce", kKeys), " (did you mean 'source'?)");
  EXPECT_EQ(UnknownWordHint("zzzzzz", kFormats), " (expected raw, qcow2 or vmdk)");
  EXPECT_EQ(ExpectedHint("qcow", kFormats),
            " (expected raw, qcow2 or vmdk; did you mean 'qcow2'?)");
  EXPECT_EQ(ExpectedHint("iso", kFormats), " (expected raw, qcow2 or vmdk)");
}

TEST(DidYouMeanTest, JoinAlternativesReadsAsEnglish) {
  constexpr std::string_view kOne[] = {"a"};
  constexpr std::string_view kTwo[] = {"a", "b"};
  constexpr std::string_view kThree[] = {"a", "b", "c"};
  EXPECT_EQ(JoinAlternatives(kOne), "a");
  EXPECT_EQ(JoinAlternatives(kTwo), "a or b");
  EXPECT_EQ(JoinAlternatives(kThree), "a, b or c");
}

}  // namespace
}  // namespace diskferry
