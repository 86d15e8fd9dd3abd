#include "protocol/walk_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace diskferry {
namespace {

int Sign(int v) { return (v > 0) - (v < 0); }

TEST(WalkOrderTest, APathComesBeforeEverythingBeneathIt) {
  EXPECT_LT(CompareWalkOrder("a", "a/b"), 0);
  EXPECT_LT(CompareWalkOrder("a/b", "a.b"), 0) << "although \"a.b\" < \"a/b\" as strings";
  EXPECT_LT(CompareWalkOrder("a", "a.b"), 0);
  EXPECT_LT(CompareWalkOrder("a/z/z/z", "a-b"), 0);
  EXPECT_LT(CompareWalkOrder("a/b", "a/b/c"), 0);
  EXPECT_LT(CompareWalkOrder("a/b/c", "a/bc"), 0);
  EXPECT_GT(CompareWalkOrder("b", "a/b/c"), 0);
  EXPECT_EQ(CompareWalkOrder("a/b", "a/b"), 0);
  EXPECT_EQ(CompareWalkOrder("", ""), 0);
  EXPECT_LT(CompareWalkOrder("", "a"), 0);
}

TEST(WalkOrderTest, ComponentsCompareAsUnsignedBytes) {
  EXPECT_LT(CompareWalkOrder("z", "\x80"), 0);
  EXPECT_LT(CompareWalkOrder("\x7f", "\x80"), 0);
  EXPECT_LT(CompareWalkOrder("\x80", "\xff"), 0);
  EXPECT_LT(CompareWalkOrder("a\xff/x", "a\xff\x01"), 0);
  EXPECT_GT(CompareWalkOrder("caf\xc3\xa9/x", "cafz"), 0) << "0xc3 > 'z'";
  EXPECT_LT(CompareWalkOrder("\x01", "\x02"), 0);
  EXPECT_LT(CompareWalkOrder("a/\x01", "a\x01"), 0) << "'/' ranks below every name byte";
}

TEST(WalkOrderTest, AncestorOrSelfIsByWholeComponents) {
  EXPECT_TRUE(IsAncestorOrSelf("", "a/b"));
  EXPECT_TRUE(IsAncestorOrSelf("", ""));
  EXPECT_TRUE(IsAncestorOrSelf("a", "a/b"));
  EXPECT_TRUE(IsAncestorOrSelf("a/b", "a/b"));
  EXPECT_TRUE(IsAncestorOrSelf("a", "a/b/c/d"));
  EXPECT_FALSE(IsAncestorOrSelf("a", "ab"));
  EXPECT_FALSE(IsAncestorOrSelf("a", "a.b/c"));
  EXPECT_FALSE(IsAncestorOrSelf("a/b", "a"));
  EXPECT_FALSE(IsAncestorOrSelf("a/b", "a/bc"));
  EXPECT_FALSE(IsAncestorOrSelf("b", "a/b"));
}

TEST(WalkOrderTest, RangeIsAfterExclusiveUntilInclusive) {
  const WalkRange range{"a/b", "c"};
  EXPECT_FALSE(InWalkRange(range, "a"));
  EXPECT_FALSE(InWalkRange(range, "a/b"));
  EXPECT_TRUE(InWalkRange(range, "a/b/c")) << "beneath `after` comes after it";
  EXPECT_TRUE(InWalkRange(range, "a.b"));
  EXPECT_TRUE(InWalkRange(range, "c"));
  EXPECT_FALSE(InWalkRange(range, "c/d")) << "beneath `until` comes after it";
  EXPECT_FALSE(InWalkRange(range, "d"));
}

TEST(WalkOrderTest, EmptyBoundsAreOpenEnds) {
  EXPECT_TRUE(InWalkRange(WalkRange{}, "anything/at/all"));
  EXPECT_TRUE(InWalkRange(WalkRange{"", "m"}, "a"));
  EXPECT_FALSE(InWalkRange(WalkRange{"", "m"}, "m/x"));
  EXPECT_TRUE(InWalkRange(WalkRange{"m", ""}, "m/x"));
  EXPECT_TRUE(InWalkRange(WalkRange{"m", ""}, "\xff"));
  EXPECT_FALSE(InWalkRange(WalkRange{"m", ""}, "a"));
}

TEST(WalkOrderTest, RangeWithUntilNotAfterAfterIsEmpty) {
  for (const char* path : {"a", "b", "b/c", "c", "z"}) {
    EXPECT_FALSE(InWalkRange(WalkRange{"b", "b"}, path)) << path;
    EXPECT_FALSE(InWalkRange(WalkRange{"c", "a"}, path)) << path;
  }
}

// A random tree, walked the way GuestTreeReader walks: names sorted with std::sort of
// std::string (unsigned bytes), a directory before its children.
struct Node {
  std::map<std::string, std::unique_ptr<Node>> children;
};

std::string RandomName(std::mt19937& rng) {
  static const char kBytes[] = {'a', 'b',    '.',    '-',    ' ',    '0',    'A',
                                '~', '\x01', '\x7f', '\x80', '\xc3', '\xa9', '\xff'};
  std::uniform_int_distribution<size_t> length(1, 3), byte(0, sizeof kBytes - 1);
  std::string name;
  for (size_t n = length(rng); n > 0; --n) name += kBytes[byte(rng)];
  return name;
}

void Walk(const Node& node, const std::string& prefix, std::vector<std::string>* out) {
  std::vector<std::string> names;
  for (const auto& [name, child] : node.children) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    out->push_back(path);
    Walk(*node.children.at(name), path, out);
  }
}

