// Deleted files (`recover: deleted`, `copy-out --recover-deleted`): images made by mkfs.vfat
// and mtools, and by mke2fs -d, with files deleted by mdel, by debugfs (which frees an
// inode's blocks but leaves its block pointers or extents, as ext2 itself does) and by the
// Linux kernel through guestfish (ext3 and ext4 then clear the inode's size and block
// map). The appliance's Sleuth Kit must give back the bytes where TSK can, and report the
// rest as not recoverable; the source image never changes.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

std::string Sha256Of(const std::string& path) {
  std::string out;
  if (RunShell("sha256sum '" + path + "' | cut -d' ' -f1", &out) != 0) return "error: " + out;
  return out;
}

class DeletedFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("deleted");
    std::string out;
    // big.bin spans many blocks and (on ext) indirect blocks; keep.txt stays.
    ASSERT_EQ(RunShell("cd '" + dir_ +
                           "' && mkdir -p tree/sub && echo kept > tree/keep.txt && "
                           "head -c 300000 /dev/urandom > tree/big.bin && "
                           "echo 'a secret line' > tree/sub/secret.txt",
                       &out),
              0)
        << out;
    big_sha_ = Sha256Of(dir_ + "/tree/big.bin");
    secret_sha_ = Sha256Of(dir_ + "/tree/sub/secret.txt");
  }
  void TearDown() override { RemoveTree(dir_); }

  // An ext2/3/4 image of the tree whose big.bin and sub/secret.txt debugfs removed.
  void MakeExtWithDebugfs(const std::string& type) {
    std::string out;
    ASSERT_EQ(RunShell("cd '" + dir_ + "' && mke2fs -q -t " + type +
                           " -d tree src.img 16M && "
                           "debugfs -w -R 'rm /big.bin' src.img && "
                           "debugfs -w -R 'rm /sub/secret.txt' src.img",
                       &out),
              0)
        << out;
  }

  int Run(const std::string& yaml, std::string* out) {
    std::ofstream(dir_ + "/m.yaml") << yaml;
    return RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl"), out);
  }

  std::string ReportLines(const std::string& pattern) {
    std::string out;
    RunShell("grep '" + pattern + "' '" + dir_ + "/run.jsonl'", &out);
    return out;
  }

  // The job's line in the report: its message says what was recovered.
  std::string JobRecord() { return ReportLines("\"record\":\"job\""); }

  std::string dir_, big_sha_, secret_sha_;
};

constexpr char kJob[] =
    "version: 1\njobs:\n  - name: d\n    kind: extract\n    source: src.img\n"
    "    format: raw\n    hashes: [sha256]\n    recover: deleted\n    output:\n      dir: out\n";

TEST_F(DeletedFilesTest, FatFileDeletedByMdelComesBackWithItsBytes) {
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ +
                         "' && mkfs.vfat -C src.img 8192 >/dev/null && "
                         "MTOOLS_SKIP_CHECK=1 mcopy -i src.img tree/keep.txt tree/big.bin ::/ && "
                         "MTOOLS_SKIP_CHECK=1 mdel -i src.img ::/big.bin",
                     &out),
            0)
      << out;
  const std::string before = Sha256Of(dir_ + "/src.img");
  ASSERT_EQ(Run(kJob, &out), 0) << out;
  EXPECT_NE(JobRecord().find("1 deleted file recovered, 0 could not be"), std::string::npos)
      << JobRecord();
  // FAT keeps a deleted name without its first byte: TSK shows it as '_'.
  EXPECT_EQ(Sha256Of(dir_ + "/out.deleted/_ig.bin"), big_sha_);
  EXPECT_EQ(Sha256Of(dir_ + "/out/keep.txt"), Sha256Of(dir_ + "/tree/keep.txt"));
  const std::string record = ReportLines("\"deleted\":true");
  EXPECT_NE(record.find("\"path\":\"_ig.bin\""), std::string::npos) << record;
  EXPECT_NE(record.find(big_sha_.substr(0, 64)), std::string::npos) << record;
  EXPECT_NE(record.find("\"ino\":"), std::string::npos) << record;
  EXPECT_EQ(Sha256Of(dir_ + "/src.img"), before);
}

TEST_F(DeletedFilesTest, Ext3AndExt2FilesRemovedByDebugfsComeBack) {
  for (const std::string type : {"ext3", "ext2"}) {
    SCOPED_TRACE(type);
    std::string out;
    RemoveTree(dir_ + "/out");
    RemoveTree(dir_ + "/out.deleted");
    MakeExtWithDebugfs(type);
    const std::string before = Sha256Of(dir_ + "/src.img");
    ASSERT_EQ(Run(kJob, &out), 0) << out;
    EXPECT_NE(JobRecord().find("2 deleted files recovered, 0 could not be"), std::string::npos)
        << JobRecord();
    EXPECT_EQ(Sha256Of(dir_ + "/out.deleted/big.bin"), big_sha_);
    EXPECT_EQ(Sha256Of(dir_ + "/out.deleted/sub/secret.txt"), secret_sha_);
    EXPECT_EQ(Sha256Of(dir_ + "/src.img"), before);
    std::remove((dir_ + "/src.img").c_str());
  }
}

