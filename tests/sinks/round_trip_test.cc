// A host tree walked by HostTreeReader, packed into lane buffers (by LanePacker, and by a
// packer written for the tests over the socket lane), checked by LaneUnpacker and written
// by HostTreeWriter must come out the same, byte for byte and in its metadata.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>

#include "protocol/lane_memory.h"
#include "protocol/lane_packer.h"
#include "protocol/lane_unpacker.h"
#include "sinks/host_tree_reader.h"
#include "sinks/host_tree_writer.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::SetTimes;
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

// Moves a TreeSource's tree into a TreeSink through lane buffers, ending with Finish().
using Transfer = std::function<Status(TreeSource* reader, TreeSink* writer)>;

class RoundTripTest : public ::testing::Test {
 protected:
  // Everything a transfer must carry, under src/tree.
  void BuildSource() {
    const std::string t = tree_;
    ASSERT_EQ(mkdir(t.c_str(), 0755), 0);
    WriteFile(t + "/small", Pattern(1000, 'a'), 0640);
    WriteFile(t + "/empty", "", 0600);
    WriteFile(t + "/exe", "#!/bin/sh\n", 0755);
    WriteFile(t + "/big", Pattern(200 << 10, 'b'), 0644);
    WriteAt(t + "/sparse", 8 << 20,
            {{0, Pattern(5000, 'c')}, {3 << 20, Pattern(70000, 'd')}, {(8 << 20) - 3, "end"}});
    WriteAt(t + "/tail_hole", 1 << 20, {{0, "head"}});
    ASSERT_EQ(mkdir((t + "/sub").c_str(), 0750), 0);
    ASSERT_EQ(mkdir((t + "/sub/locked").c_str(), 0755), 0);
    WriteFile(t + "/sub/locked/inside", "inside", 0444);
    ASSERT_EQ(chmod((t + "/sub/locked").c_str(), 0555), 0);
    ASSERT_EQ(symlink("/etc/hostname", (t + "/abs_link").c_str()), 0);
    ASSERT_EQ(symlink("../small", (t + "/sub/rel_link").c_str()), 0);
    ASSERT_EQ(symlink("nowhere", (t + "/dangling").c_str()), 0);
    WriteFile(t + "/hard_a", "shared", 0644);
    ASSERT_EQ(link((t + "/hard_a").c_str(), (t + "/sub/hard_b").c_str()), 0);
    ASSERT_EQ(link((t + "/big").c_str(), (t + "/big_link").c_str()), 0);
    ASSERT_EQ(mkfifo((t + "/fifo").c_str(), 0620), 0);
    for (const char* name : {"caf\xc3\xa9", "new\nline", "with space"}) {
      WriteFile(t + "/" + name, name, 0644);
    }
    ASSERT_EQ(setxattr((t + "/small").c_str(), "user.df", "file", 4, 0), 0) << strerror(errno);
    ASSERT_EQ(setxattr((t + "/sub").c_str(), "user.df", "dir", 3, 0), 0);
    if (geteuid() == 0) ChangeOwners();
    StampTimes();
  }

  void ChangeOwners() {
    ASSERT_EQ(lchown((tree_ + "/small").c_str(), 1234, 5678), 0);
    ASSERT_EQ(lchown((tree_ + "/sub").c_str(), 42, 43), 0);
    ASSERT_EQ(lchown((tree_ + "/abs_link").c_str(), 7, 8), 0);
    WriteFile(tree_ + "/setuid", "x", 0755);
    ASSERT_EQ(chown((tree_ + "/setuid").c_str(), 1000, 1000), 0);
    ASSERT_EQ(chmod((tree_ + "/setuid").c_str(), 04755), 0);
  }

  // Distinct nanosecond times on everything, directories last (deepest first).
  void StampTimes() {
    int64_t t = 1400000000000000001;
    for (const auto& [rel, info] : testing::Snapshot(src_)) {
      if (S_ISDIR(info.mode)) continue;
      t += 1000000007;
      SetTimes(src_ + "/" + rel, t, t + 12345);
    }
    for (const char* rel : {"tree/sub/locked", "tree/sub", "tree"}) {
      t += 1000000007;
      SetTimes(src_ + "/" + rel, t, t + 999);
    }
  }

