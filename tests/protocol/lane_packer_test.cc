// LanePacker over a fake in-memory TreeSource whose files are temp files: batching, stream
// chunks, holes, record order, oversized records, files that change size, releases.
// Also the two LaneMemory implementations.
#include "protocol/lane_packer.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "host/file_mode.h"
#include "protocol/source_file.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

using proto::Lane;

class FakeSource : public TreeSource {
 public:
  ~FakeSource() override {
    for (SourceEntry& e : entries_) {
      CloseSourceFd(&e.fd);
    }
  }
  void Add(SourceEntry e) { entries_.push_back(std::move(e)); }
  Result<std::optional<SourceEntry>> Next() override {
    if (next_ == entries_.size()) return std::optional<SourceEntry>();
    SourceEntry e = std::move(entries_[next_++]);
    entries_[next_ - 1].fd = -1;
    return std::optional<SourceEntry>(std::move(e));
  }

 private:
  std::vector<SourceEntry> entries_;
  size_t next_ = 0;
};

// Linux reports a file's holes (SEEK_DATA/SEEK_HOLE); Windows hosts report every file as
// all data (protocol/source_file.h), so there a sparse file is sent whole.
#ifdef _WIN32
constexpr bool kHostReportsHoles = false;
#else
constexpr bool kHostReportsHoles = true;
#endif

// The directory of this program's source files, on a disk filesystem (TMPDIR), where Linux
// reports holes; removed at exit.
const ScratchDir& Scratch() {
  static const ScratchDir dir("df-packer");
  return dir;
}

// A new scratch file's path.
std::string NewScratchFile() {
  static int files = 0;
  return Scratch().File("f" + std::to_string(files++));
}

// `path` opened as a source descriptor.
int OpenSource(const std::string& path) {
  const int fd = OpenSourceFile(path);
  EXPECT_GE(fd, 0) << path << ": " << std::strerror(-fd);
  return fd;
}

// A source descriptor of a new file of `size` bytes holding `data` at each offset and
// holes (on hosts that make them) elsewhere.
int SparseFd(uint64_t size, const std::map<uint64_t, std::string>& data) {
  const std::string path = NewScratchFile();
  EXPECT_TRUE(WriteWholeFile(path, ""));
  std::filesystem::resize_file(FsPath(path), size);
  for (const auto& [offset, bytes] : data) EXPECT_TRUE(WriteAt(path, offset, bytes));
  return OpenSource(path);
}

std::string Pattern(size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + i / 4096) & 0xff);
  return s;
}

SourceEntry FileEntry(const std::string& path, const std::string& content,
                      uint64_t announced_size) {
  SourceEntry e;
  e.meta.type = RecordType::kFile;
  e.meta.mode = kModeRegular | 0644;
  e.meta.size = announced_size;
  e.path = path;
  const std::string file = NewScratchFile();
  EXPECT_TRUE(WriteWholeFile(file, content));
  e.fd = OpenSource(file);
  return e;
}

SourceEntry FileEntry(const std::string& path, const std::string& content) {
  return FileEntry(path, content, content.size());
}

SourceEntry OtherEntry(RecordType type, const std::string& path, const std::string& target = "") {
  SourceEntry e;
  e.meta.type = type;
  e.meta.mode = type == RecordType::kDirectory ? (kModeDirectory | 0755) : (kModeSymlink | 0777);
  e.path = path;
  e.target = target;
  return e;
}

struct Decoded {
  RecordMeta meta;
  std::string path;
  std::string target;
  std::string data;
  size_t xattr_len = 0;
};

std::vector<Decoded> DecodeBatch(LaneMemory* memory, const BufferDesc& desc) {
  EXPECT_EQ(desc.lane, Lane::Batch);
  const std::span<uint8_t> buf = memory->Buffer(Lane::Batch, desc.index);
  RecordReader reader(buf.first(desc.length), desc.records);
  std::vector<Decoded> out;
  for (;;) {
    Result<std::optional<Record>> r = reader.Next();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->has_value()) break;
    const Record& rec = **r;
    out.push_back({rec.meta, std::string(rec.path), std::string(rec.target),
                   std::string(rec.data.begin(), rec.data.end()), rec.xattrs.size()});
  }
  return out;
}

