// SelectingSink: only selected records reach the inner sink, with their stream data;
// unselected parents come first when wanted; hard links to dropped files are reported.
#include "sinks/selecting_sink.h"

#include <gtest/gtest.h>

#include "tests/sinks/recording_sink.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::Bytes;
using testing::DirRecord;
using testing::HardlinkRecord;
using testing::RecordingSink;
using testing::StreamRecord;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Selects "*.conf" files, and nothing else.
bool ConfOnly(std::string_view path, const RecordMeta&) { return EndsWith(path, ".conf"); }

TEST(SelectingSinkTest, DropsUnselectedStreamFilesWithTheirDataAndEnd) {
  RecordingSink inner;
  SelectingSink sink(&inner, ConfOnly, {.ancestors = false});
  ASSERT_TRUE(sink.OnRecord(StreamRecord("big.log", 1, 8)).ok());
  ASSERT_TRUE(sink.OnRecord(StreamRecord("big.conf", 2, 8)).ok());
  ASSERT_TRUE(sink.OnStreamData(1, 0, Bytes("dropped!")).ok());
  ASSERT_TRUE(sink.OnStreamData(2, 0, Bytes("selected")).ok());
  ASSERT_TRUE(sink.OnStreamEnd(1).ok());
  ASSERT_TRUE(sink.OnStreamEnd(2).ok());
  ASSERT_TRUE(sink.Finish().ok());
  EXPECT_EQ(inner.calls,
            (std::vector<std::string>{"record big.conf", "data 2 0 8", "end 2", "finish"}));
  EXPECT_EQ(sink.stats().forwarded, 1u);
  EXPECT_EQ(sink.stats().dropped, 1u);
  EXPECT_EQ(sink.stats().dropped_bytes, 8u);
}

TEST(SelectingSinkTest, PassesOnStreamCallsForFileIdsItDidNotDrop) {
  RecordingSink inner;
  SelectingSink sink(&inner, ConfOnly);
  ASSERT_TRUE(sink.OnRecord(StreamRecord("x.log", 1, 8)).ok());
  ASSERT_TRUE(sink.OnStreamEnd(1).ok());
  // File id 1 has ended: a late chunk is the inner sink's to judge, as is an unknown id.
  ASSERT_TRUE(sink.OnStreamData(1, 0, Bytes("x")).ok());
  ASSERT_TRUE(sink.OnStreamData(9, 0, Bytes("y")).ok());
  EXPECT_EQ(inner.calls, (std::vector<std::string>{"data 1 0 1", "data 9 0 1"}));
}

TEST(SelectingSinkTest, PassesOnUnselectedParentsOnceBeforeTheFirstSelectedChild) {
  RecordingSink inner;
  SelectingSink sink(&inner, ConfOnly);
  for (const char* dir : {"etc", "etc/app", "etc/app/sub", "var"}) {
    ASSERT_TRUE(sink.OnRecord(DirRecord(dir)).ok());
  }
  ASSERT_TRUE(sink.OnRecord(testing::FileRecord("etc/app/a.conf", "x")).ok());
  ASSERT_TRUE(sink.OnRecord(testing::FileRecord("etc/app/b.conf", "y")).ok());
  ASSERT_TRUE(sink.OnRecord(testing::FileRecord("etc/app/c.txt", "z")).ok());
  EXPECT_EQ(inner.calls,
            (std::vector<std::string>{"record etc", "record etc/app", "record etc/app/a.conf",
                                      "record etc/app/b.conf"}));
  EXPECT_EQ(sink.stats().ancestors, 2u);
}

TEST(SelectingSinkTest, LeavesParentsOutWhenAncestorsAreOff) {
  RecordingSink inner;
  SelectingSink sink(&inner, ConfOnly, {.ancestors = false});
  ASSERT_TRUE(sink.OnRecord(DirRecord("etc")).ok());
  ASSERT_TRUE(sink.OnRecord(testing::FileRecord("etc/a.conf", "x")).ok());
  EXPECT_EQ(inner.calls, std::vector<std::string>{"record etc/a.conf"});
}

TEST(SelectingSinkTest, PredicateSeesPathAndMetadata) {
  RecordingSink inner;
  SelectingSink sink(&inner, [](std::string_view, const RecordMeta& meta) {
    return meta.type == RecordType::kDirectory || meta.size < 3;
  });
  ASSERT_TRUE(sink.OnRecord(DirRecord("d")).ok());
  ASSERT_TRUE(sink.OnRecord(testing::FileRecord("d/small", "ab")).ok());
  ASSERT_TRUE(sink.OnRecord(testing::FileRecord("d/large", "abcd")).ok());
  EXPECT_EQ(inner.calls, (std::vector<std::string>{"record d", "record d/small"}));
}

TEST(SelectingSinkTest, DropsAndReportsHardLinksToDroppedFiles) {
  RecordingSink inner;
  SelectingSink sink(&inner, ConfOnly);
  Record target = testing::FileRecord("data.bin", "x");
  target.meta.nlink = 2;
  ASSERT_TRUE(sink.OnRecord(target).ok());
  ASSERT_TRUE(sink.OnRecord(HardlinkRecord("copy.conf", "data.bin")).ok());
  Record kept = testing::FileRecord("a.conf", "y");
  kept.meta.nlink = 2;
  ASSERT_TRUE(sink.OnRecord(kept).ok());
  ASSERT_TRUE(sink.OnRecord(HardlinkRecord("b.conf", "a.conf")).ok());
  EXPECT_EQ(inner.calls, (std::vector<std::string>{"record a.conf", "record b.conf"}));
  ASSERT_EQ(sink.problems().items().size(), 1u);
  EXPECT_EQ(sink.problems().items()[0].path, "copy.conf");
  EXPECT_NE(sink.problems().items()[0].message.find("data.bin"), std::string::npos);
}

TEST(SelectingSinkTest, ReturnsTheInnerSinksErrors) {
  RecordingSink inner;
  inner.fail_on = "x.conf";
  SelectingSink sink(&inner, ConfOnly);
  EXPECT_EQ(sink.OnRecord(testing::FileRecord("x.conf", "1")).code(), Code::kIoError);
}

}  // namespace
}  // namespace diskferry
