// Extraction and injection over Serve through both lanes (socket: false, shm: true):
// record content and metadata, stream chunks and holes, round trips, and the transfer
// state rules (one at a time, ids, impossible releases, bad buffers).
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/daemon/fs_requests.h"
#include "tests/daemon/transfer_fixture.h"
#include "tests/daemon/tree_samples.h"

namespace diskferry::daemon::testing {
namespace {

class LaneTransferTest : public TransferTest {
 protected:
  void SetUp() override {
    TransferTest::SetUp();
    ASSERT_EQ(::mkdir(Host("/tree").c_str(), 0755), 0);
    if (!BuildSampleTree(Host("/tree"))) GTEST_SKIP() << "no user xattrs on this host";
  }
};

INSTANTIATE_TEST_SUITE_P(Lanes, LaneTransferTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Shm" : "Socket"; });

TEST_P(LaneTransferTest, ExtractCarriesContentMetadataLinksAndHoles) {
  const Extracted x = ExtractAll({"/tree"});
  ASSERT_FALSE(x.records.empty());
  EXPECT_EQ(x.records[0].path, "tree");
  EXPECT_EQ(x.records[0].meta.type, RecordType::kDirectory);
  if (shm()) {
    EXPECT_EQ(x.inline_buffers, 0);
  } else {
    EXPECT_EQ(x.shm_buffers, 0);
  }

  const DecodedRecord* a = x.Find("tree/a.txt");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->meta.type, RecordType::kFile);
  EXPECT_EQ(a->data, "alpha");
  EXPECT_EQ(a->meta.uid, 1001u);
  EXPECT_EQ(a->meta.mode, S_IFREG | 0640u);
  EXPECT_EQ(a->xattrs, (std::vector<std::pair<std::string, std::string>>{{"user.note", "n1"}}));

  const DecodedRecord* big = x.Find("tree/big.bin");
  ASSERT_NE(big, nullptr);
  ASSERT_EQ(big->meta.type, RecordType::kStreamFile);
  EXPECT_EQ(x.streams.at(big->meta.file_id), ReadWhole(Host("/tree/big.bin")));

  const DecodedRecord* sparse = x.Find("tree/sparse.img");
  ASSERT_NE(sparse, nullptr);
  ASSERT_EQ(sparse->meta.type, RecordType::kStreamFile);
  EXPECT_EQ(sparse->meta.size, kSampleSparseSize);
  EXPECT_EQ(x.stream_bytes.at(sparse->meta.file_id), kSampleSparseData) << "holes not sent";
  EXPECT_EQ(x.streams.at(sparse->meta.file_id), ReadWhole(Host("/tree/sparse.img")));

  const DecodedRecord* hard = x.Find("tree/sub/hard2");
  ASSERT_NE(hard, nullptr);
  EXPECT_EQ(hard->meta.type, RecordType::kHardlink);
  EXPECT_EQ(hard->target, "tree/hard1");
  EXPECT_EQ(x.Find("tree/link")->target, "a.txt");
  EXPECT_EQ(x.Find("tree/abs-link")->target, "/etc/passwd");
  EXPECT_EQ(x.Find("tree/fifo")->meta.type, RecordType::kSpecial);

  EXPECT_EQ(x.files, x.records.size());
  uint64_t bytes = 0;
  for (const DecodedRecord& r : x.records) bytes += r.data.size();
  for (const auto& [id, sent] : x.stream_bytes) bytes += sent;
  EXPECT_EQ(x.bytes, bytes);
}

TEST_P(LaneTransferTest, ExtractedTreeRecreatedOnTheHostIsTheSame) {
  const std::string dest = MakeTempDir("df-extract-dest");
  EXPECT_TRUE(ExtractInto({"/tree"}, dest).empty());
  EXPECT_EQ(CompareTrees(Host("/tree"), dest + "/tree"), std::vector<std::string>());
  std::filesystem::remove_all(dest);
}

TEST_P(LaneTransferTest, InjectThenExtractRoundTrip) {
  const Injected in = Inject(Host("/tree"), "/copies/dst");
  EXPECT_TRUE(in.errors.empty()) << in.errors.front().message;
  EXPECT_EQ(CompareTrees(Host("/tree"), Host("/copies/dst")), std::vector<std::string>());
  EXPECT_GT(in.files, 10u);
  EXPECT_GE(in.bytes, kSampleBigSize + kSampleSparseData);
  struct stat st {};
  ASSERT_EQ(::stat(Host("/copies/dst/sparse.img").c_str(), &st), 0);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, kSampleSparseSize / 2) << "still sparse";

