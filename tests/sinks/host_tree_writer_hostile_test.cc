// HostTreeWriter against a hostile guest: nothing may appear or change outside DEST.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sinks/host_tree_writer.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::Bytes;
using testing::DirRecord;
using testing::Exists;
using testing::FileRecord;
using testing::HardlinkRecord;
using testing::ListDir;
using testing::ReadFile;
using testing::SpecialRecord;
using testing::StreamRecord;
using testing::SymlinkRecord;

// scratch/dest is DEST; scratch/outside holds "victim" and must stay exactly as it was.
class HostileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(dest_.c_str(), 0700), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0700), 0);
    testing::WriteFile(outside_ + "/victim", "precious");
    auto writer = HostTreeWriter::Open(dest_, {});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    w_ = std::move(*writer);
  }
  void ExpectOutsideUntouched() {
    EXPECT_EQ(ListDir(outside_), std::vector<std::string>{"victim"});
    EXPECT_EQ(ReadFile(outside_ + "/victim"), "precious");
    struct stat st;
    ASSERT_EQ(stat((outside_ + "/victim").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u);
    EXPECT_EQ(ListDir(scratch_.path()), (std::vector<std::string>{"dest", "outside"}));
  }
  std::string Dest(std::string_view rel) const { return dest_ + "/" + std::string(rel); }
  static void ExpectProtocolError(const Status& st, std::string_view fragment) {
    EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
    EXPECT_NE(st.message().find(fragment), std::string::npos) << st.message();
  }

  testing::ScratchDir scratch_;
  std::string dest_ = scratch_ / "dest";
  std::string outside_ = scratch_ / "outside";
  std::unique_ptr<HostTreeWriter> w_;
};

TEST_F(HostileWriterTest, RefusesUnsafePathsEvenWithoutTheRecordReader) {
  for (std::string_view bad : {"../outside/x", "/tmp/x", "a/../../outside/x", "a//b", "./a", ""}) {
    ExpectProtocolError(w_->OnRecord(FileRecord(bad, "evil")), "unsafe path");
    ExpectProtocolError(w_->OnRecord(DirRecord(bad)), "unsafe path");
    ExpectProtocolError(w_->OnRecord(SymlinkRecord(bad, "/")), "unsafe path");
  }
  ExpectProtocolError(w_->OnRecord(FileRecord(std::string_view("a\0b", 3), "x")), "NUL");
  ExpectOutsideUntouched();
  EXPECT_EQ(ListDir(dest_), std::vector<std::string>{});
}

TEST_F(HostileWriterTest, NeverFollowsASymlinkItWroteEarlier) {
  ASSERT_TRUE(w_->OnRecord(SymlinkRecord("abs", outside_)).ok());
  ASSERT_TRUE(w_->OnRecord(SymlinkRecord("rel", "../outside")).ok());
  ASSERT_TRUE(w_->OnRecord(FileRecord("f", "in dest")).ok());
  uint64_t id = 0;
  for (std::string dir : {"abs", "rel"}) {
    ++id;
    const std::string evil = dir + "/evil", sub = dir + "/sub", deep = dir + "/sub/deeper";
    const std::string link = dir + "/link", hard = dir + "/hard", fifo = dir + "/fifo";
    const std::string stream = dir + "/stream", victim = dir + "/victim";
    ASSERT_TRUE(w_->OnRecord(FileRecord(evil, "evil")).ok());
    ASSERT_TRUE(w_->OnRecord(FileRecord(victim, "overwritten")).ok());
    ASSERT_TRUE(w_->OnRecord(DirRecord(sub)).ok());
    ASSERT_TRUE(w_->OnRecord(FileRecord(deep, "evil")).ok());
    ASSERT_TRUE(w_->OnRecord(SymlinkRecord(link, "/etc/shadow")).ok());
    ASSERT_TRUE(w_->OnRecord(HardlinkRecord(hard, "f")).ok());
    ASSERT_TRUE(w_->OnRecord(SpecialRecord(fifo, 010644)).ok());
    ASSERT_TRUE(w_->OnRecord(StreamRecord(stream, id, 4)).ok());
    ASSERT_TRUE(w_->OnStreamData(id, 0, Bytes("evil")).ok());
    ASSERT_TRUE(w_->OnStreamEnd(id).ok());
  }
  ASSERT_TRUE(w_->Finish().ok());
  ExpectOutsideUntouched();
  EXPECT_EQ(w_->report().problems.total(), 16u);
  EXPECT_EQ(w_->report().problems.items()[0].path, "abs/evil");
  EXPECT_NE(w_->report().problems.items()[0].message.find("symlink or not a directory"),
            std::string::npos);
}

