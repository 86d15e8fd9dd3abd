// The sinks of an extraction against a guest that would make the host hold its records
// without writing them (held_budget.h), and TarSink against archives a naive tar -x would
// follow out of its directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "sinks/hashing_sink.h"
#include "sinks/host_tree_writer.h"
#include "sinks/ordering_sink.h"
#include "sinks/selecting_sink.h"
#include "sinks/tar_sink.h"
#include "tests/sinks/recording_sink.h"
#include "tests/sinks/tar_test_support.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::DirRecord;
using testing::HardlinkRecord;
using testing::ReadFile;
using testing::ReadTar;
using testing::RecordingSink;
using testing::StreamRecord;
using testing::SymlinkRecord;

std::string Numbered(const char* prefix, int i) {
  char name[32];
  std::snprintf(name, sizeof name, "%s%04d", prefix, i);
  return name;
}

void ExpectMisbehaved(const Status& st, std::string_view fragment) {
  EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
  EXPECT_EQ(st.message().rfind(kMisbehavedPrefix, 0), 0u) << st.message();
  EXPECT_NE(st.message().find(fragment), std::string::npos) << st.message();
}

// Feeds `count` records made by `make` until one fails; returns that failure (or Ok).
template <typename Make>
Status FeedUntilRefused(TreeSink& sink, int count, Make make, int* accepted) {
  for (*accepted = 0; *accepted < count; ++*accepted) {
    Record r = make(*accepted);
    if (Status st = sink.OnRecord(r); !st.ok()) return st;
  }
  return Status::Ok();
}

