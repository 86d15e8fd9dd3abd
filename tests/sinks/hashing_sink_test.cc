// HashingSink and MultiDigest: known digests, logical content of sparse stream files,
// one FileRecord per entry, passing every call on to the inner sink.
#include "sinks/hashing_sink.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "tests/sinks/recording_sink.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::Bytes;
using testing::RecordingSink;
using testing::StreamRecord;

constexpr char kSha256Abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kSha1Abc[] = "a9993e364706816aba3e25717850c26c9cd0d89d";
constexpr char kMd5Abc[] = "900150983cd24fb0d6963f7d28e17f72";
constexpr char kSha256Empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// sha256 of `content` computed in one shot, independently of MultiDigest.
std::string Sha256Of(const std::string& content) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(content.data(), content.size(), md, &n, EVP_sha256(), nullptr), 1);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", md[i]);
    hex += byte;
  }
  return hex;
}

class HashingSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<HashingSink> Make(TreeSink* inner,
                                    std::vector<std::string> algorithms = {"sha256"}) {
    auto sink = HashingSink::Create(inner, algorithms,
                                    [this](const FileRecord& r) { records_.push_back(r); });
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(*sink) : nullptr;
  }
  const FileRecord* Find(const std::string& path) const {
    for (const FileRecord& r : records_) {
      if (r.path == path) return &r;
    }
    return nullptr;
  }

  std::vector<FileRecord> records_;
};

TEST_F(HashingSinkTest, HashesInlineFilesWithEveryAlgorithmAsked) {
  auto sink = Make(nullptr, {"sha256", "sha1", "md5", "sha256"});
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("abc", "abc")).ok());
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("empty", "")).ok());
  ASSERT_TRUE(sink->Finish().ok());
  ASSERT_EQ(records_.size(), 2u);
  const std::map<std::string, std::string> abc = {
      {"sha256", kSha256Abc}, {"sha1", kSha1Abc}, {"md5", kMd5Abc}};
  EXPECT_EQ(records_[0].hashes, abc);
  EXPECT_EQ(records_[0].type, "file");
  EXPECT_EQ(records_[0].size, 3u);
  EXPECT_EQ(records_[0].status, "ok");
  EXPECT_EQ(records_[1].hashes.at("sha256"), kSha256Empty);
}

TEST_F(HashingSinkTest, DescribesInodeLinksTimesAndACreationTimeOnlyWhenFlagged) {
  auto sink = Make(nullptr);
  Record known = testing::FileRecord("known", "abc");
  known.meta.ino = 12;
  known.meta.nlink = 2;
  known.meta.atime_ns = 11;
  known.meta.ctime_ns = 22;
  known.meta.flags = kRecordHasCrtime;
  known.meta.crtime_ns = 33;
  Record unknown = testing::FileRecord("unknown", "abc");
  unknown.meta.crtime_ns = 44;  // without the flag: not a creation time
  ASSERT_TRUE(sink->OnRecord(known).ok());
  ASSERT_TRUE(sink->OnRecord(unknown).ok());
  ASSERT_TRUE(sink->Finish().ok());
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_EQ(records_[0].ino, 12u);
  EXPECT_EQ(records_[0].nlink, 2u);
  EXPECT_EQ(records_[0].atime_ns, 11);
  EXPECT_EQ(records_[0].ctime_ns, 22);
  EXPECT_EQ(records_[0].crtime_ns, 33);
  EXPECT_EQ(records_[1].crtime_ns, 0);
}

TEST_F(HashingSinkTest, HashesStreamFilesAsTheirLogicalContentWithHolesAsZeros) {
  auto sink = Make(nullptr);
  const uint64_t size = (1 << 20) + 300;
  ASSERT_TRUE(sink->OnRecord(StreamRecord("sparse", 4, size)).ok());
  ASSERT_TRUE(sink->OnStreamData(4, 1000, Bytes("xyz")).ok());  // hole before
  ASSERT_TRUE(sink->OnStreamData(4, 1003, Bytes("more")).ok());
  ASSERT_TRUE(sink->OnStreamData(4, 700000, Bytes("late")).ok());  // hole between, and after
  ASSERT_TRUE(sink->OnStreamEnd(4).ok());
  std::string logical(size, '\0');
  logical.replace(1000, 7, "xyzmore");
  logical.replace(700000, 4, "late");
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].hashes.at("sha256"), Sha256Of(logical));
  EXPECT_EQ(records_[0].size, size);
}

TEST_F(HashingSinkTest, HashOfAStreamFileEqualsThatOfTheSameInlineFile) {
  auto sink = Make(nullptr);
  ASSERT_TRUE(sink->OnRecord(StreamRecord("s", 1, 3)).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 0, Bytes("ab")).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 2, Bytes("c")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  EXPECT_EQ(records_.at(0).hashes.at("sha256"), kSha256Abc);
}

