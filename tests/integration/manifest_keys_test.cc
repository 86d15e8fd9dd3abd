// Manifest keys that change what a run does, each checked by reading what the run left:
// on_exists for directories and archives, fail_fast, split, and an in-place inject whose
// steps set modes and owners (read back with debugfs, not with diskferry). Keys covered
// elsewhere: select, hashes, incremental, tar, preserve, report, against (run_test.cc),
// keys and filesystem (storage tests), backing (hostile_image_test.cc), tar: "-" and
// compress (backup_tools_test.cc), dfxml and bodyfile (forensic_outputs_test.cc).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

class ManifestKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("keys");
    MakeSourceTree(dir_ + "/tree", {});
    ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", dir_ + "/src.img").ok());
  }
  void TearDown() override { RemoveTree(dir_); }

  int Run(const std::string& yaml, std::string* out, const std::string& args = "") {
    std::ofstream(dir_ + "/m.yaml") << yaml;
    return RunShell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl " + args),
                    out);
  }
  std::string Shell(const std::string& command) {
    std::string out;
    RunShell("cd '" + dir_ + "' && " + command, &out);
    return out;
  }
  // debugfs's output of `request` on src.img, without its banner (stderr).
  std::string Debugfs(const std::string& request) {
    return Shell("(debugfs -R '" + request + "' src.img 2>/dev/null)");
  }
  std::string JobRecord(const std::string& job) {
    return Shell("grep '\"record\":\"job\",\"job\":\"" + job + "\"' run.jsonl");
  }

  std::string dir_;
};

constexpr char kExtract[] = "    kind: extract\n    source: src.img\n    format: raw\n";

TEST_F(ManifestKeysTest, OnExistsSkipKeepsOverwriteReplacesFailRefusesAndAnArchiveIsSkippedWhole) {
  Shell("mkdir -p keep/etc over/etc refuse && echo old > keep/etc/hostname && "
        "echo old > over/etc/hostname && echo mine > refuse/x && echo not-a-tar > have.tar");
  std::string out;
  const int rc = Run(std::string("version: 1\njobs:\n") +
                         "  - name: keep\n" + kExtract + "    output: {dir: keep, on_exists: skip}\n" +
                         "  - name: over\n" + kExtract +
                         "    output: {dir: over, on_exists: overwrite}\n" +
                         "  - name: refuse\n" + kExtract + "    output: {dir: refuse}\n" +
                         "  - name: archive\n" + kExtract +
                         "    output: {tar: have.tar, on_exists: skip}\n",
                     &out);
  EXPECT_EQ(rc, 2) << out;  // `refuse` failed
  EXPECT_EQ(Shell("cat keep/etc/hostname"), "old\n");
  EXPECT_EQ(Shell("cat keep/etc/secret.conf"), "token=42\n");  // the rest is written
  EXPECT_EQ(Shell("cat over/etc/hostname"), "demo\n");
  EXPECT_EQ(Shell("ls refuse"), "x\n");
  EXPECT_NE(JobRecord("refuse").find("exists and is not empty (on_exists: fail)"),
            std::string::npos)
      << out;
  EXPECT_EQ(Shell("cat have.tar"), "not-a-tar\n");
  EXPECT_NE(JobRecord("archive").find("\"status\":\"skipped\""), std::string::npos)
      << JobRecord("archive");
}

TEST_F(ManifestKeysTest, FailFastStartsNoJobAfterTheFirstFailure) {
  const std::string jobs = std::string("jobs:\n  - name: bad\n") + kExtract +
                           "    filesystem: /dev/sdz9\n    output: {dir: bad}\n" +
                           "  - name: later\n" + kExtract + "    output: {dir: later}\n";
  std::string out;
  EXPECT_EQ(Run("version: 1\nrun: {max_parallel: 1, fail_fast: true}\n" + jobs, &out), 2) << out;
  EXPECT_NE(JobRecord("later").find("\"status\":\"skipped\""), std::string::npos) << out;
  EXPECT_NE(JobRecord("later").find("(fail_fast)"), std::string::npos) << out;
  EXPECT_EQ(Shell("test -e later && echo present"), "");
  // Without fail_fast the later job runs.
  Shell("rm -rf bad later");
  EXPECT_EQ(Run("version: 1\nrun: {max_parallel: 1}\n" + jobs, &out), 2) << out;
  EXPECT_NE(JobRecord("later").find("\"status\":\"ok\""), std::string::npos) << out;
  EXPECT_EQ(Shell("cat later/etc/hostname"), "demo\n");
}