TEST(HeldMemoryTest, OrderingSinkStopsHoldingRecordsBehindAStreamFileThatNeverEnds) {
  OrderingSink sink({}, [](const FileRecord&, uint64_t) {}, {.records = 64});
  ASSERT_TRUE(sink.OnRecord(StreamRecord("a", 1, 10)).ok());
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back(Numbered("b", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      sink, 200, [&](int i) { return testing::FileRecord(names[i], "x"); }, &accepted);
  ExpectMisbehaved(st, "more than 64 entries waiting");
  EXPECT_EQ(accepted, 63);
  EXPECT_LE(sink.pending(), 64u);
}

TEST(HeldMemoryTest, OrderingSinkRefusesARepeatOfAPathStillWaiting) {
  OrderingSink sink({}, [](const FileRecord&, uint64_t) {});
  ASSERT_TRUE(sink.OnRecord(StreamRecord("a", 1, 10)).ok());
  ASSERT_TRUE(sink.OnRecord(DirRecord("d")).ok());
  ExpectMisbehaved(sink.OnRecord(DirRecord("d")), "\"d\" sent twice");
  EXPECT_EQ(sink.pending(), 2u);
}

TEST(HeldMemoryTest, OrderingSinkAcceptsAPathAgainOnceReleased) {
  // A path released is forgotten: checking it would cost memory for the whole tree.
  OrderingSink sink({}, [](const FileRecord&, uint64_t) {}, {.records = 4});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(sink.OnRecord(DirRecord("d")).ok()) << i;
  EXPECT_EQ(sink.pending(), 0u);
}

TEST(HeldMemoryTest, HashingSinkStopsAtTheLimitOfUnfinishedStreamFiles) {
  // A list or verify job has no writer behind the hashing sink to refuse them.
  auto sink = HashingSink::Create(nullptr, {"sha256"}, [](const FileRecord&) {});
  ASSERT_TRUE(sink.ok());
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back(Numbered("s", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      **sink, 300, [&](int i) { return StreamRecord(names[i], i + 1, 10); }, &accepted);
  ExpectMisbehaved(st, "more than 256 stream files");
  EXPECT_EQ(accepted, 256);
}

bool NothingSelected(std::string_view, const RecordMeta&) { return false; }

TEST(HeldMemoryTest, SelectingSinkStopsKeepingDroppedDirectoriesAtTheLimit) {
  RecordingSink inner;
  SelectingSink sink(&inner, NothingSelected, {.held = {.records = 10}});
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back(Numbered("d", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      sink, 50, [&](int i) { return DirRecord(names[i]); }, &accepted);
  ExpectMisbehaved(st, "more than 10 dropped directories and linked paths");
  EXPECT_EQ(accepted, 10);
}

TEST(HeldMemoryTest, SelectingSinkCountsTheBytesOfDroppedDirectories) {
  RecordingSink inner;
  SelectingSink sink(&inner, NothingSelected, {.held = {.bytes = 1000}});
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back(std::string(196, 'n') + Numbered("", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      sink, 50, [&](int i) { return DirRecord(names[i]); }, &accepted);
  ExpectMisbehaved(st, "more than 1000 bytes of dropped directories");
  EXPECT_EQ(accepted, 5);
}

TEST(HeldMemoryTest, SelectingSinkStopsRememberingDroppedLinkedFilesAtTheLimit) {
  RecordingSink inner;
  SelectingSink sink(&inner, NothingSelected, {.held = {.records = 10}});
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back(Numbered("f", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      sink, 50,
      [&](int i) {
        Record r = testing::FileRecord(names[i], "x");
        r.meta.nlink = 2;
        return r;
      },
      &accepted);
  ExpectMisbehaved(st, "more than 10 dropped directories and linked paths");
  EXPECT_EQ(accepted, 10);
}

TEST(HeldMemoryTest, SelectingSinkKeepsARepeatedDroppedDirectoryOnce) {
  RecordingSink inner;
  SelectingSink sink(&inner, NothingSelected, {.held = {.records = 2}});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(sink.OnRecord(DirRecord("d")).ok()) << i;
}

class WriterHeldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(dest_.c_str(), 0700), 0);
    Reopen({});
  }
  void Reopen(const HostWriterOptions& options) {
    auto writer = HostTreeWriter::Open(dest_, options);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    w_ = std::move(*writer);
  }
  testing::ScratchDir scratch_;
  std::string dest_ = scratch_ / "dest";
  std::unique_ptr<HostTreeWriter> w_;
};

TEST_F(WriterHeldTest, ARepeatedDirectoryRecordIsAnErrorNotAnotherPendingDirectory) {
  ASSERT_TRUE(w_->OnRecord(DirRecord("d")).ok());
  ASSERT_TRUE(w_->OnRecord(DirRecord("d/e")).ok());
  ExpectMisbehaved(w_->OnRecord(DirRecord("d")), "directory \"d\" sent twice");
  EXPECT_EQ(w_->TakePendingDirectories().size(), 2u);
}

TEST_F(WriterHeldTest, StreamFilesThatNeverEndStopAtTheLimit) {
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back(Numbered("s", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      *w_, 300, [&](int i) { return StreamRecord(names[i], i + 1, 1 << 20); }, &accepted);
  ExpectMisbehaved(st, "more than 256 stream files");
  EXPECT_EQ(accepted, 256);
  EXPECT_EQ(w_->RemoveUnfinished(), 256u);
}

TEST_F(WriterHeldTest, PendingDirectoriesStopAtTheLimit) {
  Reopen({.held = {.records = 10}});
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back(Numbered("d", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      *w_, 50, [&](int i) { return DirRecord(names[i]); }, &accepted);
  ExpectMisbehaved(st, "more than 10 directories and ended stream files remembered");
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(w_->TakePendingDirectories().size(), 10u);
}

TEST_F(WriterHeldTest, PendingDirectoriesCountTheirPathBytes) {
  Reopen({.held = {.bytes = 1000}});
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back(std::string(196, 'n') + Numbered("", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      *w_, 50, [&](int i) { return DirRecord(names[i]); }, &accepted);
  ExpectMisbehaved(st, "more than 1000 bytes of directories and ended stream files");
  EXPECT_EQ(accepted, 5);
}

// Feeds empty stream files, each announced and ended, until one is refused.
Status FeedEndedStreams(TreeSink& sink, int count, int* ended) {
  for (*ended = 0; *ended < count; ++*ended) {
    const uint64_t id = static_cast<uint64_t>(*ended) + 1;
    if (Status st = sink.OnRecord(StreamRecord(Numbered("s", *ended), id, 0)); !st.ok()) return st;
    if (Status st = sink.OnStreamEnd(id); !st.ok()) return st;
  }
  return Status::Ok();
}

TEST_F(WriterHeldTest, EndedStreamFilesRememberedStopAtTheLimit) {
  Reopen({.held = {.records = 10}});
  int ended = 0;
  ExpectMisbehaved(FeedEndedStreams(*w_, 50, &ended),
                   "more than 10 directories and ended stream files remembered");
  EXPECT_EQ(ended, 10);
}

class TarHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(outside_.c_str(), 0700), 0);
    testing::WriteFile(outside_ + "/victim", "precious");
  }
  std::unique_ptr<TarSink> Open(TarOptions options = {}) {
    auto sink = TarSink::Open(out_, options);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(*sink) : nullptr;
  }
  void ExpectVictimUntouched() {
    EXPECT_EQ(ReadFile(outside_ + "/victim"), "precious");
    struct stat st;
    ASSERT_EQ(stat((outside_ + "/victim").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u);
  }

  testing::ScratchDir scratch_;
  std::string out_ = scratch_ / "out.tar";
  std::string outside_ = scratch_ / "outside";
};

TEST_F(TarHostileTest, HardLinksWaitingForAStreamFileThatNeverEndsStopAtTheLimit) {
  auto sink = Open({.held = {.records = 10}});
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 1, 10)).ok());
  std::vector<std::string> names;
  for (int i = 0; i < 50; ++i) names.push_back(Numbered("l", i));
  int accepted = 0;
  Status st = FeedUntilRefused(
      *sink, 50, [&](int i) { return HardlinkRecord(names[i], "big"); }, &accepted);
  ExpectMisbehaved(st, "more than 10 hard links waiting for their target");
  EXPECT_EQ(accepted, 10);
}

