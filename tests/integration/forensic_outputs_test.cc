// DFXML and body-file outputs end to end, against The Sleuth Kit on the same raw images:
// fiwalk's DFXML (names, sizes, inodes, md5/sha1, mtimes), fls -m + mactime's timeline,
// and the DFXML schema (xmllint, offline). fiwalk 4.11 cannot read xfs: there xfs_db is
// the reference for inode numbers and sizes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

// What both DFXML writers say about one entry, as written (escaped) in the file.
struct FileObject {
  std::string name_type, filesize, inode, mtime, crtime;
  std::map<std::string, std::string> hashes;
};

// The text between <tag ...> and </tag> on `line`, if it is that element (fiwalk gives
// times a `prec` attribute).
bool ElementText(const std::string& line, const std::string& tag, std::string* text) {
  const std::string open = "<" + tag;
  const size_t at = line.find(open);
  if (at == std::string::npos) return false;
  const size_t after = at + open.size();
  if (after >= line.size() || (line[after] != '>' && line[after] != ' ')) return false;
  const size_t start = line.find('>', after) + 1;
  const size_t end = line.find("</" + tag + ">", start);
  if (end == std::string::npos) return false;
  *text = line.substr(start, end - start);
  return true;
}

// The file objects of a DFXML file by filename: line by line, which both fiwalk's and
// diskferry's writers allow (one element per line); a parent_object's inode is skipped.
std::map<std::string, FileObject> ReadFileObjects(const std::string& path) {
  std::map<std::string, FileObject> out;
  std::ifstream in(path);
  std::string line, filename;
  FileObject obj;
  bool in_object = false, in_parent = false;
  while (std::getline(in, line)) {
    std::string text;
    if (line.find("<fileobject>") != std::string::npos) {
      in_object = true;
      obj = {};
      filename.clear();
    } else if (line.find("</fileobject>") != std::string::npos) {
      in_object = false;
      out[filename] = obj;
    } else if (!in_object) {
      continue;
    } else if (line.find("<parent_object>") != std::string::npos) {
      in_parent = true;
    } else if (line.find("</parent_object>") != std::string::npos) {
      in_parent = false;
    } else if (in_parent) {
      continue;
    } else if (ElementText(line, "filename", &text)) {
      filename = text;
    } else if (ElementText(line, "name_type", &text)) {
      obj.name_type = text;
    } else if (ElementText(line, "filesize", &text)) {
      obj.filesize = text;
    } else if (ElementText(line, "inode", &text)) {
      obj.inode = text;
    } else if (ElementText(line, "mtime", &text)) {
      obj.mtime = text.substr(0, 19);  // fiwalk writes whole seconds
    } else if (ElementText(line, "crtime", &text)) {
      obj.crtime = text.substr(0, 19);
    } else if (line.find("<hashdigest type='") != std::string::npos) {
      const size_t q = line.find('\'') + 1;
      const std::string type = line.substr(q, line.find('\'', q) - q);
      obj.hashes[type] =
          line.substr(line.find('>') + 1, line.find("</hashdigest>") - line.find('>') - 1);
    }
  }
  return out;
}

// fiwalk's allocated, real entries: no ".", "..", TSK's virtual $ files, FAT's volume
// label or deleted ones.
std::map<std::string, FileObject> RealEntries(std::map<std::string, FileObject> objects) {
  std::erase_if(objects, [](const auto& kv) {
    const std::string& name = kv.first;
    const std::string last = name.substr(name.rfind('/') + 1);
    return last == "." || last == ".." || name.starts_with("$") ||
           name.ends_with("(Volume Label Entry)") || name.find("/$") != std::string::npos ||
           kv.second.name_type == "v" || kv.second.name_type == "V" || kv.second.name_type == "-";
  });
  return objects;
}

std::vector<std::string> Names(const std::map<std::string, FileObject>& objects) {
  std::vector<std::string> names;
  for (const auto& [name, obj] : objects) names.push_back(name);
  return names;
}

class ForensicOutputsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("forensic");
    const std::string fstype = GetParam();
    const std::string tree = dir_ + "/tree";
    MakeSourceTree(tree, {.symlinks = fstype != "vfat",
                          .unix_modes = fstype != "vfat",
                          .spaces_in_names = fstype != "xfs"});
    if (fstype == "ext4") {
      // Names the writers must escape, a hard link, and an old mtime with nanoseconds.
      std::ofstream(tree + "/data/ctl\x01\n<&>\xff name") << "hostile\n";
      ASSERT_EQ(::link((tree + "/etc/hostname").c_str(), (tree + "/data/hardlink").c_str()), 0);
      std::string out;
      RunShell("touch -d '2020-01-02 03:04:05.123456789' '" + tree + "/one-byte'", &out);
    }
    image_ = dir_ + "/src.img";
    Status made = MakeImage(fstype, tree, image_);
    ASSERT_TRUE(made.ok()) << made.ToString();
  }
  void TearDown() override { RemoveTree(dir_); }

  // A list job writing both listings to out/fx.dfxml and out/fx.body (the directory does
  // not exist yet: the job makes it).
  void RunListJob() {
    std::ofstream(dir_ + "/m.yaml") << "version: 1\njobs:\n  - name: fx\n    kind: list\n"
                                       "    source: src.img\n    format: raw\n"
                                       "    hashes: [sha256, md5, sha1]\n"
                                       "    output: {dfxml: out/fx.dfxml, bodyfile: out/fx.body}\n";
    std::string out;
    ASSERT_EQ(RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl"), &out),
              0)
        << out;
  }

  std::string dir_, image_;
};

TEST_P(ForensicOutputsTest, DfxmlValidatesAgainstTheSchema) {
  ASSERT_NO_FATAL_FAILURE(RunListJob());
  std::string out;
  EXPECT_EQ(RunShell(std::string("xmllint --noout --nonet --schema '") + DF_DFXML_XSD + "' '" +
                         dir_ + "/out/fx.dfxml'",
                     &out),
            0)
      << out;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out/fx.dfxml.partial"));
}

TEST_P(ForensicOutputsTest, DfxmlAgreesWithFiwalkOrXfsDb) {
  ASSERT_NO_FATAL_FAILURE(RunListJob());
  const std::map<std::string, FileObject> ours = ReadFileObjects(dir_ + "/out/fx.dfxml");
  ASSERT_FALSE(ours.empty());
  std::string out;
  if (GetParam() == "xfs") {
    // TSK 4.11 has no xfs: each entry's inode and size from xfs_db instead.
    for (const auto& [name, obj] : ours) {
      if (name.find('\\') != std::string::npos) continue;  // escaped: not a shell path
      ASSERT_EQ(RunShell("xfs_db -r -c 'path /" + name + "' -c 'print core.size' -c 'inode' '" +
                             image_ + "' 2>&1",
                         &out),
                0)
          << name << ": " << out;
      EXPECT_NE(out.find("core.size = " + obj.filesize + "\n"), std::string::npos)
          << name << ": " << out;
      EXPECT_NE(out.find("current inode number is " + obj.inode + "\n"), std::string::npos)
          << name << ": " << out;
    }
    return;
  }
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && TZ=UTC fiwalk -X fiwalk.xml src.img", &out), 0) << out;
  const std::map<std::string, FileObject> theirs =
      RealEntries(ReadFileObjects(dir_ + "/fiwalk.xml"));
  ASSERT_EQ(Names(ours), Names(theirs));
  const bool inodes_mean_the_same = GetParam() == "ext4";  // Linux makes vfat's up at mount
  for (const auto& [name, obj] : ours) {
    const FileObject& ref = theirs.at(name);
    EXPECT_EQ(obj.name_type, ref.name_type) << name;
    if (obj.name_type == "r") {
      EXPECT_EQ(obj.filesize, ref.filesize) << name;
      ASSERT_EQ(obj.hashes.size(), 3u) << name;
      EXPECT_EQ(obj.hashes.at("sha256").size(), 64u) << name;
      if (ref.filesize != "0") {  // fiwalk hashes no empty file
        EXPECT_EQ(obj.hashes.at("md5"), ref.hashes.at("md5")) << name;
        EXPECT_EQ(obj.hashes.at("sha1"), ref.hashes.at("sha1")) << name;
      }
    }
    EXPECT_EQ(obj.mtime, ref.mtime) << name;
    if (inodes_mean_the_same) {
      EXPECT_EQ(obj.inode, ref.inode) << name;
      EXPECT_FALSE(obj.crtime.empty()) << name;  // ext4 with 256-byte inodes keeps it
    }
    if (!obj.crtime.empty()) {  // statx's btime, TSK's
      EXPECT_EQ(obj.crtime, ref.crtime) << name;
    }
  }
}

// ext4 only: TSK reads vfat's modes, directory sizes and access times otherwise than
// Linux's mount shows them (fls -m gives every FAT file rwxrwxrwx), and has no xfs.
class ForensicBodyfileTest : public ForensicOutputsTest {};