  void TransferAndCompare(const Transfer& transfer);
  static void ExpectSame(const testing::EntryInfo& got, const testing::EntryInfo& want);

  testing::ScratchDir scratch_;
  std::string src_ = scratch_ / "src";
  std::string tree_ = scratch_ / "src/tree";
  std::string dest_ = scratch_ / "dest";
};

// The sender is the packer written for these tests: the socket lane, inline bytes.
Status TransferByHand(TreeSource* reader, TreeSink* writer) {
  LaneUnpacker unpacker(writer, nullptr);
  return testing::PackByHand(reader, &unpacker, kStreamThreshold, kBatchSize, kChunkSize);
}

// The sender is protocol/lane_packer: buffers in lane memory shared with the unpacker, as
// over ivshmem, each released once applied.
Status TransferByLanePacker(TreeSource* reader, TreeSink* writer) {
  HeapLaneMemory memory(2, kBatchSize, 3, kChunkSize);
  LanePacker packer(reader, &memory, kStreamThreshold);
  LaneUnpacker unpacker(writer, &memory);
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

void RoundTripTest::TransferAndCompare(const Transfer& transfer) {
  ASSERT_EQ(mkdir(src_.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(dest_.c_str(), 0755), 0);
  ASSERT_NO_FATAL_FAILURE(BuildSource());
  const testing::TreeSnapshot before = testing::Snapshot(src_);

  HostReaderOptions read_options;
  read_options.xattrs = true;
  auto reader = HostTreeReader::Open({tree_}, read_options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  HostWriterOptions write_options;
  write_options.safety = {.devices = true, .setuid = true, .xattrs = XattrScope::kUser};
  auto writer = HostTreeWriter::Open(dest_, write_options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  const Status st = transfer(reader->get(), writer->get());
  ASSERT_TRUE(st.ok()) << st.ToString();

  for (const FileProblem& p : (*writer)->report().problems.items()) {
    ADD_FAILURE() << p.path << ": " << p.message;
  }
  EXPECT_TRUE((*writer)->report().source_errors.empty());
  EXPECT_TRUE((*reader)->problems().empty());
  const testing::TreeSnapshot after = testing::Snapshot(dest_);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [rel, want] : before) {
    SCOPED_TRACE(rel);
    auto it = after.find(rel);
    ASSERT_NE(it, after.end());
    ExpectSame(it->second, want);
  }
  EXPECT_LT(after.at("tree/sparse").blocks * 512, 1u << 20);
  const HostWriterStats& stats = (*writer)->stats();
  EXPECT_EQ(stats.hardlinks, 2u);
  EXPECT_EQ(stats.dirs, 3u);
  EXPECT_EQ(stats.symlinks, 3u);
  EXPECT_EQ(stats.specials, 1u);
}

void RoundTripTest::ExpectSame(const testing::EntryInfo& got, const testing::EntryInfo& want) {
  EXPECT_EQ(got.mode, want.mode);
  EXPECT_EQ(got.size, want.size);
  EXPECT_EQ(got.mtime_ns, want.mtime_ns);
  EXPECT_TRUE(got.content == want.content);  // not EXPECT_EQ: megabytes in a failure
  EXPECT_EQ(got.link_group, want.link_group);
  EXPECT_EQ(got.xattrs, want.xattrs);
  EXPECT_EQ(got.rdev, want.rdev);
  EXPECT_EQ(got.uid, want.uid);
  EXPECT_EQ(got.gid, want.gid);
  // Reading a file or symlink and listing a directory may move its atime on the source
  // (relatime) between the snapshot and the walk: only untouched entries are compared.
  // HostTreeWriterTest checks atimes of every kind.
  if (S_ISFIFO(want.mode)) {
    EXPECT_EQ(got.atime_ns, want.atime_ns);
  }
  if (S_ISREG(want.mode)) {
    EXPECT_LE(got.blocks, want.blocks + 8);  // holes stayed holes
  }
}

TEST_F(RoundTripTest, HandPackedSocketLanePreservesContentAndMetadata) {
  TransferAndCompare(TransferByHand);
}

TEST_F(RoundTripTest, LanePackerThroughLaneMemoryPreservesContentAndMetadata) {
  TransferAndCompare(TransferByLanePacker);
}

}  // namespace
}  // namespace diskferry
