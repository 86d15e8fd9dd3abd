// `diskferry run` end to end: manifests in, real appliances, trees, archives and reports out.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("run");
    MakeSourceTree(dir_ + "/tree", {});
    image_ = dir_ + "/src.img";
    ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", image_).ok());
  }
  void TearDown() override { RemoveTree(dir_); }

  int Run(const std::string& yaml, std::string* out, const std::string& report = "run.jsonl") {
    std::ofstream(dir_ + "/m.yaml") << yaml;
    return RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report " + report), out);
  }

  std::string dir_, image_;
};

TEST_F(RunTest, ExtractWithIncludeAndExcludeGivesExactlyTheSelectedTree) {
  std::string out;
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: conf\n    kind: extract\n    source: src.img\n"
                "    format: raw\n    hashes: [sha256]\n    select:\n"
                "      include: [/etc/**, /data/**]\n      exclude: [/etc/secret.conf, /data/deep]\n"
                "    output:\n      dir: out\n",
                &out),
            0)
      << out;
  const std::vector<std::string> want = {"/data",        "/data/big.bin", "/data/escape",
                                         "/etc",         "/etc/alias",    "/etc/hostname"};
  EXPECT_EQ(ListTree(dir_ + "/out"), want);
  std::string report;
  RunShell("grep -c '\"record\":\"file\"' '" + dir_ + "/run.jsonl'", &report);
  EXPECT_EQ(report, "6\n");
  RunShell("grep '\"path\":\"etc/hostname\"' '" + dir_ + "/run.jsonl'", &report);
  // sha256 of "demo\n"
  EXPECT_NE(report.find("\"sha256\""), std::string::npos) << report;
}

TEST_F(RunTest, Sha256SumsFileChecksOutWithCoreutils) {
  std::string out;
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: s\n    kind: extract\n    source: src.img\n"
                "    format: raw\n    hashes: [sha256]\n    output:\n      dir: out\n",
                &out),
            0)
      << out;
  EXPECT_EQ(RunShell("cd '" + dir_ + "/out' && sha256sum --quiet -c ../out.sha256", &out), 0)
      << out;
}

TEST_F(RunTest, IncrementalRunCopiesOnlyChangedFilesAndRecordsDeletions) {
  const std::string job = "version: 1\njobs:\n  - name: inc\n    kind: extract\n"
                          "    source: src.img\n    format: raw\n    output:\n      dir: ";
  std::string out;
  ASSERT_EQ(Run(job + "full\n", &out, "first.jsonl"), 0) << out;
  // The changed file's mtime is set a minute past the time of its write: different from
  // the baseline's whole second whatever second the first run ended in.
  RunShell("cd '" + dir_ +
               "' && echo changed > tree/etc/hostname"
               " && touch -m -d @$(( $(stat -c %Y tree/etc/hostname) + 60 )) tree/etc/hostname"
               " && rm tree/one-byte && rm src.img",
           &out);
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", image_).ok());
  ASSERT_EQ(Run(job + "delta\n    incremental:\n      since: first.jsonl\n", &out, "second.jsonl"),
            0)
      << out;
  std::vector<std::string> files;
  for (const auto& p : ListTree(dir_ + "/delta")) {
    struct stat st;
    if (::lstat((dir_ + "/delta" + p).c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.push_back(p);
  }
  EXPECT_EQ(files, std::vector<std::string>{"/etc/hostname"});
  RunShell("grep -c '\"status\":\"deleted\"' '" + dir_ + "/second.jsonl'", &out);
  EXPECT_EQ(out, "1\n");
}

TEST_F(RunTest, TarOutputListsTheRightEntries) {
  std::string out;
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: t\n    kind: extract\n    source: src.img\n"
                "    format: raw\n    select:\n      include: [/etc/**]\n"
                "    output:\n      tar: etc.tar.gz\n",
                &out),
            0)
      << out;
  RunShell("tar -tzf '" + dir_ + "/etc.tar.gz' | sort", &out);
  EXPECT_EQ(out, "etc/\netc/alias\netc/hostname\netc/secret.conf\n");
}

TEST_F(RunTest, VerifyReportsExactlyThePlantedDifferences) {
  std::string out;
  const std::string list =
      "version: 1\njobs:\n  - name: base\n    kind: list\n    source: src.img\n"
      "    format: raw\n    hashes: [sha256]\n";
  ASSERT_EQ(Run(list, &out, "base.jsonl"), 0) << out;
  // Plant: one changed file, one missing, one new.
  RunShell("cd '" + dir_ + "' && echo changed > tree/etc/hostname && rm tree/one-byte && "
           "echo new > tree/new-file && rm src.img",
           &out);
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", image_).ok());
  const int rc = Run("version: 1\njobs:\n  - name: check\n    kind: verify\n    source: src.img\n"
                     "    format: raw\n    against: base.jsonl\n",
                     &out);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find("changed\t/etc/hostname"), std::string::npos) << out;
  EXPECT_NE(out.find("missing\t/one-byte"), std::string::npos) << out;
  EXPECT_NE(out.find("new\t/new-file"), std::string::npos) << out;
  EXPECT_EQ(out.find("changed\t/data"), std::string::npos) << out;
}

