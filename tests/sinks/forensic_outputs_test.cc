// DFXML and body-file writers: escaping of hostile names, times, mode strings, hard links,
// PATH.partial handling, and the DFXML schema (xmllint --schema, offline).
#include "sinks/forensic_outputs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

FileRecord File(std::string path, uint32_t mode = 0100644) {
  FileRecord r;
  r.path = std::move(path);
  r.type = "file";
  r.size = 6;
  r.mode = mode;
  r.uid = 1000;
  r.gid = 100;
  r.ino = 12;
  r.nlink = 1;
  r.mtime_ns = 1577934245123456789;
  r.atime_ns = 1577934245000000000;
  r.ctime_ns = 1796664664000000001;
  r.crtime_ns = 1796664664999999999;
  r.hashes = {{"md5", "b1946ac92492d2347c6235b4d2611184"},
              {"sha256", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"}};
  return r;
}

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

bool HasXmllint() { return std::system("xmllint --version >/dev/null 2>&1") == 0; }

// xmllint's verdict on `path` against the shipped schema; the output goes to `log`.
bool ValidatesAgainstSchema(const std::string& path, const std::string& log) {
  const std::string cmd = std::string("xmllint --noout --nonet --schema '") + DF_DFXML_XSD + "' '" +
                          path + "' >'" + log + "' 2>&1";
  return std::system(cmd.c_str()) == 0;
}

TEST(DfxmlTextTest, EscapesMarkupControlsInvalidUtf8AndBackslashAsFiwalkDoes) {
  EXPECT_EQ(DfxmlText("lt<amp&gt>"), "lt&lt;amp&amp;gt&gt;");
  EXPECT_EQ(DfxmlText("ap'qu\""), "ap&apos;qu&quot;");
  EXPECT_EQ(DfxmlText("ctl\x01\x1f"), "ctl\\x01\\x1F");
  EXPECT_EQ(DfxmlText("nl\nname\ttab"), "nl\\x0Aname\\x09tab");
  EXPECT_EQ(DfxmlText("bad\xff\xfeutf"), "bad\\xFF\\xFEutf");
  EXPECT_EQ(DfxmlText("uml\xc3\xa4"), "uml\xc3\xa4");
  EXPECT_EQ(DfxmlText("back\\x41"), "back\\x5Cx41");
  EXPECT_EQ(DfxmlText("cut\xe2\x82"), "cut\\xE2\\x82");           // truncated sequence
  EXPECT_EQ(DfxmlText("long\xc0\xaf"), "long\\xC0\\xAF");         // overlong '/'
  EXPECT_EQ(DfxmlText("sur\xed\xa0\x80"), "sur\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(DfxmlText("nonchar\xef\xbf\xbe"), "nonchar\\xEF\\xBF\\xBE");
  EXPECT_EQ(DfxmlText("emoji\xf0\x9f\x98\x80"), "emoji\xf0\x9f\x98\x80");
}

TEST(DfxmlTimeTest, WritesUtcWithNanosecondsBeforeAndAfterTheEpoch) {
  EXPECT_EQ(DfxmlTime(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(DfxmlTime(1577934245123456789), "2020-01-02T03:04:05.123456789Z");
  EXPECT_EQ(DfxmlTime(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(DfxmlTime(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(DfxmlTime(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
}

TEST(BodyfileTest, ModeStringsAsFlsWritesThem) {
  EXPECT_EQ(BodyfileMode(0100644), "r/rrw-r--r--");
  EXPECT_EQ(BodyfileMode(0040755), "d/drwxr-xr-x");
  EXPECT_EQ(BodyfileMode(0120777), "l/lrwxrwxrwx");
  EXPECT_EQ(BodyfileMode(0104755), "r/rrwsr-xr-x");
  EXPECT_EQ(BodyfileMode(0102644), "r/rrw-r-Sr--");
  EXPECT_EQ(BodyfileMode(0041777), "d/drwxrwxrwt");
  EXPECT_EQ(BodyfileMode(0010600), "p/prw-------");
  EXPECT_EQ(BodyfileMode(0020620), "c/crw--w----");
  EXPECT_EQ(BodyfileMode(0060660), "b/brw-rw----");
  EXPECT_EQ(BodyfileMode(0140755), "s/srwxr-xr-x");
}

TEST(BodyfileTest, LineHasElevenFieldsWithSecondsAndEscapedName) {
  FileRecord r = File("dir/pi|pe%41\nx");
  EXPECT_EQ(BodyfileLine(r, "b1946ac92492d2347c6235b4d2611184"),
            "b1946ac92492d2347c6235b4d2611184|/dir/pi%7Cpe%2541^x|12|r/rrw-r--r--|1000|100|6|"
            "1577934245|1577934245|1796664664|1796664664");
  FileRecord link = File("link", 0120777);
  link.type = "symlink";
  link.target = "a|b";
  link.mtime_ns = -1500000000;  // floor, as a timespec's seconds
  EXPECT_EQ(BodyfileName(link), "/link -> a%7Cb");
  EXPECT_NE(BodyfileLine(link, "0").find("|-2|"), std::string::npos);
  FileRecord gone = File("tmp/dropper");
  gone.deleted = true;  // recovered by `recover: deleted`: named as fls -m names it
  EXPECT_EQ(BodyfileName(gone), "/tmp/dropper (deleted)");
}

class ForensicWritersTest : public ::testing::Test {
 protected:
  ScratchDir scratch_;
};

TEST_F(ForensicWritersTest, BodyfileGivesLaterHardLinksTheirFirstPathsMd5AndSkipsErrors) {
  const std::string path = scratch_ / "out.body";
  auto writer = BodyfileWriter::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  FileRecord first = File("a.txt");
  first.nlink = 2;
  FileRecord second = File("hard");
  second.type = "hardlink";
  second.target = "a.txt";
  second.nlink = 2;
  second.hashes.clear();
  FileRecord error = File("gone");
  error.type = "error";
  error.status = "gone: Input/output error";
  FileRecord unhashed = File("plain");
  unhashed.hashes.clear();
  for (const FileRecord& r : {first, second, error, unhashed}) ASSERT_TRUE(writer->Add(r).ok());
  EXPECT_FALSE(Exists(path));  // nothing at PATH before Close
  ASSERT_TRUE(writer->Close().ok());
  const std::string text = ReadWholeFile(path);
  EXPECT_EQ(text,
            "b1946ac92492d2347c6235b4d2611184|/a.txt|12|r/rrw-r--r--|1000|100|6|"
            "1577934245|1577934245|1796664664|1796664664\n"
            "b1946ac92492d2347c6235b4d2611184|/hard|12|r/rrw-r--r--|1000|100|6|"
            "1577934245|1577934245|1796664664|1796664664\n"
            "0|/plain|12|r/rrw-r--r--|1000|100|6|"
            "1577934245|1577934245|1796664664|1796664664\n");
  EXPECT_FALSE(Exists(path + ".partial"));
}

TEST_F(ForensicWritersTest, AnUnclosedWriterLeavesNeitherFileAndAStalePartialIsReplaced) {
  const std::string path = scratch_ / "out.xml";
  ASSERT_TRUE(WriteWholeFile(path + ".partial", "stale"));
  {
    auto writer = DfxmlWriter::Open(path, DfxmlOptions{});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE(writer->Add(File("a")).ok());
    EXPECT_NE(ReadWholeFile(path + ".partial"), "stale");
  }
  EXPECT_FALSE(Exists(path + ".partial"));
  EXPECT_FALSE(Exists(path));
}

TEST_F(ForensicWritersTest, DfxmlOfHostileNamesIsValidAgainstTheSchema) {
  if (!HasXmllint()) GTEST_SKIP() << "xmllint (libxml2-utils) is not installed";
  const std::string path = scratch_ / "out.xml";
  DfxmlOptions options;
  options.program_version = "1.2.3";
  options.command_line = "diskferry run <m.yaml> & 'x'";
  options.start_time = "2026-12-07T17:31:04Z";
  options.image_filenames = {"/img/disk\x01.raw", "second.qcow2"};
  options.image_digests = {{"/img/disk\x01.raw", 8388608, {{"md5", "00ff"}, {"sha256", "aa"}}},
                           {"/img/seized.E02", 1024, {{"md5", "11ee"}, {"sha256", "bb"}}}};
  options.case_info = CaseInfo{"C-1", "Ex <aminer>", "E\xff", "notes\nline"};
  options.filesystems = {{"/dev/sda1", "ext4", "/", false}};
  options.partition_offset = 1048576;
  auto writer = DfxmlWriter::Open(path, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  FileRecord dir = File("d", 0040755);
  dir.type = "dir";
  dir.hashes.clear();
  dir.crtime_ns = 0;  // unknown: no <crtime>
  FileRecord odd = File("d/ctl\x01<&>\xff\xfe name");
  FileRecord link = File("d/l", 0120777);
  link.type = "symlink";
  link.target = "../\x02target";
  link.hashes.clear();
  FileRecord error = File("d/unreadable");
  error.type = "error";
  error.status = "d/unreadable: Permission denied <13>";
  FileRecord broken = File("d/half");
  broken.status = "not hashed: stream data out of order";
  FileRecord gone = File("d/gone");
  gone.deleted = true;
  for (const FileRecord& r : {dir, odd, link, error, broken, gone}) {
    ASSERT_TRUE(writer->Add(r).ok());
  }
  ASSERT_TRUE(writer->Close().ok());

  const std::string text = ReadWholeFile(path);
  EXPECT_NE(text.find("<filename>d/ctl\\x01&lt;&amp;&gt;\\xFF\\xFE name</filename>"),
            std::string::npos);
  EXPECT_NE(text.find("<link_target>../\\x02target</link_target>"), std::string::npos);
  EXPECT_NE(text.find("<mtime>2020-01-02T03:04:05.123456789Z</mtime>"), std::string::npos);
  EXPECT_NE(text.find("<hashdigest type='sha256'>5891b5b5"), std::string::npos);
  EXPECT_NE(text.find("diskferry:md5='00ff'"), std::string::npos);
  // A file the digests cover but the image names do not (an E01's second segment).
  EXPECT_NE(
      text.find("diskferry:md5='11ee' diskferry:sha256='bb'>/img/seized.E02</image_filename>"),
      std::string::npos);
  EXPECT_NE(text.find("<filename>d/gone</filename>"), std::string::npos);
  EXPECT_NE(text.find("<alloc>0</alloc>"), std::string::npos);
  EXPECT_NE(text.find("<mode>420</mode>"), std::string::npos);
  EXPECT_NE(text.find("<meta_type>6</meta_type>"), std::string::npos);
  EXPECT_NE(text.find("<error>not hashed: stream data out of order</error>"), std::string::npos);
  EXPECT_EQ(text.find("<crtime>1796"), std::string::npos);
  const std::string log = scratch_ / "xmllint.log";
  EXPECT_TRUE(ValidatesAgainstSchema(path, log)) << ReadWholeFile(log) << text;
}

TEST_F(ForensicWritersTest, DfxmlOfSeveralFilesystemsNamesEachEntrysVolume) {
  if (!HasXmllint()) GTEST_SKIP() << "xmllint (libxml2-utils) is not installed";
  const std::string path = scratch_ / "os.xml";
  DfxmlOptions options;
  options.filesystems = {{"/dev/sda2", "ext4", "/", false}, {"/dev/sda1", "vfat", "/boot", false}};
  auto writer = DfxmlWriter::Open(path, options);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->Add(File("etc/hostname")).ok());
  ASSERT_TRUE(writer->Add(File("boot/vmlinuz")).ok());
  ASSERT_TRUE(writer->Add(File("bootstrap")).ok());
  ASSERT_TRUE(writer->Close().ok());
  const std::string text = ReadWholeFile(path);
  EXPECT_NE(text.find("<filename>boot/vmlinuz</filename>\n    <partition>2</partition>"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("<filename>bootstrap</filename>\n    <partition>1</partition>"),
            std::string::npos);
  const std::string log = scratch_ / "xmllint.log";
  EXPECT_TRUE(ValidatesAgainstSchema(path, log)) << ReadWholeFile(log) << text;
}

}  // namespace
}  // namespace diskferry