std::vector<std::string> RandomWalk(std::mt19937& rng, int paths) {
  Node root;
  std::uniform_int_distribution<int> depth(1, 5);
  for (int i = 0; i < paths; ++i) {
    Node* node = &root;
    for (int d = depth(rng); d > 0; --d) {
      std::unique_ptr<Node>& child = node->children[RandomName(rng)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
  }
  std::vector<std::string> walk;
  Walk(root, "", &walk);
  return walk;
}

TEST(WalkOrderTest, SortingRandomPathsGivesTheOrderOfASortedDepthFirstWalk) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 50; ++round) {
    const std::vector<std::string> walk = RandomWalk(rng, 200);
    std::vector<std::string> sorted = walk;
    std::shuffle(sorted.begin(), sorted.end(), rng);
    std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
      return CompareWalkOrder(a, b) < 0;
    });
    ASSERT_EQ(sorted, walk) << "round " << round;
  }
}

TEST(WalkOrderTest, ComparisonAgreesWithWalkPositionsAndIsAntisymmetric) {
  std::mt19937 rng(7);
  const std::vector<std::string> walk = RandomWalk(rng, 300);
  std::uniform_int_distribution<size_t> pick(0, walk.size() - 1);
  for (int i = 0; i < 20000; ++i) {
    const size_t a = pick(rng), b = pick(rng);
    const int expected = a < b ? -1 : (a > b ? 1 : 0);
    ASSERT_EQ(Sign(CompareWalkOrder(walk[a], walk[b])), expected) << walk[a] << " " << walk[b];
    ASSERT_EQ(Sign(CompareWalkOrder(walk[b], walk[a])), -expected);
  }
}

TEST(WalkOrderTest, RangesOfARandomWalkAreItsSlices) {
  std::mt19937 rng(99);
  const std::vector<std::string> walk = RandomWalk(rng, 300);
  std::uniform_int_distribution<size_t> pick(0, walk.size() - 1);
  for (int i = 0; i < 200; ++i) {
    size_t lo = pick(rng), hi = pick(rng);
    if (lo > hi) std::swap(lo, hi);
    const WalkRange range{walk[lo], walk[hi]};
    for (size_t k = 0; k < walk.size(); ++k) {
      ASSERT_EQ(InWalkRange(range, walk[k]), k > lo && k <= hi) << walk[k];
    }
  }
}

}  // namespace
}  // namespace diskferry