TEST_F(HostileWriterTest, ReplacesAPreexistingSymlinkInsteadOfWritingThroughIt) {
  ASSERT_EQ(symlink((outside_ + "/victim").c_str(), Dest("file").c_str()), 0);
  ASSERT_EQ(symlink((outside_ + "/new").c_str(), Dest("dangling").c_str()), 0);
  ASSERT_EQ(symlink((outside_ + "/victim").c_str(), Dest("stream").c_str()), 0);
  ASSERT_EQ(symlink(outside_.c_str(), Dest("dir").c_str()), 0);
  ASSERT_TRUE(w_->OnRecord(FileRecord("file", "evil")).ok());
  ASSERT_TRUE(w_->OnRecord(FileRecord("dangling", "evil")).ok());
  ASSERT_TRUE(w_->OnRecord(StreamRecord("stream", 1, 4)).ok());
  ASSERT_TRUE(w_->OnStreamData(1, 0, Bytes("evil")).ok());
  ASSERT_TRUE(w_->OnStreamEnd(1).ok());
  ASSERT_TRUE(w_->OnRecord(DirRecord("dir")).ok());
  ASSERT_TRUE(w_->OnRecord(FileRecord("dir/victim", "evil")).ok());
  ASSERT_TRUE(w_->Finish().ok());
  ExpectOutsideUntouched();
  for (const char* rel : {"file", "dangling", "stream", "dir/victim"}) {
    struct stat st;
    ASSERT_EQ(lstat(Dest(rel).c_str(), &st), 0) << rel;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << rel;
    EXPECT_EQ(ReadFile(Dest(rel)), "evil") << rel;
  }
}

TEST_F(HostileWriterTest, NeverFollowsAPreexistingSymlinkInAParent) {
  ASSERT_EQ(symlink(outside_.c_str(), Dest("dir").c_str()), 0);
  ASSERT_TRUE(w_->OnRecord(FileRecord("dir/victim", "evil")).ok());
  ASSERT_TRUE(w_->OnRecord(FileRecord("dir/new", "evil")).ok());
  ExpectOutsideUntouched();
  EXPECT_EQ(w_->report().problems.total(), 2u);
}

TEST_F(HostileWriterTest, DoesNotWriteThroughAPreexistingHardLink) {
  ASSERT_EQ(link((outside_ + "/victim").c_str(), Dest("shared").c_str()), 0);
  ASSERT_TRUE(w_->OnRecord(FileRecord("shared", "evil")).ok());
  ASSERT_TRUE(w_->Finish().ok());
  ExpectOutsideUntouched();
  EXPECT_EQ(ReadFile(Dest("shared")), "evil");
}

TEST_F(HostileWriterTest, RefusesHardLinkTargetsOutsideDest) {
  ExpectProtocolError(w_->OnRecord(HardlinkRecord("h", "../outside/victim")),
                      "hard link target: unsafe path");
  ExpectProtocolError(w_->OnRecord(HardlinkRecord("h", outside_ + "/victim")), "absolute");
  ExpectOutsideUntouched();
  EXPECT_FALSE(Exists(Dest("h")));
}