TEST_P(ForensicBodyfileTest, BodyfileGivesTheTimelineOfFlsAndMactime) {
  ASSERT_NO_FATAL_FAILURE(RunListJob());
  std::string ours, theirs;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && mactime -b out/fx.body -d -y -z UTC", &ours), 0) << ours;
  ASSERT_EQ(RunShell("cd '" + dir_ +
                         "' && fls -r -m / src.img | grep -a -v -e '|/\\$OrphanFiles' "
                         "-e '(deleted' > fls.body && mactime -b fls.body -d -y -z UTC",
                     &theirs),
            0)
      << theirs;
  EXPECT_EQ(ours, theirs);
  EXPECT_NE(ours.find("2020-01-02T03:04:05Z,1,ma..,r/rrw-r--r--,0,0,"), std::string::npos) << ours;
}

INSTANTIATE_TEST_SUITE_P(Filesystems, ForensicOutputsTest,
                         ::testing::Values("ext4", "xfs", "vfat"));
INSTANTIATE_TEST_SUITE_P(Filesystems, ForensicBodyfileTest, ::testing::Values("ext4"));

// Extract jobs: beside a directory, and with listings only; copy-out's flags.
class ForensicExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("forensic-extract");
    MakeSourceTree(dir_ + "/tree", {});
    ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", dir_ + "/src.img").ok());
  }
  void TearDown() override { RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(ForensicExtractTest, ExtractWithAndWithoutDirectoryListsTheSameEntries) {
  std::ofstream(dir_ + "/m.yaml")
      << "version: 1\ndefaults:\n  source: src.img\n  format: raw\n  hashes: [sha256, md5]\n"
         "jobs:\n"
         "  - name: copy\n    kind: extract\n"
         "    output: {dir: out, dfxml: \"lists/${job}.dfxml\", bodyfile: \"lists/${job}.body\"}\n"
         "  - name: only\n    kind: extract\n"
         "    output: {dfxml: \"lists/${job}.dfxml\", bodyfile: \"lists/${job}.body\"}\n";
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl"), &out), 0)
      << out;
  const auto copy = ReadFileObjects(dir_ + "/lists/copy.dfxml");
  const auto only = ReadFileObjects(dir_ + "/lists/only.dfxml");
  EXPECT_EQ(Names(copy), Names(only));
  EXPECT_EQ(copy.at("etc/hostname").hashes, only.at("etc/hostname").hashes);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/out/etc/hostname"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/out.sha256"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/only"));
  std::string copy_body, only_body;
  RunShell("cat '" + dir_ + "/lists/copy.body'", &copy_body);
  RunShell("cat '" + dir_ + "/lists/only.body'", &only_body);
  EXPECT_EQ(copy_body, only_body);
  // md5 of "demo\n"
  EXPECT_NE(copy_body.find("8aae25baff2ef9e3da0ac9ff82467823|/etc/hostname|"), std::string::npos)
      << copy_body;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && " + Diskferry("plan m.yaml"), &out), 0) << out;
  EXPECT_NE(out.find("; DFXML to lists/copy.dfxml; body file to lists/copy.body"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("to no files (listings only)"), std::string::npos) << out;
}

TEST_F(ForensicExtractTest, CopyOutWritesListingsWithPathsFromTheFilesystemRoot) {
  std::filesystem::create_directories(dir_ + "/out");
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && " +
                         Diskferry("copy-out -q --dfxml co.dfxml --bodyfile co.body "
                                   "src.img:/data/deep src.img:/etc out"),
                     &out),
            0)
      << out;
  const auto objects = ReadFileObjects(dir_ + "/co.dfxml");
  EXPECT_EQ(Names(objects),
            (std::vector<std::string>{"data/deep", "data/deep/er", "data/deep/er/still",
                                      "data/deep/er/still/leaf.txt", "etc", "etc/alias",
                                      "etc/hostname", "etc/secret.conf"}));
  EXPECT_EQ(objects.at("etc/hostname").hashes.size(), 2u);
  EXPECT_EQ(RunShell(std::string("xmllint --noout --nonet --schema '") + DF_DFXML_XSD + "' '" +
                         dir_ + "/co.dfxml'",
                     &out),
            0)
      << out;
  RunShell("grep -c . '" + dir_ + "/co.body'", &out);
  EXPECT_EQ(out, "8\n");
}

}  // namespace
}  // namespace diskferry::testing