// What the receiving side saw: the records in order and each stream file reassembled from
// its chunks (holes as zeros).
struct Drained {
  std::vector<Decoded> records;
  std::vector<BufferDesc> chunks;
  std::map<uint64_t, std::string> streams;
  int fills = 0;
};

void Take(Drained* d, LaneMemory* memory, const BufferDesc& desc) {
  if (desc.lane == Lane::Batch) {
    for (Decoded& rec : DecodeBatch(memory, desc)) {
      if (rec.meta.type == RecordType::kStreamFile) {
        d->streams[rec.meta.file_id].assign(rec.meta.size, '\0');
      }
      d->records.push_back(std::move(rec));
    }
    return;
  }
  ASSERT_TRUE(d->streams.count(desc.file_id)) << "chunk before its kStreamFile record";
  std::string& file = d->streams[desc.file_id];
  ASSERT_LE(desc.offset + desc.length, file.size());
  const std::span<uint8_t> buf = memory->Buffer(Lane::Stream, desc.index);
  std::copy(buf.begin(), buf.begin() + desc.length, file.begin() + desc.offset);
  d->chunks.push_back(desc);
}

// Drains the packer completely, releasing every buffer after taking it.
Drained Drain(LanePacker* packer, LaneMemory* memory, uint32_t max_stream = 2,
              Drained d = {}) {
  while (!packer->done() && d.fills < 10000) {
    Result<std::vector<BufferDesc>> filled = packer->Fill(max_stream);
    EXPECT_TRUE(filled.ok()) << filled.status().ToString();
    if (!filled.ok()) break;
    ++d.fills;
    for (const BufferDesc& desc : *filled) {
      Take(&d, memory, desc);
      EXPECT_TRUE(packer->Release(desc.lane, desc.index).ok());
    }
  }
  EXPECT_TRUE(packer->done());
  return d;
}

// A closed descriptor reads as EBADF (the packer closes each file once sent).
bool IsOpen(int fd) {
  uint8_t byte = 0;
  return ReadSourceAt(fd, 0, &byte, 1) != -EBADF;
}

TEST(LanePackerTest, SmallFilesArePackedManyPerSlot) {
  FakeSource source;
  for (int i = 0; i < 100; ++i) source.Add(FileEntry("f" + std::to_string(i), Pattern(100, i)));
  HeapLaneMemory memory(2, 64 << 10, 2, 64 << 10);
  LanePacker packer(&source, &memory, 1024);
  Result<std::vector<BufferDesc>> filled = packer.Fill(2);
  ASSERT_TRUE(filled.ok());
  ASSERT_EQ(filled->size(), 1u);
  EXPECT_EQ((*filled)[0].records, 100u);
  const std::vector<Decoded> records = DecodeBatch(&memory, (*filled)[0]);
  ASSERT_EQ(records.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(records[i].path, "f" + std::to_string(i));
    EXPECT_EQ(records[i].meta.type, RecordType::kFile);
    EXPECT_EQ(records[i].data, Pattern(100, i));
  }
  EXPECT_TRUE(packer.done());
  EXPECT_EQ(packer.stats().files, 100u);
  EXPECT_EQ(packer.stats().bytes, 10000u);
}

TEST(LanePackerTest, EntryThatDoesNotFitWaitsForTheNextSlot) {
  FakeSource source;
  for (int i = 0; i < 5; ++i) source.Add(FileEntry("f" + std::to_string(i), Pattern(1500, i)));
  HeapLaneMemory memory(1, 4096, 1, 4096);
  LanePacker packer(&source, &memory, 1 << 20);
  Result<std::vector<BufferDesc>> first = packer.Fill(1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].records, 2u);
  Result<std::vector<BufferDesc>> blocked = packer.Fill(1);
  ASSERT_TRUE(blocked.ok());
  EXPECT_TRUE(blocked->empty()) << "the only slot is still in use";
  ASSERT_TRUE(packer.Release(Lane::Batch, 0).ok());
  const Drained rest = Drain(&packer, &memory);
  ASSERT_EQ(rest.records.size(), 3u);
  EXPECT_EQ(rest.records[0].path, "f2");
  EXPECT_EQ(rest.records[2].data, Pattern(1500, 4));
}

