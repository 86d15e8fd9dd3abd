#include "protocol/lane_records.h"

#include <gtest/gtest.h>

#include <cstring>

#include "protocol/shm_layout.h"

namespace diskferry {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<uint8_t> OneFileRecord(std::string_view path, std::string_view data) {
  std::vector<uint8_t> buf(4096);
  RecordWriter w(buf);
  RecordMeta m;
  m.type = RecordType::kFile;
  m.mode = 0100644;
  m.size = data.size();
  EXPECT_TRUE(w.Append(m, path, "", {}, Bytes(data)));
  buf.resize(w.used());
  return buf;
}

TEST(LaneRecordsTest, RoundTripsEveryField) {
  std::vector<uint8_t> buf(8192);
  RecordWriter w(buf);
  RecordMeta m;
  m.type = RecordType::kSymlink;
  m.mode = 0120777;
  m.uid = 1000;
  m.gid = 100;
  m.nlink = 1;
  m.size = 8;
  m.ino = 42;
  m.mtime_ns = 1795446245123456789;
  m.atime_ns = -5;
  m.ctime_ns = 1795446246000000001;
  m.flags = kRecordHasCrtime;
  m.crtime_ns = 1600000000000000007;
  const auto xattrs = EncodeXattrs({{"user.a", "1"}, {"security.selinux", std::string("x\0y", 3)}});
  ASSERT_TRUE(w.Append(m, "etc/alias", "hostname", xattrs, {}));
  ASSERT_TRUE(w.Append(RecordMeta{}, "f", "", {}, {}));
  EXPECT_EQ(w.count(), 2u);
  EXPECT_EQ(w.used() % 8, 0u);

  RecordReader r(std::span<const uint8_t>(buf.data(), w.used()), 2);
  auto first = r.Next();
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status().ToString();
  const Record& rec = **first;
  EXPECT_EQ(rec.path, "etc/alias");
  EXPECT_EQ(rec.target, "hostname");
  EXPECT_EQ(rec.meta.uid, 1000u);
  EXPECT_EQ(rec.meta.mtime_ns, 1795446245123456789);
  EXPECT_EQ(rec.meta.atime_ns, -5);
  EXPECT_EQ(rec.meta.ctime_ns, 1795446246000000001);
  EXPECT_EQ(rec.meta.ino, 42u);
  EXPECT_EQ(rec.meta.nlink, 1u);
  EXPECT_EQ(rec.meta.flags, kRecordHasCrtime);
  EXPECT_EQ(rec.meta.crtime_ns, 1600000000000000007);
  auto decoded = DecodeXattrs(rec.xattrs);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[1].second, std::string("x\0y", 3));
  ASSERT_TRUE(r.Next().ok());
  auto end = r.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(LaneRecordsTest, WriterRefusesWhatDoesNotFit) {
  std::vector<uint8_t> buf(kRecordHeaderSize + 8);
  RecordWriter w(buf);
  RecordMeta m;
  m.size = 9;
  EXPECT_FALSE(w.Append(m, "a", "", {}, Bytes("123456789")));
  EXPECT_EQ(w.used(), 0u);
  m.size = 3;
  EXPECT_TRUE(w.Append(m, "a", "", {}, Bytes("123")));
}

TEST(LaneRecordsTest, RejectsRecordSizeBeyondTheBuffer) {
  auto buf = OneFileRecord("a", "hello");
  const uint32_t huge = 1u << 30;
  std::memcpy(buf.data(), &huge, 4);
  RecordReader r(buf, 1);
  auto rec = r.Next();
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.status().code(), Code::kProtocolError);
  EXPECT_NE(rec.status().message().find("outside its buffer"), std::string::npos);
}

TEST(LaneRecordsTest, RejectsLengthsThatOverflow) {
  auto buf = OneFileRecord("a", "hello");
  const uint64_t data_len = UINT64_MAX - 100;  // path + data would wrap around
  std::memcpy(buf.data() + 24, &data_len, 8);
  RecordReader r(buf, 1);
  auto rec = r.Next();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("do not add up"), std::string::npos);
}

TEST(LaneRecordsTest, RejectsTruncatedHeaderAndCountMismatch) {
  auto buf = OneFileRecord("a", "hello");
  RecordReader truncated(std::span<const uint8_t>(buf.data(), 50), 1);
  EXPECT_FALSE(truncated.Next().ok());
  RecordReader too_many(buf, 2);
  ASSERT_TRUE(too_many.Next().ok());
  EXPECT_FALSE(too_many.Next().ok());
  RecordReader too_few(buf, 0);
  EXPECT_FALSE(too_few.Next().ok());
}