TEST_F(RunTest, ListAndVerifyWriteTheirReports) {
  std::string out;
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: inv\n    kind: list\n    source: src.img\n"
                "    format: raw\n    hashes: [sha256]\n    report: reports/inventory.jsonl\n",
                &out),
            0)
      << out;
  // The inventory: the job's file records, hashes included, as the run report has them.
  std::ifstream inventory(dir_ + "/reports/inventory.jsonl");
  std::string line, text;
  int records = 0;
  while (std::getline(inventory, line)) {
    ++records;
    text += line + "\n";
  }
  EXPECT_EQ(records, static_cast<int>(ListTree(dir_ + "/tree").size()) + 1)
      << text;  // + lost+found
  EXPECT_NE(text.find("\"path\":\"etc/hostname\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"sha256\":\""), std::string::npos) << text;
  // Verify against it, with one file changed: the differences go to its report too.
  RunShell("cd '" + dir_ + "' && echo changed > tree/etc/hostname && rm src.img", &out);
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", image_).ok());
  EXPECT_EQ(Run("version: 1\njobs:\n  - name: check\n    kind: verify\n    source: src.img\n"
                "    format: raw\n    against: reports/inventory.jsonl\n    report: diff.txt\n",
                &out),
            3)
      << out;
  std::ifstream diff(dir_ + "/diff.txt");
  std::string diff_text((std::istreambuf_iterator<char>(diff)), std::istreambuf_iterator<char>());
  EXPECT_EQ(diff_text, "changed\t/etc/hostname\n");
}

TEST_F(RunTest, PreserveWithoutModeOrTimesGivesPlainModesAndFreshTimes) {
  std::string out;
  RunShell("cd '" + dir_ + "' && touch -d 2001-01-01 tree/etc/secret.conf && rm src.img", &out);
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", image_).ok());
  ASSERT_EQ(Run("version: 1\ndefaults:\n  source: src.img\n  format: raw\n"
                "  select: {include: [/etc/**]}\njobs:\n"
                "  - {name: kept, kind: extract, output: {dir: kept}}\n"
                "  - {name: plain, kind: extract, output: {dir: plain, preserve: [owner]}}\n"
                "  - {name: tar, kind: extract, output: {tar: plain.tar, preserve: [owner]}}\n",
                &out),
            0)
      << out;
  struct stat kept {
  }, plain{};
  ASSERT_EQ(::stat((dir_ + "/kept/etc/secret.conf").c_str(), &kept), 0);
  ASSERT_EQ(::stat((dir_ + "/plain/etc/secret.conf").c_str(), &plain), 0);
  EXPECT_EQ(kept.st_mode & 07777, 0600u);
  EXPECT_EQ(plain.st_mode & 07777, 0644u);
  EXPECT_LT(kept.st_mtime, 1000000000 + 100000000);  // 2001
  EXPECT_GT(plain.st_mtime, 1700000000);             // written now
  ASSERT_EQ(RunShell("tar -tvf '" + dir_ + "/plain.tar' --full-time | grep secret.conf", &out), 0);
  EXPECT_EQ(out.rfind("-rw-r--r--", 0), 0u) << out;
  EXPECT_EQ(out.find("2001-01-01"), std::string::npos) << out;
}

TEST_F(RunTest, InjectWritesANewOverlayCheckedByDebugfsAndLeavesTheOriginal) {
  std::string out, before, after;
  RunShell("sha256sum '" + image_ + "'", &before);
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: prov\n    kind: inject\n    target: src.img\n"
                "    format: raw\n    output: new.qcow2\n    steps:\n"
                "      - mkdir: {path: /opt/app, parents: true}\n"
                "      - write: {path: /opt/app/motd, content: \"hello ci\\n\", mode: \"0600\"}\n"
                "      - symlink: {target: motd, path: /opt/app/link}\n"
                "      - delete: {path: /empty}\n",
                &out),
            0)
      << out;
  RunShell("sha256sum '" + image_ + "'", &after);
  EXPECT_EQ(before, after) << "the original image changed";
  RunShell("cd '" + dir_ + "' && qemu-img convert -O raw new.qcow2 new.raw && "
           "debugfs -R 'cat /opt/app/motd' new.raw 2>/dev/null",
           &out);
  EXPECT_TRUE(out.ends_with("\nhello ci\n")) << out;
  RunShell("debugfs -R 'stat /empty' '" + dir_ + "/new.raw' 2>&1", &out);
  EXPECT_NE(out.find("File not found"), std::string::npos) << out;
}

TEST_F(RunTest, AFailingStepNamesItAndTheExitCodeIsTwo) {
  std::string out;
  const int rc = Run("version: 1\njobs:\n  - name: bad\n    kind: inject\n    target: src.img\n"
                     "    format: raw\n    output: new.qcow2\n    steps:\n"
                     "      - chmod: {path: /no/such, mode: \"0644\"}\n",
                     &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("step 1"), std::string::npos) << out;
  EXPECT_NE(out.find("/no/such"), std::string::npos) << out;
}

TEST_F(RunTest, InvalidManifestRunsNothingAndExits65) {
  std::string out;
  const int rc = Run("version: 1\njobs:\n  - name: x\n    kind: extract\n    sourse: src.img\n",
                     &out);
  EXPECT_EQ(rc, 65) << out;
  EXPECT_NE(out.find("m.yaml:5:5"), std::string::npos) << out;
  EXPECT_NE(out.find("did you mean"), std::string::npos) << out;
}

}  // namespace
}  // namespace diskferry::testing