TEST(LanePackerTest, BigFileIsStreamedInChunksWithOffsets) {
  FakeSource source;
  const std::string content = Pattern(300 << 10, 3);
  SourceEntry big = FileEntry("big.bin", content);
  const int fd = big.fd;
  source.Add(std::move(big));
  HeapLaneMemory memory(1, 64 << 10, 3, 64 << 10);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].meta.type, RecordType::kStreamFile);
  EXPECT_EQ(d.records[0].meta.size, content.size());
  EXPECT_TRUE(d.records[0].data.empty());
  ASSERT_EQ(d.chunks.size(), 5u);
  for (size_t i = 0; i < d.chunks.size(); ++i) {
    EXPECT_EQ(d.chunks[i].file_id, d.records[0].meta.file_id);
    EXPECT_EQ(d.chunks[i].offset, i * (64u << 10));
    EXPECT_EQ(d.chunks[i].eof, i + 1 == d.chunks.size());
  }
  EXPECT_EQ(d.chunks.back().length, (300u - 256u) << 10);
  EXPECT_EQ(d.streams.at(d.records[0].meta.file_id), content);
  EXPECT_EQ(packer.stats().bytes, content.size());
  EXPECT_FALSE(IsOpen(fd)) << "the packer closes a file once sent";
}

SourceEntry SparseEntry(const std::string& path, uint64_t size,
                        const std::map<uint64_t, std::string>& data) {
  SourceEntry e = OtherEntry(RecordType::kFile, path);
  e.meta.mode = kModeRegular | 0644;
  e.meta.size = size;
  e.fd = SparseFd(size, data);
  return e;
}

// Where the host reports no holes, the file goes whole, in chunks of the slot size.
void ExpectSentWhole(const Drained& d, uint64_t size, uint64_t chunk) {
  ASSERT_EQ(d.chunks.size(), (size + chunk - 1) / chunk);
  for (size_t i = 0; i < d.chunks.size(); ++i) {
    EXPECT_EQ(d.chunks[i].offset, i * chunk);
    EXPECT_EQ(d.chunks[i].length, chunk);
    EXPECT_EQ(d.chunks[i].eof, i + 1 == d.chunks.size());
  }
}

TEST(LanePackerTest, SparseFileSendsOnlyItsDataExtents) {
  FakeSource source;
  const std::string a = Pattern(4096, 1), b = Pattern(8192, 2);
  source.Add(SparseEntry("sparse", 10 << 20, {{1 << 20, a}, {5 << 20, b}}));
  HeapLaneMemory memory(1, 64 << 10, 2, 1 << 20);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  if (kHostReportsHoles) {
    ASSERT_EQ(d.chunks.size(), 2u);
    EXPECT_EQ(d.chunks[0].offset, 1u << 20);
    EXPECT_EQ(d.chunks[0].length, 4096u);
    EXPECT_FALSE(d.chunks[0].eof);
    EXPECT_EQ(d.chunks[1].offset, 5u << 20);
    EXPECT_EQ(d.chunks[1].length, 8192u);
    EXPECT_TRUE(d.chunks[1].eof);
    EXPECT_EQ(packer.stats().bytes, 4096u + 8192u);
  } else {
    ExpectSentWhole(d, 10 << 20, 1 << 20);
    EXPECT_EQ(packer.stats().bytes, 10u << 20);
  }
  std::string expected(10 << 20, '\0');
  expected.replace(1 << 20, a.size(), a);
  expected.replace(5 << 20, b.size(), b);
  EXPECT_TRUE(d.streams.begin()->second == expected);
}

