#include "sinks/ordering_sink.h"

#include <gtest/gtest.h>

#include "sinks/hashing_sink.h"
#include "tests/sinks/recording_sink.h"

namespace diskferry {
namespace {

Record Rec(std::string_view path, RecordType type, uint64_t file_id = 0, uint64_t size = 0) {
  Record r;
  r.path = path;
  r.meta.type = type;
  r.meta.file_id = file_id;
  r.meta.size = size;
  r.meta.mode = type == RecordType::kDirectory ? 040755 : 0100644;
  return r;
}

class OrderingSinkTest : public ::testing::Test {
 protected:
  void Build(WalkRange range = {}) {
    ordering_ = std::make_unique<OrderingSink>(
        range, [this](const FileRecord& r, uint64_t) { released_.push_back(r.path); });
    auto hashing = HashingSink::Create(&inner_, {"sha256"},
                                       [this](const FileRecord& r) { ordering_->Complete(r); });
    ASSERT_TRUE(hashing.ok());
    hashing_ = std::move(*hashing);
    ordering_->set_inner(hashing_.get());
  }

  testing::RecordingSink inner_;
  std::unique_ptr<HashingSink> hashing_;
  std::unique_ptr<OrderingSink> ordering_;
  std::vector<std::string> released_;
};

TEST_F(OrderingSinkTest, AStreamFileHoldsBackTheRecordsAfterIt) {
  Build();
  ASSERT_TRUE(ordering_->OnRecord(Rec("d", RecordType::kDirectory)).ok());
  ASSERT_TRUE(ordering_->OnRecord(Rec("d/big", RecordType::kStreamFile, 7, 3)).ok());
  ASSERT_TRUE(ordering_->OnRecord(Rec("d/small", RecordType::kFile)).ok());
  EXPECT_EQ(released_, std::vector<std::string>{"d"});
  EXPECT_EQ(ordering_->last_released(), "d");
  const uint8_t bytes[3] = {1, 2, 3};
  ASSERT_TRUE(ordering_->OnStreamData(7, 0, bytes).ok());
  ASSERT_TRUE(ordering_->OnStreamEnd(7).ok());
  EXPECT_EQ(released_, (std::vector<std::string>{"d", "d/big", "d/small"}));
  EXPECT_EQ(ordering_->last_released(), "d/small");
  EXPECT_TRUE(ordering_->Finish().ok());
  EXPECT_EQ(ordering_->pending(), 0u);
}

TEST_F(OrderingSinkTest, StreamedBytesAreToldAsTheyPassAndAgainAtRelease) {
  std::vector<std::pair<std::string, uint64_t>> released;
  uint64_t passing = 0;
  OrderingSink ordering(
      {}, [&](const FileRecord& r, uint64_t streamed) { released.emplace_back(r.path, streamed); });
  ordering.set_on_stream_data([&](uint64_t n) { passing += n; });
  auto hashing =
      HashingSink::Create(&inner_, {}, [&](const FileRecord& r) { ordering.Complete(r); });
  ASSERT_TRUE(hashing.ok());
  ordering.set_inner(hashing->get());
  ASSERT_TRUE(ordering.OnRecord(Rec("s", RecordType::kStreamFile, 4, 5)).ok());
  const uint8_t bytes[5] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(ordering.OnStreamData(4, 0, std::span(bytes, 2)).ok());
  ASSERT_TRUE(ordering.OnStreamData(4, 2, std::span(bytes + 2, 3)).ok());
  EXPECT_EQ(passing, 5u);
  ASSERT_TRUE(ordering.OnStreamEnd(4).ok());
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].second, 5u);
}

TEST_F(OrderingSinkTest, StreamFilesEndingOutOfOrderAreReleasedInWalkOrder) {
  Build();
  ASSERT_TRUE(ordering_->OnRecord(Rec("a", RecordType::kStreamFile, 1, 0)).ok());
  ASSERT_TRUE(ordering_->OnRecord(Rec("b", RecordType::kStreamFile, 2, 0)).ok());
  ASSERT_TRUE(ordering_->OnStreamEnd(2).ok());
  EXPECT_TRUE(released_.empty());
  ASSERT_TRUE(ordering_->OnStreamEnd(1).ok());
  EXPECT_EQ(released_, (std::vector<std::string>{"a", "b"}));
}

TEST_F(OrderingSinkTest, EntriesOutsideTheRangeReachTheWriterButAreNotReleased) {
  Build(WalkRange{"d/m", ""});
  ASSERT_TRUE(ordering_->OnRecord(Rec("d", RecordType::kDirectory)).ok());
  ASSERT_TRUE(ordering_->OnRecord(Rec("d/n", RecordType::kFile)).ok());
  EXPECT_EQ(released_, std::vector<std::string>{"d/n"});
  EXPECT_EQ(inner_.calls, (std::vector<std::string>{"record d", "record d/n"}));
}

TEST_F(OrderingSinkTest, AnUnchangedFileTakesItsPlaceInTheOrder) {
  Build();
  ASSERT_TRUE(ordering_->OnRecord(Rec("a", RecordType::kStreamFile, 1, 0)).ok());
  FileRecord same;
  same.path = "b";
  same.type = "file";
  ordering_->AddCompleted(same);
  EXPECT_TRUE(released_.empty());
  ASSERT_TRUE(ordering_->OnStreamEnd(1).ok());
  EXPECT_EQ(released_, (std::vector<std::string>{"a", "b"}));
}

TEST_F(OrderingSinkTest, FinishWithAStreamNeverEndedIsAnError) {
  Build();
  ASSERT_TRUE(ordering_->OnRecord(Rec("a", RecordType::kStreamFile, 1, 5)).ok());
  EXPECT_FALSE(ordering_->Finish().ok());
}

TEST_F(OrderingSinkTest, AnInnerFailureIsReturnedAndNothingIsReleased) {
  Build();
  inner_.fail_on = "x";
  EXPECT_EQ(ordering_->OnRecord(Rec("x", RecordType::kFile)).code(), Code::kIoError);
  EXPECT_TRUE(released_.empty());
}

TEST(OrderingSinkNoInnerTest, WithoutAnInnerSinkEveryRecordIsReleasedAtOnce) {
  std::vector<std::string> released;
  OrderingSink ordering({}, [&](const FileRecord& r, uint64_t) { released.push_back(r.path); });
  FileRecord r;
  r.path = "x";
  ordering.AddCompleted(r);
  EXPECT_EQ(released, std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace diskferry