TEST_F(DeletedFilesTest, CopyOutRecoversIntoTheGivenDirectory) {
  MakeExtWithDebugfs("ext3");
  const std::string before = Sha256Of(dir_ + "/src.img");
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && mkdir dest && " +
                         Diskferry("copy-out --format raw --recover-deleted rec src.img:/ dest"),
                     &out),
            0)
      << out;
  EXPECT_NE(out.find("2 deleted files recovered, 0 could not be"), std::string::npos) << out;
  EXPECT_EQ(Sha256Of(dir_ + "/rec/big.bin"), big_sha_);
  EXPECT_EQ(Sha256Of(dir_ + "/rec/sub/secret.txt"), secret_sha_);
  EXPECT_EQ(Sha256Of(dir_ + "/dest/keep.txt"), Sha256Of(dir_ + "/tree/keep.txt"));
  EXPECT_EQ(Sha256Of(dir_ + "/src.img"), before);
}

TEST_F(DeletedFilesTest, CopyOutListsRecoveredFilesInItsDfxmlAndBodyFileAsDeleted) {
  MakeExtWithDebugfs("ext3");
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && mkdir dest && " +
                         Diskferry("copy-out --format raw --recover-deleted rec --dfxml l.xml "
                                   "--bodyfile l.body src.img:/ dest"),
                     &out),
            0)
      << out;
  std::ifstream body_in(dir_ + "/l.body");
  std::string body((std::istreambuf_iterator<char>(body_in)), std::istreambuf_iterator<char>());
  std::ifstream xml_in(dir_ + "/l.xml");
  std::string xml((std::istreambuf_iterator<char>(xml_in)), std::istreambuf_iterator<char>());
  // The body file's first column is the recovered bytes' MD5, as fls -m names the file.
  ASSERT_EQ(RunShell("md5sum '" + dir_ + "/tree/sub/secret.txt' | cut -c1-32", &out), 0);
  out.erase(out.find_last_not_of('\n') + 1);
  EXPECT_NE(body.find(out + "|/sub/secret.txt (deleted)|"), std::string::npos) << body;
  EXPECT_NE(body.find("|/keep.txt|"), std::string::npos) << body;
  EXPECT_NE(xml.find("<filename>sub/secret.txt</filename>"), std::string::npos);
  EXPECT_NE(xml.find("<alloc>0</alloc>"), std::string::npos);
  EXPECT_NE(xml.find("<hashdigest type='sha256'>" + secret_sha_.substr(0, 64) + "</hashdigest>"),
            std::string::npos)
      << xml;
}

// The kernel's ext3 and ext4 unlink clears the inode's size and its block pointers or
// extents: fls finds only an orphan inode of size 0, which is reported, not recovered.
TEST_F(DeletedFilesTest, Ext3AndExt4FilesDeletedByTheKernelAreReportedAsNotRecoverable) {
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir_ +
                         "' && mke2fs -q -t ext3 -d tree ext3.img 16M && "
                         "mke2fs -q -t ext4 -d tree ext4.img 16M && "
                         "LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg "
                         "timeout 600 guestfish -a ext3.img -a ext4.img run : "
                         "mount /dev/sda / : rm /big.bin : umount / : "
                         "mount /dev/sdb / : rm /big.bin : umount /",
                     &out),
            0)
      << out;
  for (const std::string type : {"ext3", "ext4"}) {
    SCOPED_TRACE(type);
    RemoveTree(dir_ + "/out");
    RemoveTree(dir_ + "/out.deleted");
    ASSERT_EQ(RunShell("cd '" + dir_ + "' && cp " + type + ".img src.img", &out), 0) << out;
    const std::string before = Sha256Of(dir_ + "/src.img");
    ASSERT_EQ(Run(kJob, &out), 0) << out;
    EXPECT_NE(JobRecord().find("0 deleted files recovered, 1 could not be"), std::string::npos)
        << JobRecord();
    const std::string record = ReportLines("\"deleted\":true");
    EXPECT_NE(record.find("OrphanFile-"), std::string::npos) << record;
    EXPECT_NE(record.find("size is 0"), std::string::npos) << record;
    EXPECT_EQ(Sha256Of(dir_ + "/src.img"), before);
  }
}

TEST_F(DeletedFilesTest, RecoverNeedsADirectoryOutput) {
  std::string out;
  MakeExtWithDebugfs("ext3");
  EXPECT_NE(Run("version: 1\njobs:\n  - name: d\n    kind: extract\n    source: src.img\n"
                "    recover: deleted\n    output:\n      tar: out.tar\n",
                &out),
            0);
  EXPECT_NE(out.find("recover: deleted needs 'output: {dir: PATH}'"), std::string::npos) << out;
}

}  // namespace
}  // namespace diskferry::testing