TEST(LanePackerTest, FileOfHolesOnlyStillGetsOneEofDescriptor) {
  FakeSource source;
  source.Add(SparseEntry("holes", 3 << 20, {}));
  HeapLaneMemory memory(1, 64 << 10, 2, 1 << 20);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  if (kHostReportsHoles) {
    ASSERT_EQ(d.chunks.size(), 1u);
    EXPECT_EQ(d.chunks[0].length, 0u);
    EXPECT_TRUE(d.chunks[0].eof);
    EXPECT_LE(d.chunks[0].offset, 3u << 20);
  } else {
    ExpectSentWhole(d, 3 << 20, 1 << 20);
  }
  EXPECT_TRUE(d.streams.begin()->second == std::string(3 << 20, '\0'));
}

TEST(LanePackerTest, RecordsKeepSourceOrderAndStreamRecordsPrecedeTheirChunks) {
  FakeSource source;
  source.Add(OtherEntry(RecordType::kDirectory, "d"));
  source.Add(FileEntry("d/small", "abc"));
  source.Add(FileEntry("d/big", Pattern(200 << 10, 9)));
  source.Add(OtherEntry(RecordType::kSymlink, "d/link", "small"));
  source.Add(OtherEntry(RecordType::kHardlink, "d/again", "d/small"));
  source.Add(FileEntry("d/big2", Pattern(100 << 10, 8)));
  HeapLaneMemory memory(2, 64 << 10, 2, 64 << 10);
  LanePacker packer(&source, &memory, 1024);
  Result<std::vector<BufferDesc>> first = packer.Fill(2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].lane, Lane::Batch) << "batch buffers come first";
  EXPECT_EQ((*first)[1].lane, Lane::Stream);
  const std::vector<Decoded> records = DecodeBatch(&memory, (*first)[0]);
  std::vector<std::string> paths;
  for (const Decoded& r : records) paths.push_back(r.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"d", "d/small", "d/big", "d/link", "d/again",
                                             "d/big2"}));
  EXPECT_EQ(records[2].meta.type, RecordType::kStreamFile);
  EXPECT_EQ(records[5].meta.type, RecordType::kStreamFile);
  EXPECT_NE(records[2].meta.file_id, records[5].meta.file_id);
  EXPECT_EQ(records[3].target, "small");
  EXPECT_EQ(records[4].meta.type, RecordType::kHardlink);
  EXPECT_EQ((*first)[1].file_id, records[2].meta.file_id) << "streams go one after the other";
}

TEST(LanePackerTest, SmallFileLargerThanASlotGoesByStream) {
  FakeSource source;
  const std::string content = Pattern(5000, 4);
  source.Add(FileEntry("wide", content));
  HeapLaneMemory memory(1, 4096, 1, 4096);
  LanePacker packer(&source, &memory, 1 << 20);
  const Drained d = Drain(&packer, &memory);
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].meta.type, RecordType::kStreamFile);
  EXPECT_EQ(d.streams.at(d.records[0].meta.file_id), content);
}

TEST(LanePackerTest, NonFileRecordLargerThanASlotBecomesAnError) {
  FakeSource source;
  SourceEntry dir = OtherEntry(RecordType::kDirectory, "fat");
  dir.xattrs = EncodeXattrs({{"user.big", std::string(8000, 'x')}});
  source.Add(std::move(dir));
  source.Add(OtherEntry(RecordType::kDirectory, "next"));
  HeapLaneMemory memory(1, 4096, 1, 4096);
  LanePacker packer(&source, &memory, 1 << 20);
  const Drained d = Drain(&packer, &memory);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].meta.type, RecordType::kError);
  EXPECT_EQ(d.records[0].path, "fat");
  EXPECT_EQ(d.records[0].meta.errno_value, E2BIG);
  EXPECT_EQ(d.records[1].path, "next") << "the walk goes on";
  EXPECT_EQ(packer.stats().files, 1u);
}

TEST(LanePackerTest, ShrunkSmallFileBecomesAnErrorRecord) {
  FakeSource source;
  source.Add(FileEntry("shrunk", Pattern(50, 1), /*announced_size=*/100));
  HeapLaneMemory memory(1, 4096, 1, 4096);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].meta.type, RecordType::kError);
  EXPECT_EQ(d.records[0].meta.errno_value, EIO);
  EXPECT_NE(d.records[0].target.find("shrank"), std::string::npos) << d.records[0].target;
}

