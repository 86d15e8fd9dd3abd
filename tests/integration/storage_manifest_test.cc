// The storage stack from manifests: `diskferry run` with `keys:` (a key file named by a
// variable) on a LUKS2 image and `filesystem: os` on a Rocky-like whole-OS disk, against
// the fixture images. Content and metadata are compared with the fixtures' .expect
// listings; the run report names the filesystems mounted and never the key.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

using StorageManifestTest = StorageTest;

TEST_F(StorageManifestTest, KeysAndWholeOsJobsReadWhatWasWrittenAndReportTheirFilesystems) {
  UsesImages({"luks2.img", "os-rhel.img"});
  const std::string dir = NewDir("manifest");
  std::ofstream(dir + "/m.yaml")
      << "version: 1\n"
         "vars:\n"
         "  secret_key: {type: path, default: '" << Path("luks.key") << "'}\n"
         "jobs:\n"
         "  - name: secret\n"
         "    kind: extract\n"
         "    source: '" << Path("luks2.img") << "'\n"
         "    format: raw\n"
         "    keys: [{file: \"${secret_key}\"}]\n"
         "    output: {dir: secret}\n"
         "  - name: server\n"
         "    kind: extract\n"
         "    source: '" << Path("os-rhel.img") << "'\n"
         "    format: raw\n"
         "    filesystem: os\n"
         "    output: {dir: server}\n";
  std::string out, err;
  ASSERT_EQ(RunSplit("cd '" + dir + "' && " + Diskferry("run m.yaml --report run.jsonl"), &out,
                     &err),
            0)
      << out << err;

  EXPECT_EQ(JoinLines(CompareListing(Expected("luks2", "luks2:/dev/sda"),
                                     ListHostTree(dir + "/secret"), {})),
            "");
  EXPECT_EQ(JoinLines(CompareListing(Expected("os-rhel", "tree"), ListHostTree(dir + "/server"),
                                     {.only_under = {"/etc", "/home", "/boot"},
                                      .no_modes_under = {"/boot/efi"}})),
            "");

  std::string report;
  ASSERT_EQ(RunShell("cat '" + dir + "/run.jsonl'", &report), 0);
  // The whole-OS job mounted its root LV with /boot and /home where fstab says.
  EXPECT_NE(report.find(R"("device":"/dev/rhel/root")"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("mount_point":"/boot")"), std::string::npos) << report;
  EXPECT_NE(report.find(R"("mount_point":"/home")"), std::string::npos) << report;
  // The LUKS job mounted what the container holds.
  EXPECT_NE(report.find(R"("device":"/dev/mapper/luks-)"), std::string::npos) << report;
  // Neither the key's bytes nor its path reach the report or the terminal.
  std::string key;
  ASSERT_EQ(RunShell("cat " + Q("luks.key"), &key), 0);
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(report.find(key), std::string::npos);
  EXPECT_EQ((out + err).find(key), std::string::npos);
  EXPECT_EQ(report.find("luks.key"), std::string::npos) << report;
}

}  // namespace
}  // namespace diskferry::testing