TEST_F(ManifestKeysTest, SplitFalseKeepsAnExtractOnOneAppliance) {
  // 8 MiB in 8 files, parts of at least 1 MiB, two appliances: split unless told not to.
  Shell("mkdir -p tree/bulk && for i in 1 2 3 4 5 6 7 8; do "
        "head -c 1048576 /dev/urandom > tree/bulk/f$i; done && rm src.img");
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/tree", dir_ + "/src.img").ok());
  const std::string job = std::string("jobs:\n  - name: all\n") + kExtract + "    output: {dir: ";
  std::string out;
  ASSERT_EQ(Run("version: 1\n" + job + "split}\n", &out, "-j 2 --min-part 1 --json"), 0) << out;
  EXPECT_NE(out.find("all: split into "), std::string::npos) << out;
  ASSERT_EQ(Run("version: 1\nrun: {split: false}\n" + job + "whole}\n", &out, "-j 2 --min-part 1 --json"),
            0)
      << out;
  EXPECT_EQ(out.find("split into"), std::string::npos) << out;
  EXPECT_EQ(Shell("diff -r --no-dereference split whole && echo same"), "same\n");
  EXPECT_EQ(Shell("diff -r tree/bulk whole/bulk && echo same"), "same\n");
}

TEST_F(ManifestKeysTest, AnInPlaceInjectSetsModesAndOwnersItsStepsName) {
  Shell("printf 'listen 80\\n' > app.conf");
  std::string out;
  ASSERT_EQ(Run("version: 1\njobs:\n  - name: prov\n    kind: inject\n    target: src.img\n"
                "    format: raw\n    in_place: true\n    steps:\n"
                "      - upload: {from: app.conf, to: /srv/app.conf, mode: \"0640\", "
                "owner: \"123:456\"}\n"
                "      - mkdir: {path: /srv/a/b, parents: true, mode: \"0700\"}\n"
                "      - chown: {path: /etc/hostname, owner: \"7:8\"}\n"
                "      - chmod: {path: /etc/secret.conf, mode: \"0444\"}\n"
                "      - move: {from: /one-byte, to: /srv/moved}\n"
                "      - delete: {path: /data, recursive: true}\n",
                &out),
            0)
      << out;
  auto stat = [this](const std::string& path) {
    return Shell("(debugfs -R 'stat " + path + "' src.img 2>/dev/null | head -3)");
  };
  const std::string conf = stat("/srv/app.conf");
  EXPECT_NE(conf.find("Mode:  0640"), std::string::npos) << conf;
  EXPECT_NE(conf.find("User:   123   Group:   456"), std::string::npos) << conf;
  EXPECT_EQ(Debugfs("cat /srv/app.conf"), "listen 80\n");
  EXPECT_NE(stat("/srv/a/b").find("Mode:  0700"), std::string::npos) << stat("/srv/a/b");
  EXPECT_NE(stat("/etc/hostname").find("User:     7   Group:     8"), std::string::npos)
      << stat("/etc/hostname");
  EXPECT_NE(stat("/etc/secret.conf").find("Mode:  0444"), std::string::npos);
  EXPECT_EQ(Debugfs("cat /srv/moved"), "x");
  EXPECT_NE(Shell("debugfs -R 'stat /one-byte' src.img 2>&1").find("File not found"),
            std::string::npos);
  EXPECT_NE(Shell("debugfs -R 'stat /data' src.img 2>&1").find("File not found"),
            std::string::npos);
}

}  // namespace
}  // namespace diskferry::testing