TEST(LaneRecordsTest, RejectsUnknownTypeAndMisalignedSize) {
  auto buf = OneFileRecord("a", "hello");
  const uint16_t type = 99;
  std::memcpy(buf.data() + 4, &type, 2);
  EXPECT_FALSE(RecordReader(buf, 1).Next().ok());
  buf = OneFileRecord("a", "hello");
  uint32_t size;
  std::memcpy(&size, buf.data(), 4);
  size -= 4;
  std::memcpy(buf.data(), &size, 4);
  EXPECT_FALSE(RecordReader(buf, 1).Next().ok());
}

TEST(LaneRecordsTest, RejectsUnknownFlags) {
  auto buf = OneFileRecord("a", "hello");
  const uint16_t flags = 0x8000;
  std::memcpy(buf.data() + 6, &flags, 2);
  auto rec = RecordReader(buf, 1).Next();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("unknown flags"), std::string::npos);
}

TEST(LaneRecordsTest, RejectsCreationTimeWithoutItsFlag) {
  auto buf = OneFileRecord("a", "hello");
  const int64_t crtime = 1600000000;
  std::memcpy(buf.data() + 104, &crtime, 8);
  auto rec = RecordReader(buf, 1).Next();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("creation time without its flag"), std::string::npos);
}

TEST(LaneRecordsTest, RejectsInlineDataThatDisagreesWithSize) {
  auto buf = OneFileRecord("a", "hello");
  const uint64_t size = 4;
  std::memcpy(buf.data() + 56, &size, 8);
  auto rec = RecordReader(buf, 1).Next();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("file size"), std::string::npos);
}

TEST(LaneRecordsTest, RejectsUnsafePaths) {
  for (std::string_view bad : {"/etc/passwd", "../x", "a/../../b", "a//b", "./a", "a/.", ""}) {
    auto buf = OneFileRecord(bad, "x");
    auto rec = RecordReader(buf, 1).Next();
    EXPECT_FALSE(rec.ok()) << bad;
    if (!rec.ok()) {
      EXPECT_NE(rec.status().message().find("unsafe path"), std::string::npos);
    }
  }
  EXPECT_FALSE(ValidateRelativePath(std::string_view("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateRelativePath(std::string(5000, 'a')).ok());
  EXPECT_TRUE(ValidateRelativePath("caf\xc3\xa9/new\nline").ok());
}

TEST(LaneRecordsTest, RejectsHostileXattrBlobs) {
  std::vector<uint8_t> blob = EncodeXattrs({{"user.a", "value"}});
  const uint32_t huge = 0xffffffffu;
  auto bad = blob;
  std::memcpy(bad.data() + 4, &huge, 4);
  EXPECT_FALSE(DecodeXattrs(bad).ok());
  EXPECT_FALSE(DecodeXattrs(std::span<const uint8_t>(blob.data(), 5)).ok());
  auto empty_name = EncodeXattrs({{"", "v"}});
  EXPECT_FALSE(DecodeXattrs(empty_name).ok());
  auto nul_name = EncodeXattrs({{std::string("a\0b", 3), "v"}});
  EXPECT_FALSE(DecodeXattrs(nul_name).ok());
}

TEST(ShmLayoutTest, LanesFitInsideTheRegionWithoutOverlap) {
  for (uint64_t size = uint64_t{2} << 20; size <= (uint64_t{4} << 30); size *= 2) {
    auto l = ComputeShmLayout(size);
    ASSERT_TRUE(l.has_value()) << size;
    EXPECT_GE(l->batch_offset, kShmHeaderSize);
    EXPECT_LE(l->batch_offset + uint64_t{l->batch_slots} * l->batch_slot_size, l->stream_offset);
    EXPECT_LE(l->stream_offset + uint64_t{l->stream_chunks} * l->stream_chunk_size, size);
    EXPECT_EQ(l->batch_slot_size % 4096, 0u);
    EXPECT_EQ(l->stream_chunk_size % 4096, 0u);
  }
  EXPECT_FALSE(ComputeShmLayout(3u << 20).has_value());
  EXPECT_FALSE(ComputeShmLayout(1u << 20).has_value());
  EXPECT_EQ(ComputeShmLayout(256u << 20)->stream_chunk_size, 4u << 20);
}

}  // namespace
}  // namespace diskferry
