// Errno values on the wire are Linux's whatever the host (protocol/errno_names.h). Runs on
// Linux and, cross-built, under wine, where the C library numbers many of them otherwise.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "protocol/errno_names.h"
#include "protocol/lane_records.h"

namespace diskferry {
namespace {

TEST(ErrnoWireTest, TheWireSpeaksLinuxNumbers) {
  EXPECT_EQ(ErrnoToWire(0), 0);
  EXPECT_EQ(ErrnoToWire(ENOENT), 2);
  EXPECT_EQ(ErrnoToWire(ENAMETOOLONG), 36);
  EXPECT_EQ(ErrnoToWire(ENOTEMPTY), 39);
  EXPECT_EQ(ErrnoToWire(ELOOP), 40);
  EXPECT_EQ(ErrnoToWire(EILSEQ), 84);
  EXPECT_EQ(ErrnoToWire(EOPNOTSUPP), 95);
  EXPECT_EQ(ErrnoFromWire(0), 0);
  EXPECT_EQ(ErrnoFromWire(39), ENOTEMPTY);
  EXPECT_EQ(ErrnoFromWire(40), ELOOP);
  EXPECT_EQ(ErrnoFromWire(84), EILSEQ);
  EXPECT_EQ(ErrnoFromWire(117), ErrnoFromName("EUCLEAN"));
  EXPECT_EQ(ErrnoName(ErrnoFromWire(117)), "EUCLEAN");
}

TEST(ErrnoWireTest, EveryNamedValueRoundTrips) {
  for (const char* name : {"EPERM", "ENOENT", "EIO", "EACCES", "EEXIST", "ENOTDIR", "EISDIR",
                           "ENOSPC", "EROFS", "ENAMETOOLONG", "ENOSYS", "ENOTEMPTY", "ELOOP",
                           "ENODATA", "EOVERFLOW", "EOPNOTSUPP", "ETIMEDOUT", "EUCLEAN",
                           "EDQUOT", "ESTALE", "ENOTBLK", "EILSEQ", "EKEYREJECTED"}) {
    const int host = ErrnoFromName(name);
    EXPECT_EQ(ErrnoName(host), name);
    EXPECT_EQ(ErrnoFromWire(ErrnoToWire(host)), host) << name;
  }
}

TEST(ErrnoWireTest, AnErrorRecordCarriesItsErrnoAcrossTheWire) {
  RecordMeta meta;
  meta.type = RecordType::kError;
  meta.errno_value = ENOTEMPTY;
  std::vector<uint8_t> buf(4096);
  RecordWriter writer(buf);
  ASSERT_TRUE(writer.Append(meta, "dir/x", "not empty", {}, {}));
  RecordReader reader(std::span<const uint8_t>(buf.data(), writer.used()), 1);
  Result<std::optional<Record>> back = reader.Next();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->meta.errno_value, ENOTEMPTY);
  EXPECT_EQ(ErrnoName((*back)->meta.errno_value), "ENOTEMPTY");
}

}  // namespace
}  // namespace diskferry