TEST_F(HashingSinkTest, DescribesEveryKindOfEntry) {
  auto sink = Make(nullptr);
  Record dir = testing::DirRecord("d", 040700);
  dir.meta.uid = 12;
  dir.meta.gid = 34;
  ASSERT_TRUE(sink->OnRecord(dir).ok());
  ASSERT_TRUE(sink->OnRecord(testing::SymlinkRecord("d/l", "../t")).ok());
  ASSERT_TRUE(sink->OnRecord(testing::HardlinkRecord("d/h", "d/f")).ok());
  ASSERT_TRUE(sink->OnRecord(testing::SpecialRecord("d/p", S_IFIFO | 0600)).ok());
  ASSERT_TRUE(sink->OnRecord(testing::ErrorRecord("d/x", EACCES, "d/x: Permission denied")).ok());
  ASSERT_TRUE(sink->Finish().ok());
  const FileRecord* d = Find("d");
  EXPECT_EQ(d->type, "dir");
  EXPECT_EQ(d->mode, 040700u);
  EXPECT_EQ(d->uid, 12u);
  EXPECT_EQ(d->gid, 34u);
  EXPECT_EQ(d->mtime_ns, 1500000000987654321);
  EXPECT_TRUE(d->hashes.empty());
  EXPECT_EQ(Find("d/l")->type, "symlink");
  EXPECT_EQ(Find("d/l")->target, "../t");
  EXPECT_EQ(Find("d/h")->type, "hardlink");
  EXPECT_EQ(Find("d/h")->target, "d/f");
  EXPECT_EQ(Find("d/p")->type, "special");
  EXPECT_EQ(Find("d/x")->type, "error");
  EXPECT_EQ(Find("d/x")->status, "d/x: Permission denied");
  EXPECT_EQ(sink->counts().entries, 5u);
  EXPECT_EQ(sink->counts().errors, 1u);
  EXPECT_EQ(sink->counts().files, 0u);
}

TEST_F(HashingSinkTest, ReportsAStreamFileAtItsEndAndCountsIt) {
  auto sink = Make(nullptr);
  ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 1, 10)).ok());
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("small", "abc")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_EQ(records_[0].path, "small");
  EXPECT_EQ(records_[1].path, "big");
  EXPECT_EQ(records_[1].hashes.at("sha256"), Sha256Of(std::string(10, '\0')));
  EXPECT_EQ(sink->counts().files, 2u);
  EXPECT_EQ(sink->counts().bytes, 13u);
}

TEST_F(HashingSinkTest, StreamDataOutOfOrderLeavesTheFileUnhashedNotFailed) {
  auto sink = Make(nullptr);
  ASSERT_TRUE(sink->OnRecord(StreamRecord("s", 1, 6)).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 3, Bytes("def")).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 0, Bytes("abc")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_TRUE(records_[0].hashes.empty());
  EXPECT_NE(records_[0].status.find("out of order"), std::string::npos);
}

TEST_F(HashingSinkTest, PassesEveryCallOnToTheInnerSinkFirst) {
  RecordingSink inner;
  auto sink = Make(&inner);
  ASSERT_TRUE(sink->OnRecord(testing::DirRecord("d")).ok());
  ASSERT_TRUE(sink->OnRecord(StreamRecord("d/big", 3, 8)).ok());
  ASSERT_TRUE(sink->OnStreamData(3, 4, Bytes("1234")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(3).ok());
  ASSERT_TRUE(sink->Finish().ok());
  EXPECT_EQ(inner.calls, (std::vector<std::string>{"record d", "record d/big", "data 3 4 4",
                                                   "end 3", "finish"}));
}

TEST_F(HashingSinkTest, ReturnsTheInnerSinksErrorAndDoesNotReportTheEntry) {
  RecordingSink inner;
  inner.fail_on = "bad";
  auto sink = Make(&inner);
  EXPECT_EQ(sink->OnRecord(testing::FileRecord("bad", "x")).code(), Code::kIoError);
  EXPECT_TRUE(records_.empty());
}

TEST_F(HashingSinkTest, WithoutInnerSinkJudgesStreamCallsItself) {
  auto sink = Make(nullptr);
  EXPECT_EQ(sink->OnStreamData(5, 0, Bytes("x")).code(), Code::kProtocolError);
  EXPECT_EQ(sink->OnStreamEnd(5).code(), Code::kProtocolError);
  ASSERT_TRUE(sink->OnRecord(StreamRecord("s", 5, 2)).ok());
  EXPECT_EQ(sink->OnStreamData(5, 1, Bytes("xy")).code(), Code::kProtocolError);
  EXPECT_EQ(sink->OnRecord(StreamRecord("t", 5, 2)).code(), Code::kProtocolError);
  const Status st = sink->Finish();
  EXPECT_EQ(st.code(), Code::kProtocolError);
  EXPECT_NE(st.message().find("never ended"), std::string::npos);
}

TEST_F(HashingSinkTest, DescribesWithoutHashingWhenNoAlgorithmIsAsked) {
  auto sink = Make(nullptr, {});
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("f", "abc")).ok());
  EXPECT_TRUE(records_.at(0).hashes.empty());
  EXPECT_EQ(records_.at(0).size, 3u);
}

TEST(HashAlgorithmsTest, RejectsUnknownNames) {
  auto parsed = ParseDigestAlgorithms({"sha256", "sha3"});
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("sha3"), std::string::npos);
  EXPECT_FALSE(HashingSink::Create(nullptr, {"SHA256"}, nullptr).ok());
}

TEST(MultiDigestTest, IsMovableAndHashesZerosLikeExplicitZeros) {
  const std::vector<DigestAlgorithm> algorithms = {DigestAlgorithm::kMd5};
  auto a = MultiDigest::Create(algorithms);
  auto b = MultiDigest::Create(algorithms);
  ASSERT_TRUE(a.ok() && b.ok());
  MultiDigest moved = std::move(*a);
  moved.UpdateZeros(200000);
  const std::string zeros(200000, '\0');
  b->Update(Bytes(zeros));
  EXPECT_EQ(moved.Final()->at("md5"), b->Final()->at("md5"));
  *b = std::move(moved);  // assigning over a used digest frees its contexts
}

}  // namespace
}  // namespace diskferry
