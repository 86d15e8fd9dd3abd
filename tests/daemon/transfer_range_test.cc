// Range extraction over Serve through both lanes: ranges of one walk, extracted one after
// the other, carry exactly the records (and file bytes) of the whole extraction; bad
// ranges are refused before a transfer starts.
#include <sys/stat.h>

#include "tests/daemon/transfer_fixture.h"
#include "tests/daemon/tree_samples.h"

namespace diskferry::daemon::testing {
namespace {

class RangeTransferTest : public TransferTest {
 protected:
  void SetUp() override {
    TransferTest::SetUp();
    ASSERT_EQ(::mkdir(Host("/tree").c_str(), 0755), 0);
    if (!BuildSampleTree(Host("/tree"))) GTEST_SKIP() << "no user xattrs on this host";
  }

  // A record's bytes: inline data, or its reassembled stream.
  static std::string Content(const Extracted& x, const DecodedRecord& r) {
    if (r.meta.type == RecordType::kStreamFile) return x.streams.at(r.meta.file_id);
    return r.data;
  }

  // Extracts `range`, checks that what precedes the range is the directories on the way
  // to `after`, and appends the records in the range (and their bytes) to `records`.
  void ExtractRange(const WalkRange& range,
                    std::vector<std::pair<DecodedRecord, std::string>>* records) {
    const Extracted x = ExtractAll({"/tree"}, 64 << 10, true, range);
    for (const DecodedRecord& r : x.records) {
      if (!InWalkRange(range, r.path)) {
        EXPECT_EQ(r.meta.type, RecordType::kDirectory) << r.path;
        EXPECT_TRUE(IsAncestorOrSelf(r.path, range.after)) << r.path;
        continue;
      }
      records->emplace_back(r, Content(x, r));
    }
  }
};

INSTANTIATE_TEST_SUITE_P(Lanes, RangeTransferTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Shm" : "Socket"; });

TEST_P(RangeTransferTest, ThreeRangesCarryTheWholeExtractionOnce) {
  const Extracted whole = ExtractAll({"/tree"}, 64 << 10, true);
  ASSERT_EQ(whole.records.size(), 16u);
  const std::vector<std::pair<std::string, std::string>> cuts = {
      {"tree/big.bin", "tree/ro"},           {"tree/ro", "tree/sub/deep/b.bin"},
      {"tree/a.txt", "tree/a.txt"},          {"tree", "tree/sub"},
      {"tree/sparse.img", "tree/sub/hard2"}, {"tree/hard1", "tree/new\nline"}};
  for (const auto& [c1, c2] : cuts) {
    std::vector<std::pair<DecodedRecord, std::string>> got;
    ExtractRange({"", c1}, &got);
    ExtractRange({c1, c2}, &got);
    ExtractRange({c2, ""}, &got);
    ASSERT_EQ(got.size(), whole.records.size()) << c1 << " | " << c2;
    for (size_t i = 0; i < got.size(); ++i) {
      const DecodedRecord& want = whole.records[i];
      const DecodedRecord& r = got[i].first;
      ASSERT_EQ(r.path, want.path) << c1 << " | " << c2;
      if (want.meta.type == RecordType::kHardlink && r.meta.type != RecordType::kHardlink) {
        EXPECT_EQ(r.meta.type, RecordType::kFile) << "its first path is in an earlier range";
        EXPECT_EQ(got[i].second, ReadWhole(Host("/" + want.path)));
        continue;
      }
      EXPECT_EQ(r.meta.type, want.meta.type) << r.path;
      EXPECT_EQ(r.meta.mode, want.meta.mode) << r.path;
      EXPECT_EQ(r.target, want.target) << r.path;
      EXPECT_EQ(r.xattrs, want.xattrs) << r.path;
      EXPECT_EQ(got[i].second, Content(whole, want)) << r.path;
    }
  }
}

TEST_P(RangeTransferTest, RangeAfterADirectoryStartsWithTheWayToIt) {
  const Extracted x = ExtractAll({"/tree"}, 64 << 10, false, {"tree/sub/deep", ""});
  std::vector<std::string> paths;
  for (const DecodedRecord& r : x.records) paths.push_back(r.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"tree", "tree/sub", "tree/sub/deep",
                                             "tree/sub/deep/b.bin", "tree/sub/hard2"}));
  EXPECT_EQ(x.Find("tree/sub/hard2")->meta.type, RecordType::kFile);
  EXPECT_EQ(x.Find("tree/sub")->meta.mode, S_IFDIR | 0700u) << "a real directory record";
}

TEST_P(RangeTransferTest, BadRangesAreEinvalAndStartNothing) {
  EXPECT_EQ(CallError(ExtractStartRequest({"/tree", "/tree/sub"}, 1024, false, shm(),
                                          {"tree/a.txt", ""})),
            "EINVAL");
  EXPECT_EQ(CallError(ExtractStartRequest({"/tree"}, 1024, false, shm(), {"/tree/a.txt", ""})),
            "EINVAL");
  EXPECT_EQ(CallError(ExtractStartRequest({"/tree"}, 1024, false, shm(), {"", "tree/../etc"})),
            "EINVAL");
  EXPECT_EQ(CallError(ExtractStartRequest({"/tree"}, 1024, false, shm(),
                                          {std::string("tree/a\0b", 8), ""})),
            "EINVAL");
  const uint64_t id = Started(ExtractStartRequest({"/tree"}, 1024, false, shm(), {"tree", ""}));
  EXPECT_NE(id, 0u) << "nothing was left active";
  EXPECT_NE(CallOk(TransferEndRequest(id)), nullptr);
}

}  // namespace
}  // namespace diskferry::daemon::testing
