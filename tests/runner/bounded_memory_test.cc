// Host memory stays flat however many files a transfer carries: 200 000 entries go through
// the whole extract path of one part (lane packer and unpacker, selection, ordering,
// hashing, the directory writer, the journal spool) while RssAnon is watched.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "protocol/lane_memory.h"
#include "protocol/lane_packer.h"
#include "protocol/lane_unpacker.h"
#include "runner/job_journal.h"
#include "sinks/hashing_sink.h"
#include "sinks/host_tree_writer.h"
#include "sinks/ordering_sink.h"
#include "sinks/selecting_sink.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

constexpr int kDirs = 200;
constexpr int kFilesPerDir = 1000;  // 200 000 files
constexpr uint64_t kSmall = 64;
constexpr uint64_t kBig = 300 << 10;  // every 250th file goes by the stream lane

// Anonymous memory in use now, KiB.
uint64_t RssAnonKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoull(line.substr(8));
  }
  return 0;
}

// d000/f000000 ... : directories of files whose bytes come from one scratch file.
class SyntheticTree : public TreeSource {
 public:
  SyntheticTree(std::string small, std::string big, std::function<void(uint64_t)> at)
      : small_(std::move(small)), big_(std::move(big)), at_(std::move(at)) {}

  Result<std::optional<SourceEntry>> Next() override {
    if (dir_ == kDirs) return std::optional<SourceEntry>();
    SourceEntry e;
    char name[32];
    if (file_ < 0) {
      std::snprintf(name, sizeof name, "d%03d", dir_);
      e.path = name;
      e.meta.type = RecordType::kDirectory;
      e.meta.mode = 040755;
    } else {
      std::snprintf(name, sizeof name, "d%03d/f%06d", dir_, dir_ * kFilesPerDir + file_);
      e.path = name;
      const bool big = file_ % 250 == 0;
      e.meta.type = RecordType::kFile;
      e.meta.mode = 0100644;
      e.meta.size = big ? kBig : kSmall;
      e.fd = ::open((big ? big_ : small_).c_str(), O_RDONLY | O_CLOEXEC);
      at_(++entries_);
    }
    e.meta.mtime_ns = e.meta.atime_ns = 1700000000000000000;
    if (++file_ == kFilesPerDir) {
      file_ = -1;
      ++dir_;
    }
    return std::optional<SourceEntry>(std::move(e));
  }

 private:
  const std::string small_, big_;
  std::function<void(uint64_t)> at_;
  int dir_ = 0;
  int file_ = -1;
  uint64_t entries_ = 0;
};

TEST(BoundedMemoryTest, TwoHundredThousandFilesThroughTheExtractPathKeepMemoryFlat) {
  testing::ScratchDir scratch;
  testing::WriteFile(scratch / "small", std::string(kSmall, 's'));
  testing::WriteFile(scratch / "big", std::string(kBig, 'b'));
  ASSERT_EQ(::mkdir((scratch / "out").c_str(), 0755), 0);
  uint64_t baseline = 0, peak = 0;
  SyntheticTree tree(scratch / "small", scratch / "big", [&](uint64_t n) {
    if (n == 20000) baseline = RssAnonKib();
    if (n > 20000 && n % 5000 == 0) peak = std::max(peak, RssAnonKib());
  });

  auto spool = PartSpool::Open(scratch / "spool.jsonl", "j");
  ASSERT_TRUE(spool.ok());
  uint64_t released = 0;
  OrderingSink ordering({}, [&](const FileRecord& r, uint64_t) {
    ASSERT_TRUE(spool->Append(r).ok());
    ++released;
  });
  HostWriterOptions options;
  options.defer_directories = true;
  auto writer = HostTreeWriter::Open(scratch / "out", options);
  ASSERT_TRUE(writer.ok());
  auto hashing = HashingSink::Create(writer->get(), {"sha256"},
                                     [&](const FileRecord& r) { ordering.Complete(r); });
  ASSERT_TRUE(hashing.ok());
  ordering.set_inner(hashing->get());
  SelectingSink selecting(&ordering, [](std::string_view, const RecordMeta&) { return true; });

  HeapLaneMemory memory(4, 1 << 20, 8, 256 << 10);
  LanePacker packer(&tree, &memory, 256 << 10);
  LaneUnpacker unpacker(&selecting, &memory);
  while (!packer.done()) {
    auto filled = packer.Fill(8);
    ASSERT_TRUE(filled.ok()) << filled.status().ToString();
    ASSERT_FALSE(filled->empty());
    for (const BufferDesc& desc : *filled) {
      ASSERT_TRUE(unpacker.Apply(desc, {}).ok());
      ASSERT_TRUE(packer.Release(desc.lane, desc.index).ok());
    }
  }
  ASSERT_TRUE(unpacker.Finish().ok());
  ASSERT_TRUE(spool->Flush().ok());

  EXPECT_EQ(released, static_cast<uint64_t>(kDirs) * (kFilesPerDir + 1));
  EXPECT_EQ(ordering.pending(), 0u);
  ASSERT_GT(baseline, 0u);
  // 180 000 more files after the baseline: anything kept per file (a path is ~60 bytes
  // with its allocation) would add 10 MiB or more.
  EXPECT_LT(peak, baseline + 4096)
      << "RssAnon grew from " << baseline << " KiB to " << peak << " KiB";
  EXPECT_EQ(testing::ReadFile(scratch / "out/d199/f199999"), std::string(kSmall, 's'));
}

}  // namespace
}  // namespace diskferry