TEST_F(TarHostileTest, EndedStreamFilesRememberedStopAtTheLimit) {
  auto sink = Open({.held = {.records = 10}});
  ASSERT_NE(sink, nullptr);
  int ended = 0;
  ExpectMisbehaved(FeedEndedStreams(*sink, 50, &ended), "more than 10 hard links waiting");
  EXPECT_EQ(ended, 10);
}

TEST_F(TarHostileTest, EntriesBeneathAnEarlierSymlinkAreRefusedAndReported) {
  auto sink = Open();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->OnRecord(SymlinkRecord("a", "/etc")).ok());
  ASSERT_TRUE(sink->OnRecord(DirRecord("a/sub")).ok());
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("a/passwd", "root::0:0::/:/bin/sh\n")).ok());
  ASSERT_TRUE(sink->OnRecord(StreamRecord("a/sub/big", 1, 4)).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 0, testing::Bytes("evil")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  ASSERT_TRUE(sink->OnRecord(HardlinkRecord("h", "a/shadow")).ok());
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("ab", "fine")).ok());
  ASSERT_TRUE(sink->Finish().ok());
  const auto tar = ReadTar(out_);
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_EQ(tar.Paths(), (std::vector<std::string>{"a", "ab"}));
  const auto& problems = sink->report().problems;
  ASSERT_EQ(problems.total(), 4u);
  EXPECT_EQ(problems.items()[0].path, "a/sub");
  EXPECT_NE(problems.items()[0].message.find("beneath symlink \"a\""), std::string::npos)
      << problems.items()[0].message;
  EXPECT_EQ(problems.items()[3].path, "h");
  EXPECT_NE(problems.items()[3].message.find("hard link to \"a/shadow\", beneath symlink \"a\""),
            std::string::npos)
      << problems.items()[3].message;
}

TEST_F(TarHostileTest, APartialFileHardLinkedElsewhereIsReplacedNotWrittenThrough) {
  ASSERT_EQ(link((outside_ + "/victim").c_str(), (out_ + ".partial").c_str()), 0);
  auto sink = Open();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("f", "data")).ok());
  ASSERT_TRUE(sink->Finish().ok());
  ExpectVictimUntouched();
  EXPECT_EQ(ReadTar(out_).Paths(), std::vector<std::string>{"f"});
}

TEST_F(TarHostileTest, APartialFileThatIsASymlinkIsReplacedNotFollowed) {
  ASSERT_EQ(symlink((outside_ + "/victim").c_str(), (out_ + ".partial").c_str()), 0);
  auto sink = Open();
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->Finish().ok());
  ExpectVictimUntouched();
  EXPECT_TRUE(ReadTar(out_).ok);
}

}  // namespace
}  // namespace diskferry
