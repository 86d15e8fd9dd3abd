// A host tree walked by HostTreeReader, packed by LanePacker, checked by LaneUnpacker and
// passed through HashingSink into a TarSink must come out of GNU tar the same, byte for
// byte and in its metadata, with the hashes sha256sum computes on the source.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "protocol/lane_memory.h"
#include "protocol/lane_packer.h"
#include "protocol/lane_unpacker.h"
#include "sinks/hashing_sink.h"
#include "sinks/host_tree_reader.h"
#include "sinks/run_report.h"
#include "sinks/selecting_sink.h"
#include "sinks/tar_sink.h"
#include "tests/sinks/tar_test_support.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::WriteFile;

constexpr uint64_t kStreamThreshold = 64 << 10;
constexpr size_t kBatchSize = 96 << 10;
constexpr size_t kChunkSize = 16 << 10;

std::string Pattern(size_t size, char seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 7 + i / 251);
  return s;
}

void WriteAt(const std::string& path, uint64_t size,
             std::vector<std::pair<uint64_t, std::string>> parts) {
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
  for (const auto& [offset, data] : parts) {
    ASSERT_EQ(pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(data.size()));
  }
  close(fd);
}

Status TransferByLanePacker(TreeSource* reader, TreeSink* sink) {
  HeapLaneMemory memory(2, kBatchSize, 3, kChunkSize);
  LanePacker packer(reader, &memory, kStreamThreshold);
  LaneUnpacker unpacker(sink, &memory);
  while (!packer.done()) {
    Result<std::vector<BufferDesc>> filled = packer.Fill(3);
    if (!filled.ok()) return filled.status();
    if (filled->empty()) return Status(Code::kInternal, "packer stalled with every buffer free");
    for (const BufferDesc& desc : *filled) {
      if (Status st = unpacker.Apply(desc, {}); !st.ok()) return st;
      if (Status st = packer.Release(desc.lane, desc.index); !st.ok()) return st;
    }
  }
  return unpacker.Finish();
}

