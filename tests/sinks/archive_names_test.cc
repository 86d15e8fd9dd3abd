// sinks/archive_names.h on this host: names given as UTF-8 reach a pax archive as UTF-8.
#include "sinks/archive_names.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace diskferry {
namespace {

// A pax archive in memory holding one entry made by `fill`.
template <typename Fill>
std::string PaxArchiveWith(unsigned filetype, Fill fill) {
  const ArchiveCharset charset;
  const ArchiveCharsetScope scope(charset);
  std::vector<char> buffer(1 << 16);
  size_t used = 0;
  archive* a = archive_write_new();
  EXPECT_EQ(archive_write_set_format_pax(a), ARCHIVE_OK);
  EXPECT_EQ(archive_write_open_memory(a, buffer.data(), buffer.size(), &used), ARCHIVE_OK);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, filetype);
  archive_entry_set_perm(entry, 0644);
  fill(entry);
  EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
  archive_entry_free(entry);
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

const std::string kName = "dir/\xc3\xa9t\xc3\xa9-\xe2\x82\xac";  // dir/été-€
// Past every single-byte code page: 日本-α.
const std::string kWideName = "\xe6\x97\xa5\xe6\x9c\xac-\xce\xb1";

TEST(ArchiveNamesTest, PathsAreStoredAsUtf8) {
  const std::string tar =
      PaxArchiveWith(AE_IFREG, [](archive_entry* e) { SetEntryPath(e, kName); });
  EXPECT_NE(tar.find(" path=" + kName + "\n"), std::string::npos);
  EXPECT_EQ(tar.find("hdrcharset=BINARY"), std::string::npos);
}

TEST(ArchiveNamesTest, NamesOutsideTheLocalesCodePageAreStoredAsUtf8) {
  const std::string tar =
      PaxArchiveWith(AE_IFREG, [](archive_entry* e) { SetEntryPath(e, kWideName); });
  EXPECT_NE(tar.find(" path=" + kWideName + "\n"), std::string::npos);
  EXPECT_EQ(tar.find("hdrcharset=BINARY"), std::string::npos);
}

TEST(ArchiveNamesTest, SymlinkAndHardlinkTargetsAreStoredAsUtf8) {
  const std::string symlink = PaxArchiveWith(AE_IFLNK, [](archive_entry* e) {
    SetEntryPath(e, "link");
    SetEntrySymlink(e, kName);
  });
  EXPECT_NE(symlink.find(" linkpath=" + kName + "\n"), std::string::npos);
  const std::string hardlink = PaxArchiveWith(AE_IFREG, [](archive_entry* e) {
    SetEntryPath(e, "again");
    SetEntryHardlink(e, kName);
  });
  EXPECT_NE(hardlink.find(" linkpath=" + kName + "\n"), std::string::npos);
}

TEST(ArchiveNamesTest, AsciiNamesNeedNoExtendedHeader) {
  const std::string tar =
      PaxArchiveWith(AE_IFREG, [](archive_entry* e) { SetEntryPath(e, "etc/hostname"); });
  EXPECT_EQ(tar.find("path="), std::string::npos);
  EXPECT_EQ(tar.substr(0, 12), "etc/hostname");
}

}  // namespace
}  // namespace diskferry