TEST_F(HostileWriterTest, HardLinkTargetsAreNeverResolvedThroughSymlinks) {
  ASSERT_TRUE(w_->OnRecord(SymlinkRecord("out", outside_)).ok());
  ASSERT_TRUE(w_->OnRecord(SymlinkRecord("victim_link", outside_ + "/victim")).ok());
  ASSERT_TRUE(w_->OnRecord(HardlinkRecord("through_dir", "out/victim")).ok());
  ASSERT_TRUE(w_->OnRecord(HardlinkRecord("to_link", "victim_link")).ok());
  ASSERT_TRUE(w_->Finish().ok());
  ExpectOutsideUntouched();
  EXPECT_FALSE(Exists(Dest("through_dir")));
  struct stat st;
  ASSERT_EQ(lstat(Dest("to_link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));  // a second name for the symlink, not for the victim
  EXPECT_EQ(w_->report().problems.total(), 1u);
}

TEST_F(HostileWriterTest, HardLinkToItselfDoesNotDeleteTheFile) {
  ASSERT_TRUE(w_->OnRecord(FileRecord("f", "data")).ok());
  ASSERT_TRUE(w_->OnRecord(HardlinkRecord("f", "f")).ok());
  EXPECT_EQ(ReadFile(Dest("f")), "data");
  EXPECT_EQ(w_->report().problems.total(), 1u);
}

TEST_F(HostileWriterTest, RefusesSymlinkTargetWithNul) {
  ExpectProtocolError(w_->OnRecord(SymlinkRecord("l", std::string_view("/tmp\0x", 6))),
                      "symlink target contains NUL");
  EXPECT_FALSE(Exists(Dest("l")));
}

TEST_F(HostileWriterTest, RefusesABadXattrBlobWhenApplyingXattrs) {
  HostWriterOptions options;
  options.safety.xattrs = XattrScope::kAll;
  auto w = HostTreeWriter::Open(dest_, options);
  const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 'x'};
  Record f = FileRecord("f", "x");
  f.xattrs = garbage;
  ExpectProtocolError((*w)->OnRecord(f), "record \"f\": xattr entry lengths");
  EXPECT_FALSE(Exists(Dest("f")));
  EXPECT_TRUE(w_->OnRecord(f).ok());  // ignored when xattrs are not applied
}

TEST_F(HostileWriterTest, RefusesAnUnknownRecordType) {
  Record r = FileRecord("f", "x");
  r.meta.type = static_cast<RecordType>(99);
  ExpectProtocolError(w_->OnRecord(r), "unknown type 99");
  EXPECT_FALSE(Exists(Dest("f")));
}

TEST_F(HostileWriterTest, SpecialRecordOfARegularFileTypeIsNotCreated) {
  ASSERT_TRUE(w_->OnRecord(SpecialRecord("reg", 0100644)).ok());
  ASSERT_TRUE(w_->OnRecord(SpecialRecord("dir", 040755)).ok());
  EXPECT_FALSE(Exists(Dest("reg")));
  EXPECT_FALSE(Exists(Dest("dir")));
  EXPECT_EQ(w_->report().problems.total(), 2u);
}

TEST_F(HostileWriterTest, RefusesStreamDataForAnUnannouncedFile) {
  ExpectProtocolError(w_->OnStreamData(5, 0, Bytes("x")), "file_id 5 for an unannounced file");
  ExpectProtocolError(w_->OnStreamEnd(5), "stream end of file_id 5");
}

TEST_F(HostileWriterTest, RefusesStreamDataBeyondTheAnnouncedSize) {
  ASSERT_TRUE(w_->OnRecord(StreamRecord("s", 1, 4)).ok());
  ExpectProtocolError(w_->OnStreamData(1, 2, Bytes("abc")),
                      "offset 2 + length 3 beyond its size 4");
  ExpectProtocolError(w_->OnStreamData(1, UINT64_MAX, Bytes("a")), "beyond its size");
  ExpectProtocolError(w_->OnStreamData(1, UINT64_MAX - 1, Bytes("abc")), "beyond its size");
  struct stat st;
  ASSERT_EQ(lstat(Dest("s").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4);
}

TEST_F(HostileWriterTest, RefusesADuplicateFileId) {
  ASSERT_TRUE(w_->OnRecord(StreamRecord("s", 1, 4)).ok());
  ExpectProtocolError(w_->OnRecord(StreamRecord("t", 1, 4)), "file_id 1 already used");
  ASSERT_TRUE(w_->OnStreamEnd(1).ok());
  ExpectProtocolError(w_->OnRecord(StreamRecord("u", 1, 4)), "file_id 1 already used");
  EXPECT_FALSE(Exists(Dest("t")));
  EXPECT_FALSE(Exists(Dest("u")));
}

TEST_F(HostileWriterTest, RefusesStreamDataAfterItsEnd) {
  ASSERT_TRUE(w_->OnRecord(StreamRecord("s", 1, 4)).ok());
  ASSERT_TRUE(w_->OnStreamEnd(1).ok());
  ExpectProtocolError(w_->OnStreamData(1, 0, Bytes("late")), "after its end");
  ExpectProtocolError(w_->OnStreamEnd(1), "after its end");
}

TEST_F(HostileWriterTest, FinishRefusesAnUnfinishedStreamFile) {
  ASSERT_TRUE(w_->OnRecord(StreamRecord("s", 1, 4)).ok());
  ExpectProtocolError(w_->Finish(), "stream file \"s\" unfinished");
}

TEST_F(HostileWriterTest, HugeStreamFileIsAProblemAndItsDataIsDropped) {
  ASSERT_TRUE(w_->OnRecord(StreamRecord("huge", 1, UINT64_MAX)).ok());
  ASSERT_TRUE(w_->OnStreamData(1, 1u << 30, Bytes("x")).ok());
  ASSERT_TRUE(w_->OnStreamEnd(1).ok());
  EXPECT_EQ(w_->report().problems.total(), 1u);
}

TEST_F(HostileWriterTest, StreamFileReplacedWhileClosedIsNotWrittenThrough) {
  ASSERT_TRUE(w_->OnRecord(StreamRecord("s", 0, 4)).ok());
  std::vector<std::string> others;
  for (int i = 1; i <= 64; ++i) others.push_back("o" + std::to_string(i));
  for (int i = 1; i <= 64; ++i) ASSERT_TRUE(w_->OnRecord(StreamRecord(others[i - 1], i, 1)).ok());
  // "s" has been closed to make room; a later record puts a symlink in its place.
  ASSERT_TRUE(w_->OnRecord(SymlinkRecord("s", outside_ + "/victim")).ok());
  ASSERT_TRUE(w_->OnStreamData(0, 0, Bytes("evil")).ok());
  ASSERT_TRUE(w_->OnStreamEnd(0).ok());
  ExpectOutsideUntouched();
  EXPECT_EQ(w_->report().problems.total(), 1u);
}

}  // namespace
}  // namespace diskferry