class TarRoundTripTest : public ::testing::Test {
 protected:
  void BuildSource() {
    const std::string t = tree_;
    ASSERT_EQ(mkdir(src_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(t.c_str(), 0755), 0);
    WriteFile(t + "/small", Pattern(1000, 'a'), 0640);
    WriteFile(t + "/empty", "", 0600);
    WriteFile(t + "/big", Pattern(200 << 10, 'b'), 0644);
    WriteAt(t + "/sparse", 8 << 20,
            {{0, Pattern(5000, 'c')}, {3 << 20, Pattern(70000, 'd')}, {(8 << 20) - 3, "end"}});
    WriteAt(t + "/tail_hole", 1 << 20, {{0, "head"}});
    WriteAt(t + "/all_hole", 1 << 20, {});
    ASSERT_EQ(mkdir((t + "/sub").c_str(), 0750), 0);
    ASSERT_EQ(symlink("../small", (t + "/sub/rel_link").c_str()), 0);
    WriteFile(t + "/hard_a", "shared", 0644);
    ASSERT_EQ(link((t + "/hard_a").c_str(), (t + "/sub/hard_b").c_str()), 0);
    ASSERT_EQ(link((t + "/big").c_str(), (t + "/big_link").c_str()), 0);
    ASSERT_EQ(mkfifo((t + "/fifo").c_str(), 0620), 0);
    for (const char* name : {"caf\xc3\xa9", "new\nline", "bad\xff"}) {
      WriteFile(t + "/" + name, name, 0644);
    }
    int64_t ns = 1400000000000000001;
    for (const auto& [rel, info] : testing::Snapshot(src_)) {
      ns += 1000000007;
      if (!S_ISDIR(info.mode)) testing::SetTimes(src_ + "/" + rel, ns, ns);
    }
    for (const char* rel : {"tree/sub", "tree"}) {
      ns += 1000000007;
      testing::SetTimes(src_ + "/" + rel, ns, ns);
    }
  }

  testing::ScratchDir scratch_;
  std::string src_ = scratch_ / "src";
  std::string tree_ = scratch_ / "src/tree";
  std::string archive_ = scratch_ / "out.tar.zst";
};

TEST_F(TarRoundTripTest, GnuTarExtractsTheSameTreeAndHashesMatchSha256sum) {
  ASSERT_NO_FATAL_FAILURE(BuildSource());
  const testing::TreeSnapshot before = testing::Snapshot(src_);
  auto reader = HostTreeReader::Open({tree_}, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto tar = TarSink::Open(archive_, {});
  ASSERT_TRUE(tar.ok()) << tar.status().ToString();
  std::vector<FileRecord> records;
  auto hashing = HashingSink::Create(tar->get(), {"sha256"},
                                     [&](const FileRecord& r) { records.push_back(r); });
  ASSERT_TRUE(hashing.ok());
  const Status st = TransferByLanePacker(reader->get(), hashing->get());
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE((*tar)->report().problems.empty());
  EXPECT_EQ(records.size(), before.size());

  // The hashes, as a sums file, verify against the source with sha256sum.
  ASSERT_TRUE(WriteSha256Sums(scratch_ / "SUMS", records).ok());
  if (std::system("command -v sha256sum >/dev/null && command -v tar >/dev/null") != 0) {
    GTEST_SKIP() << "needs GNU tar and sha256sum";
  }
  const std::string check = "cd '" + src_ + "' && sha256sum --quiet -c '" + scratch_ / "SUMS'";
  EXPECT_EQ(std::system(check.c_str()), 0);

  const std::string dest = scratch_ / "dest";
  ASSERT_EQ(mkdir(dest.c_str(), 0755), 0);
  // GNU tar 1.34 warns about the hdrcharset record of the one name that is not UTF-8.
  const std::string errors = scratch_ / "tar.err";
  const std::string extract =
      "tar --zstd -xpf '" + archive_ + "' -C '" + dest + "' 2>'" + errors + "'";
  ASSERT_EQ(std::system(extract.c_str()), 0) << testing::ReadFile(errors);
  const testing::TreeSnapshot after = testing::Snapshot(dest);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [rel, want] : before) {
    SCOPED_TRACE(rel);
    auto it = after.find(rel);
    ASSERT_NE(it, after.end());
    const testing::EntryInfo& got = it->second;
    EXPECT_EQ(got.mode, want.mode);
    EXPECT_EQ(got.size, want.size);
    EXPECT_EQ(got.mtime_ns, want.mtime_ns);
    EXPECT_TRUE(got.content == want.content);
    EXPECT_EQ(got.link_group, want.link_group);
    if (S_ISREG(want.mode)) {
      EXPECT_LE(got.blocks, want.blocks + 8);  // holes stayed holes
    }
  }
}

TEST_F(TarRoundTripTest, SelectionKeepsParentsAndDropsTheRestIncludingStreamData) {
  ASSERT_NO_FATAL_FAILURE(BuildSource());
  auto reader = HostTreeReader::Open({tree_}, {});
  ASSERT_TRUE(reader.ok());
  auto tar = TarSink::Open(scratch_ / "sel.tar", {});
  ASSERT_TRUE(tar.ok());
  SelectingSink select(tar->get(), [](std::string_view path, const RecordMeta&) {
    return path == "tree/sub/rel_link" || path == "tree/sparse";
  });
  const Status st = TransferByLanePacker(reader->get(), &select);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const testing::TarContents back = testing::ReadTar(scratch_ / "sel.tar");
  ASSERT_TRUE(back.ok) << back.error;
  std::vector<std::string> paths = back.Paths();
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths,
            (std::vector<std::string>{"tree", "tree/sparse", "tree/sub", "tree/sub/rel_link"}));
  EXPECT_TRUE(back.Find("tree/sparse")->content == testing::ReadFile(tree_ + "/sparse"));
  EXPECT_GT(select.stats().dropped_bytes, 200u << 10);
}

}  // namespace
}  // namespace diskferry
