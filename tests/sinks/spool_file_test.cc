// SpoolFile: bounds, holes left where nothing was written, reading back, and failures.
#include "sinks/spool_file.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) { return BytesOf(s); }

constexpr uint64_t kMiB = 1 << 20;

TEST(SpoolFileTest, ReadsBackWhatWasWrittenAndZerosElsewhere) {
  ScratchDir scratch;
  auto spool = SpoolFile::Create(scratch.path(), 10);
  ASSERT_TRUE(spool.ok()) << spool.status().ToString();
  ASSERT_TRUE(spool->Write(3, Bytes("abc")).ok());
  std::string out(10, 'x');
  ASSERT_TRUE(spool->Read(0, {reinterpret_cast<uint8_t*>(out.data()), out.size()}).ok());
  EXPECT_EQ(out, std::string("\0\0\0abc\0\0\0\0", 10));
  const std::vector<std::string> names = ListNames(scratch.path());
#ifdef _WIN32
  // Without POSIX delete semantics (wine, FAT) the name goes only at close.
  if (!names.empty()) {
    EXPECT_TRUE(names[0].starts_with(".diskferry-spool-")) << names[0];
  }
#else
  EXPECT_TRUE(names.empty());  // unnamed
#endif
}

TEST(SpoolFileTest, RefusesRangesOutsideItsSize) {
  ScratchDir scratch;
  auto spool = SpoolFile::Create(scratch.path(), 10);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ(spool->Write(8, Bytes("abc")).code(), Code::kInvalidArgument);
  EXPECT_EQ(spool->Write(UINT64_MAX, Bytes("a")).code(), Code::kInvalidArgument);
  EXPECT_TRUE(spool->Write(10, {}).ok());
  uint8_t byte;
  EXPECT_EQ(spool->Read(10, {&byte, 1}).code(), Code::kInvalidArgument);
  EXPECT_EQ(SpoolFile::Create(scratch.path(), UINT64_MAX).status().code(), Code::kInvalidArgument);
}

TEST(SpoolFileTest, ListsDataExtentsAroundHoles) {
  ScratchDir scratch;
  auto spool = SpoolFile::Create(scratch.path(), 8 * kMiB);
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE(spool->Write(2 * kMiB, Bytes("middle")).ok());
  auto extents = spool->DataExtents();
  ASSERT_TRUE(extents.ok()) << extents.status().ToString();
  ASSERT_FALSE(extents->empty());
  if ((*extents)[0].offset == 0 && (*extents)[0].length == 8 * kMiB) {
    GTEST_SKIP() << "no holes on this filesystem";
  }
  ASSERT_EQ(extents->size(), 1u);
  EXPECT_LE((*extents)[0].offset, 2 * kMiB);
  EXPECT_GE((*extents)[0].offset + (*extents)[0].length, 2 * kMiB + 6);
  EXPECT_LT((*extents)[0].length, kMiB);
  auto empty = SpoolFile::Create(scratch.path(), kMiB);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->DataExtents()->empty());
}

TEST(SpoolFileTest, FailsInAMissingDirectory) {
  ScratchDir scratch;
  auto spool = SpoolFile::Create(scratch / "missing", 1);
  ASSERT_FALSE(spool.ok());
  EXPECT_EQ(spool.status().code(), Code::kNotFound);
  EXPECT_NE(spool.status().message().find("missing"), std::string::npos);
}

TEST(SpoolFileTest, MovesWithItsDescriptor) {
  ScratchDir scratch;
  auto a = SpoolFile::Create(scratch.path(), 4);
  auto b = SpoolFile::Create(scratch.path(), 4);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->Write(0, Bytes("aaaa")).ok());
  *b = std::move(*a);  // b's old file is closed, not leaked
  std::string out(4, '\0');
  ASSERT_TRUE(b->Read(0, {reinterpret_cast<uint8_t*>(out.data()), out.size()}).ok());
  EXPECT_EQ(out, "aaaa");
}

}  // namespace
}  // namespace diskferry