TEST(LanePackerTest, GrownFilesSendOnlyTheAnnouncedSize) {
  FakeSource source;
  source.Add(FileEntry("small", Pattern(200, 1), 100));
  source.Add(FileEntry("big", Pattern(100 << 10, 2), 50 << 10));
  HeapLaneMemory memory(1, 64 << 10, 1, 16 << 10);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].data, Pattern(200, 1).substr(0, 100));
  EXPECT_EQ(d.streams.at(d.records[1].meta.file_id), Pattern(100 << 10, 2).substr(0, 50 << 10));
  EXPECT_TRUE(d.chunks.back().eof);
}

TEST(LanePackerTest, StreamOfAShrunkFileStopsAtEofAndStillEnds) {
  FakeSource source;
  source.Add(FileEntry("big", Pattern(40 << 10, 2), 100 << 10));
  HeapLaneMemory memory(1, 64 << 10, 1, 16 << 10);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  uint64_t sent = 0;
  for (const BufferDesc& c : d.chunks) sent += c.length;
  EXPECT_EQ(sent, 40u << 10);
  ASSERT_FALSE(d.chunks.empty());
  EXPECT_TRUE(d.chunks.back().eof);
}

SourceEntry UnreadableEntry(const std::string& path, uint64_t size) {
  SourceEntry e;
  e.meta.type = RecordType::kFile;
  e.meta.mode = kModeRegular | 0644;
  e.meta.size = size;
  e.path = path;
  e.fd = OpenSource(Scratch().path());  // a directory: reading it fails with EISDIR
  return e;
}

TEST(LanePackerTest, UnreadableSmallFileBecomesAnErrorRecord) {
  FakeSource source;
  source.Add(UnreadableEntry("bad", 10));
  source.Add(FileEntry("good", "ok"));
  HeapLaneMemory memory(1, 4096, 1, 4096);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].meta.type, RecordType::kError);
  EXPECT_EQ(d.records[0].meta.errno_value, EISDIR);
  EXPECT_EQ(d.records[0].target, "bad: Is a directory");
  EXPECT_EQ(d.records[1].data, "ok");
}

TEST(LanePackerTest, StreamThatFailsMidwayEndsAndIsFollowedByAnErrorRecord) {
  FakeSource source;
  source.Add(UnreadableEntry("bad-big", 100 << 10));
  HeapLaneMemory memory(1, 4096, 1, 4096);
  LanePacker packer(&source, &memory, 1024);
  const Drained d = Drain(&packer, &memory);
  ASSERT_EQ(d.records.size(), 2u);
  EXPECT_EQ(d.records[0].meta.type, RecordType::kStreamFile);
  ASSERT_EQ(d.chunks.size(), 1u);
  EXPECT_TRUE(d.chunks[0].eof);
  EXPECT_EQ(d.records[1].meta.type, RecordType::kError);
  EXPECT_EQ(d.records[1].path, "bad-big");
  EXPECT_EQ(d.records[1].meta.errno_value, EISDIR);
}

TEST(LanePackerTest, BatchStopsTakingStreamFilesWhileManyAreQueued) {
  FakeSource source;
  for (int i = 0; i < 40; ++i) source.Add(FileEntry("b" + std::to_string(i), Pattern(2000, i)));
  HeapLaneMemory memory(2, 64 << 10, 4, 4096);
  LanePacker packer(&source, &memory, 1000);
  Result<std::vector<BufferDesc>> first = packer.Fill(0);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_LT((*first)[0].records, 40u);
  Drained d;
  Take(&d, &memory, (*first)[0]);
  ASSERT_TRUE(packer.Release(Lane::Batch, 0).ok());
  d = Drain(&packer, &memory, 4, std::move(d));
  ASSERT_EQ(d.records.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(d.records[i].path, "b" + std::to_string(i));
    EXPECT_EQ(d.streams.at(d.records[i].meta.file_id), Pattern(2000, i));
  }
  EXPECT_EQ(packer.stats().bytes, 40u * 2000u);
}