  const std::string back = MakeTempDir("df-roundtrip");
  EXPECT_TRUE(ExtractInto({"/copies/dst"}, back).empty());
  EXPECT_EQ(CompareTrees(Host("/tree"), back + "/dst"), std::vector<std::string>());
  std::filesystem::remove_all(back);
}

TEST_P(LaneTransferTest, InjectReportsPerFileErrorsAndGoesOn) {
  ASSERT_EQ(::mkdir(Host("/dst").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(Host("/dst/a.txt").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(Host("/dst/a.txt/in-the-way").c_str(), 0755), 0);
  const Injected in = Inject(Host("/tree"), "/dst");
  ASSERT_EQ(in.errors.size(), 1u);
  EXPECT_EQ(in.errors[0].path, "a.txt");
  EXPECT_EQ(in.errors[0].code, "EISDIR");
  EXPECT_EQ(ReadWhole(Host("/dst/big.bin")), ReadWhole(Host("/tree/big.bin")));
}

TEST_P(LaneTransferTest, InjectWithoutOwnersKeepsTheDaemonsOwner) {
  const Injected in = Inject(Host("/tree"), "/dst", /*owners=*/false);
  EXPECT_TRUE(in.errors.empty());
  struct stat st {};
  ASSERT_EQ(::lstat(Host("/dst/a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getuid());
}

using TransferStateTest = TransferTest;
INSTANTIATE_TEST_SUITE_P(Lanes, TransferStateTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Shm" : "Socket"; });

TEST_P(TransferStateTest, OneTransferAtATimeAndIdsMustMatch) {
  const uint64_t id = Started(ExtractStartRequest({"/"}, 1024, false, shm()));
  ASSERT_NE(id, 0u);
  EXPECT_EQ(CallError(ExtractStartRequest({"/"}, 1024, false, shm())), "EBUSY");
  EXPECT_EQ(CallError(InjectStartRequest("/x", false, shm(), true)), "EBUSY");
  EXPECT_EQ(CallError(requests::Umount()), "EBUSY");
  EXPECT_EQ(CallError(ExtractNextRequest(id + 1, {})), "ENOENT");
  EXPECT_EQ(CallError(TransferEndRequest(id + 1)), "ENOENT");
  ASSERT_NE(CallOk(TransferEndRequest(id)), nullptr);
  EXPECT_EQ(CallError(ExtractNextRequest(id, {})), "ENOENT") << "ended";
  const uint64_t next = Started(InjectStartRequest("/in", false, shm(), true));
  EXPECT_GT(next, id);
  EXPECT_EQ(CallError(ExtractNextRequest(next, {})), "EINVAL") << "an injection";
  EXPECT_NE(CallOk(TransferEndRequest(next)), nullptr);
}

TEST_P(TransferStateTest, ExtractStartRefusesPathsThatNameNoEntry) {
  EXPECT_EQ(CallError(ExtractStartRequest({"/.."}, 1024, false, shm())), "EINVAL");
  EXPECT_EQ(CallError(ExtractStartRequest({}, 1024, false, shm())), "EINVAL");
  EXPECT_EQ(CallError(ExtractStartRequest({"rel"}, 1024, false, shm())), "EINVAL");
}

TEST_P(TransferStateTest, InjectPutWithAnImpossibleBufferIsEprotoAndEndsTheTransfer) {
  const uint64_t id = Started(InjectStartRequest("/in", false, shm(), true));
  ASSERT_NE(id, 0u);
  flatbuffers::FlatBufferBuilder fbb;
  // A stream buffer for a file never announced.
  const auto buffer = proto::CreateLaneBuffer(fbb, proto::Lane::Stream, 0, 0, 0, 42, 0, true);
  const auto body = proto::CreateInjectPutRequest(fbb, id, fbb.CreateVector(&buffer, 1));
  fbb.Finish(proto::CreateRequest(fbb, 5, proto::Op::InjectPut, body.Union()));
  EXPECT_EQ(CallError(fbb.Release()), "EPROTO");
  EXPECT_EQ(CallError(TransferEndRequest(id)), "ENOENT");
  EXPECT_NE(Started(InjectStartRequest("/in", false, shm(), true)), 0u) << "idle again";
}

class ShmTransferTest : public TransferTest {};
INSTANTIATE_TEST_SUITE_P(Shm, ShmTransferTest, ::testing::Values(true));

TEST_P(ShmTransferTest, HelloReportsTheRegionAndTheHeaderCarriesItsLayout) {
  const proto::Response* hello =
      CallOk(HelloRequest(1, static_cast<uint32_t>(proto::ProtocolVersion::V0)));
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->reply_as_Hello()->shm_size(), kTestShmSize);
  const ShmHeader* header = reinterpret_cast<const ShmHeader*>(ctx_.shm_base);
  EXPECT_EQ(header->magic, kShmMagic);
  EXPECT_EQ(header->layout, *ComputeShmLayout(kTestShmSize));
}

TEST_P(ShmTransferTest, ImpossibleReleaseIsEprotoAndEndsTheTransfer) {
  { std::ofstream(Host("/f")) << "x"; }
  const uint64_t id = Started(ExtractStartRequest({"/f"}, 1024, false, true));
  ASSERT_NE(CallOk(ExtractNextRequest(id, {})), nullptr);
  ASSERT_NE(CallOk(ExtractNextRequest(id, {BufferRef{proto::Lane::Batch, 0}})), nullptr);
  EXPECT_EQ(CallError(ExtractNextRequest(id, {BufferRef{proto::Lane::Batch, 0}})), "EPROTO")
      << "released twice";
  EXPECT_EQ(CallError(ExtractNextRequest(id, {})), "ENOENT");
  const uint64_t again = Started(ExtractStartRequest({"/f"}, 1024, false, true));
  EXPECT_EQ(CallError(ExtractNextRequest(again, {BufferRef{proto::Lane::Stream, 999}})),
            "EPROTO");
}

TEST_P(ShmTransferTest, SocketLaneOnRequestEvenWithSharedMemory) {
  { std::ofstream(Host("/f")) << "inline"; }
  const uint64_t id = Started(ExtractStartRequest({"/f"}, 1024, false, /*use_shm=*/false));
  const proto::Response* next = CallOk(ExtractNextRequest(id, {}));
  ASSERT_NE(next, nullptr);
  const auto* buffers = next->reply_as_ExtractNext()->buffers();
  ASSERT_EQ(buffers->size(), 1u);
  ASSERT_NE(buffers->Get(0)->inline_data(), nullptr);
  EXPECT_EQ(buffers->Get(0)->inline_data()->size(), buffers->Get(0)->length());
}

class SocketOnlyTransferTest : public TransferTest {};
INSTANTIATE_TEST_SUITE_P(NoShm, SocketOnlyTransferTest, ::testing::Values(false));

TEST_P(SocketOnlyTransferTest, AskingForShmWithoutAnyFallsBackToTheSocketLane) {
  { std::ofstream(Host("/f")) << "inline"; }
  const uint64_t id = Started(ExtractStartRequest({"/f"}, 1024, false, /*use_shm=*/true));
  const proto::Response* next = CallOk(ExtractNextRequest(id, {}));
  ASSERT_NE(next, nullptr);
  const auto* buffers = next->reply_as_ExtractNext()->buffers();
  ASSERT_EQ(buffers->size(), 1u);
  EXPECT_NE(buffers->Get(0)->inline_data(), nullptr);
  EXPECT_EQ(buffers->Get(0)->index(), 0u);
  const proto::Response* last = CallOk(ExtractNextRequest(id, {}));
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(last->reply_as_ExtractNext()->done());
  EXPECT_EQ(last->reply_as_ExtractNext()->buffers()->size(), 0u);
}

}  // namespace
}  // namespace diskferry::daemon::testing
