// TarSink on this host's files: an archive written through host_file.h and
// archive_names.h and read back with libarchive (UTF-8 names included), the .partial file
// renamed or removed, and gzip. tar_sink_test.cc covers the archive's contents in depth.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "host/file_mode.h"
#include "sinks/archive_names.h"
#include "sinks/tar_sink.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

constexpr uint64_t kMiB = 1 << 20;
const std::string kLatin = "d/\xc3\xa9t\xc3\xa9";                 // d/été
const std::string kWide = "d/\xe6\x97\xa5\xe6\x9c\xac-\xce\xb1";  // d/日本-α

Record Make(RecordType type, std::string_view path, uint32_t mode) {
  Record r;
  r.meta.type = type;
  r.meta.mode = mode;
  r.meta.mtime_ns = 1700000000123456789;
  r.path = path;
  return r;
}

Record File(std::string_view path, std::string_view data) {
  Record r = Make(RecordType::kFile, path, kModeRegular | 0644);
  r.meta.size = data.size();
  r.data = BytesOf(data);
  return r;
}

// Path (UTF-8) -> what libarchive reads back: content for files, target for links.
struct ReadBack {
  bool ok = false;
  std::map<std::string, std::string> entries;
};

ReadBack ReadArchive(const std::string& path) {
  // The charset TarSink writes under, so that libarchive can convert the names it reads.
  const ArchiveCharset charset;
  const ArchiveCharsetScope scope(charset);
  ReadBack out;
  const std::string bytes = ReadWholeFile(path);
  archive* a = archive_read_new();
  archive_read_support_format_all(a);
  archive_read_support_filter_all(a);
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    ADD_FAILURE() << archive_error_string(a);
    archive_read_free(a);
    return out;
  }
  archive_entry* entry = nullptr;
  int r = ARCHIVE_OK;
  // ARCHIVE_WARN: a UTF-8 name the C locale cannot show; pathname_utf8 has it all the same.
  while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    const char* name = archive_entry_pathname_utf8(entry);
    std::string value;
    if (archive_entry_symlink_utf8(entry) != nullptr) {
      value = std::string("-> ") + archive_entry_symlink_utf8(entry);
    } else {
      char buf[65536];
      for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) value.append(buf, n);
    }
    out.entries[name != nullptr ? name : "?"] = value;
  }
  out.ok = r == ARCHIVE_EOF;
  EXPECT_TRUE(out.ok) << archive_error_string(a);
  archive_read_free(a);
  return out;
}

class TarSinkHostTest : public ::testing::Test {
 protected:
  std::unique_ptr<TarSink> Open(const std::string& name) {
    auto sink = TarSink::Open(scratch_ / name, TarOptions{});
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(*sink) : nullptr;
  }

  ScratchDir scratch_{"df-tar-host"};
};

TEST_F(TarSinkHostTest, WritesUtf8NamesAndStreamFilesAndRenamesThePartialFile) {
  std::unique_ptr<TarSink> sink = Open("out.tar");
  ASSERT_NE(sink, nullptr);
  EXPECT_EQ(ListNames(scratch_.path()), std::vector<std::string>{"out.tar.partial"});
  ASSERT_TRUE(sink->OnRecord(Make(RecordType::kDirectory, "d", kModeDirectory | 0755)).ok());
  ASSERT_TRUE(sink->OnRecord(File(kLatin, "latin")).ok());
  ASSERT_TRUE(sink->OnRecord(File(kWide, "wide")).ok());
  Record link = Make(RecordType::kSymlink, "d/link", kModeSymlink | 0777);
  link.target = kWide;
  ASSERT_TRUE(sink->OnRecord(link).ok());
  Record stream = Make(RecordType::kStreamFile, "d/big", kModeRegular | 0644);
  stream.meta.file_id = 7;
  stream.meta.size = 3 * kMiB;
  ASSERT_TRUE(sink->OnRecord(stream).ok());
  ASSERT_TRUE(sink->OnStreamData(7, 2 * kMiB, BytesOf("tail")).ok());
  ASSERT_TRUE(sink->OnStreamData(7, 0, BytesOf("head")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(7).ok());
  ASSERT_TRUE(sink->Finish().ok());
  EXPECT_EQ(ListNames(scratch_.path()), std::vector<std::string>{"out.tar"})
      << "renamed; no spool file left";
  const ReadBack tar = ReadArchive(scratch_ / "out.tar");
  ASSERT_TRUE(tar.ok);
  EXPECT_EQ(tar.entries.at(kLatin), "latin");
  // libarchive on Windows reads names back through the ANSI code page, which has no 日本:
  // the pax records themselves must hold the UTF-8.
  const std::string raw = ReadWholeFile(scratch_ / "out.tar");
  EXPECT_NE(raw.find(" path=" + kWide + "\n"), std::string::npos) << "stored as UTF-8";
  EXPECT_NE(raw.find(" linkpath=" + kWide + "\n"), std::string::npos);
  EXPECT_EQ(raw.find("hdrcharset=BINARY"), std::string::npos);
  EXPECT_EQ(tar.entries.size(), 5u);
  EXPECT_TRUE(tar.entries.contains("d/link"));
  std::string big(3 * kMiB, '\0');
  big.replace(0, 4, "head");
  big.replace(2 * kMiB, 4, "tail");
  EXPECT_TRUE(tar.entries.at("d/big") == big) << "holes read back as zeros";
  EXPECT_EQ(sink->stats().files, 3u);
}

TEST_F(TarSinkHostTest, AnArchiveNeverFinishedLeavesNothingBehind) {
  {
    std::unique_ptr<TarSink> sink = Open("gone.tar");
    ASSERT_NE(sink, nullptr);
    ASSERT_TRUE(sink->OnRecord(File("f", "data")).ok());
    Record stream = Make(RecordType::kStreamFile, "s", kModeRegular | 0644);
    stream.meta.file_id = 1;
    stream.meta.size = kMiB;
    ASSERT_TRUE(sink->OnRecord(stream).ok());
  }
  EXPECT_TRUE(ListNames(scratch_.path()).empty());
}

TEST_F(TarSinkHostTest, GzipArchivesReadBack) {
  std::unique_ptr<TarSink> sink = Open("out.tar.gz");
  ASSERT_NE(sink, nullptr);
  ASSERT_TRUE(sink->OnRecord(File("f", std::string(100000, 'z'))).ok());
  ASSERT_TRUE(sink->Finish().ok());
  const std::string bytes = ReadWholeFile(scratch_ / "out.tar.gz");
  ASSERT_GE(bytes.size(), 2u);
  EXPECT_EQ(bytes.substr(0, 2), "\x1f\x8b");
  EXPECT_LT(bytes.size(), 10000u);
  EXPECT_EQ(ReadArchive(scratch_ / "out.tar.gz").entries.at("f"), std::string(100000, 'z'));
}

TEST_F(TarSinkHostTest, AMissingDirectoryIsNamed) {
  auto sink = TarSink::Open(scratch_ / "no-dir/out.tar", TarOptions{});
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().code(), Code::kNotFound);
  EXPECT_NE(sink.status().message().find("no-dir/out.tar.partial"), std::string::npos)
      << sink.status().message();
}

}  // namespace
}  // namespace diskferry