TEST(LanePackerTest, ReleaseOfUnknownOrFreeBuffersIsAProtocolError) {
  FakeSource source;
  source.Add(FileEntry("f", "x"));
  HeapLaneMemory memory(2, 4096, 2, 4096);
  LanePacker packer(&source, &memory, 1024);
  EXPECT_EQ(packer.Release(Lane::Batch, 0).code(), Code::kProtocolError) << "never filled";
  Result<std::vector<BufferDesc>> filled = packer.Fill(1);
  ASSERT_TRUE(filled.ok());
  ASSERT_EQ(filled->size(), 1u);
  EXPECT_EQ(packer.Release(Lane::Batch, 2).code(), Code::kProtocolError);
  EXPECT_EQ(packer.Release(Lane::Stream, 0).code(), Code::kProtocolError);
  EXPECT_EQ(packer.Release(static_cast<Lane>(9), 0).code(), Code::kProtocolError);
  EXPECT_TRUE(packer.Release(Lane::Batch, 0).ok());
  const Status twice = packer.Release(Lane::Batch, 0);
  EXPECT_EQ(twice.code(), Code::kProtocolError);
  EXPECT_NE(twice.message().find("batch buffer 0"), std::string::npos) << twice.message();
}

TEST(LanePackerTest, EmptySourceIsDoneWithoutBuffers) {
  FakeSource source;
  HeapLaneMemory memory(1, 4096, 1, 4096);
  LanePacker packer(&source, &memory, 1024);
  EXPECT_FALSE(packer.done());
  Result<std::vector<BufferDesc>> filled = packer.Fill(1);
  ASSERT_TRUE(filled.ok());
  EXPECT_TRUE(filled->empty());
  EXPECT_TRUE(packer.done());
}

TEST(LanePackerTest, DestroyingThePackerClosesFilesNotYetSent) {
  FakeSource source;
  SourceEntry big = FileEntry("big", Pattern(100 << 10, 1));
  const int fd = big.fd;
  source.Add(std::move(big));
  HeapLaneMemory memory(1, 4096, 1, 4096);
  {
    LanePacker packer(&source, &memory, 1024);
    ASSERT_TRUE(packer.Fill(0).ok());  // announced, not sent
    EXPECT_TRUE(IsOpen(fd));
  }
  EXPECT_FALSE(IsOpen(fd));
}

TEST(LaneMemoryTest, ShmBuffersFollowTheLayout) {
  const std::optional<ShmLayout> layout = ComputeShmLayout(4 << 20);
  ASSERT_TRUE(layout.has_value());
  std::vector<uint8_t> region(4 << 20);
  ShmLaneMemory memory(region.data(), *layout);
  EXPECT_EQ(memory.Count(Lane::Batch), layout->batch_slots);
  EXPECT_EQ(memory.Capacity(Lane::Stream), layout->stream_chunk_size);
  EXPECT_EQ(memory.Buffer(Lane::Batch, 1).data(),
            region.data() + layout->batch_offset + layout->batch_slot_size);
  const uint32_t last = memory.Count(Lane::Stream) - 1;
  const std::span<uint8_t> chunk = memory.Buffer(Lane::Stream, last);
  EXPECT_LE(chunk.data() + chunk.size(), region.data() + region.size());
  EXPECT_EQ(memory.Buffer(Lane::Stream, 0).data(), region.data() + layout->stream_offset);
}

TEST(LaneMemoryTest, HeapBuffersHaveTheirSizes) {
  HeapLaneMemory memory(2, 1000, 3, 5000);
  EXPECT_EQ(memory.Count(Lane::Batch), 2u);
  EXPECT_EQ(memory.Count(Lane::Stream), 3u);
  EXPECT_EQ(memory.Capacity(Lane::Batch), 1000u);
  EXPECT_EQ(memory.Buffer(Lane::Stream, 2).size(), 5000u);
  EXPECT_NE(memory.Buffer(Lane::Batch, 0).data(), memory.Buffer(Lane::Batch, 1).data());
}

TEST(LaneMemoryDeathTest, BufferIndexPastTheCountIsAnInvariantFailure) {
  HeapLaneMemory memory(1, 10, 1, 10);
  EXPECT_DEATH(memory.Buffer(Lane::Batch, 1), "check failed");
}

}  // namespace
}  // namespace diskferry
