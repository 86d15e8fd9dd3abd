// examples/bulk-restore.yaml and examples/ci-provision.yaml for real, on qcow2 images made
// by mke2fs, sfdisk and qemu-img; what they wrote is read back with debugfs from the
// overlays they made, and the base images are unchanged.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

class InjectExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("inject-examples");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { RemoveTree(dir_); }

  void CopyExample(const std::string& name) {
    std::filesystem::copy_file(std::string(DF_EXAMPLES_DIR) + "/" + name, dir_ + "/" + name);
  }
  std::string Shell(const std::string& command) {
    std::string out;
    RunShell("cd '" + dir_ + "' && " + command, &out);
    return out;
  }
  int ShellOk(const std::string& command, std::string* out) {
    return RunShell("cd '" + dir_ + "' && " + command, out);
  }
  // debugfs's answer to `request` on the raw filesystem image `fs` (banner left out).
  std::string Debugfs(const std::string& fs, const std::string& request) {
    return Shell("(debugfs -R '" + request + "' " + fs + " 2>/dev/null)");
  }
  // The first three lines of debugfs's stat (type, mode, owner).
  std::string Stat(const std::string& fs, const std::string& path) {
    return Shell("(debugfs -R 'stat " + path + "' " + fs + " 2>/dev/null | head -3)");
  }

  std::string dir_;
};

TEST_F(InjectExamplesTest, BulkRestoreUploadsIntoANewOverlayPerImageWithOwnersAndModes) {
  CopyExample("bulk-restore.yaml");
  std::string out;
  // The backup tree, and two disks: web01 a bare filesystem labelled root, db01 a
  // partitioned disk whose second partition holds the filesystem.
  ASSERT_EQ(ShellOk("mkdir -p restore/web01/etc/nginx restore/web01/srv/www restore/web01/tls "
                    "restore/db01/etc/postgresql restore/db01/home/alice base/root base/db && "
                    "echo 'server {}' > restore/web01/etc/nginx/nginx.conf && "
                    "echo '<h1>hi</h1>' > restore/web01/srv/www/index.html && "
                    "echo KEY > restore/web01/tls/web01.key && "
                    "echo 'port = 5432' > restore/db01/etc/postgresql/pg.conf && "
                    "echo alice > restore/db01/home/alice/notes && "
                    "mkdir -p base/root/etc base/db/home && echo web01 > base/root/etc/hostname && "
                    "mke2fs -q -F -t ext4 -L root -d base/root web.raw 32M && "
                    "qemu-img convert -f raw -O qcow2 web.raw web01.qcow2 && "
                    "truncate -s 40M db.raw && printf 'label: dos\\n2048,8192\\n,\\n' | "
                    "sfdisk -q db.raw && mke2fs -q -F -t ext4 -d base/db -E offset=5242880 "
                    "db.raw 30M && qemu-img convert -f raw -O qcow2 db.raw db01.qcow2 && "
                    "sha256sum web01.qcow2 db01.qcow2 > base.sums",
                    &out),
            0)
      << out;
  ASSERT_EQ(ShellOk(Diskferry("run bulk-restore.yaml --var web_image=web01.qcow2 --var "
                              "db_image=db01.qcow2 --var restore=restore --var overlays=restored "
                              "--var date=2026-12-07 --report run.jsonl"),
                    &out),
            0)
      << out;
  EXPECT_EQ(Shell("sha256sum -c --quiet base.sums && echo unchanged"), "unchanged\n");
  ASSERT_EQ(ShellOk("qemu-img convert -O raw restored/web01-2026-12-07.qcow2 web-new.raw && "
                    "qemu-img convert -O raw restored/db01-2026-12-07.qcow2 db-new.raw && "
                    "dd if=db-new.raw of=db-fs.raw bs=1M skip=5 status=none",
                    &out),
            0)
      << out;
  EXPECT_EQ(Debugfs("web-new.raw", "cat /etc/nginx/nginx.conf"), "server {}\n");
  EXPECT_NE(Stat("web-new.raw", "/srv/www/index.html").find("User:    33   Group:    33"),
            std::string::npos)
      << Stat("web-new.raw", "/srv/www/index.html");
  const std::string key = Stat("web-new.raw", "/etc/ssl/private/web01.key");
  EXPECT_NE(key.find("Mode:  0600"), std::string::npos) << key;
  EXPECT_NE(key.find("User:     0   Group:     0"), std::string::npos) << key;
  EXPECT_EQ(Debugfs("web-new.raw", "cat /etc/hostname"), "web01\n");  // the rest is kept
  EXPECT_EQ(Debugfs("db-fs.raw", "cat /etc/postgresql/pg.conf"), "port = 5432\n");
  EXPECT_NE(Stat("db-fs.raw", "/home/alice/notes").find("User:  1000   Group:  1000"),
            std::string::npos)
      << Stat("db-fs.raw", "/home/alice/notes");
}

TEST_F(InjectExamplesTest, CiProvisionBuildsARunnerDiskPerBuild) {
  CopyExample("ci-provision.yaml");
  std::string out;
  ASSERT_EQ(ShellOk("mkdir -p images build base/etc base/home && echo base > base/etc/hostname && "
                    "printf '#!/bin/sh\\necho agent\\n' > build/ci-agent && "
                    "mke2fs -q -F -t ext4 -d base base.raw 32M && "
                    "qemu-img convert -f raw -O qcow2 base.raw images/ci-base.qcow2",
                    &out),
            0)
      << out;
  ASSERT_EQ(ShellOk(Diskferry("run ci-provision.yaml --var build=1234 --report run.jsonl"), &out),
            0)
      << out;
  ASSERT_EQ(ShellOk("qemu-img convert -O raw out/ci-runner-1234.qcow2 new.raw", &out), 0) << out;
  // debugfs resolves the relative link as the booted runner would.
  EXPECT_EQ(Debugfs("new.raw", "cat /opt/ci/current/ci-agent"), "#!/bin/sh\necho agent\n");
  EXPECT_NE(Debugfs("new.raw", "stat /opt/ci/current").find("Fast link dest: \"releases/1234\""),
            std::string::npos)
      << Debugfs("new.raw", "stat /opt/ci/current");
  const std::string agent = Stat("new.raw", "/opt/ci/releases/1234/ci-agent");
  EXPECT_NE(agent.find("Mode:  0755"), std::string::npos) << agent;
  EXPECT_EQ(Debugfs("new.raw", "cat /opt/ci/releases/1234/ci-agent"), "#!/bin/sh\necho agent\n");
  const std::string toml = Debugfs("new.raw", "cat /etc/ci/runner.toml");
  EXPECT_NE(toml.find("name = \"ci-1234\""), std::string::npos) << toml;
  EXPECT_NE(Stat("new.raw", "/etc/ci/runner.toml").find("Mode:  0640"), std::string::npos);
  const std::string work = Stat("new.raw", "/home/ci/work");
  EXPECT_NE(work.find("Mode:  0750"), std::string::npos) << work;
  EXPECT_NE(work.find("User:  1001   Group:  1001"), std::string::npos) << work;
  EXPECT_EQ(Debugfs("new.raw", "cat /etc/machine-id"), "");
  EXPECT_NE(Debugfs("new.raw", "stat /etc/machine-id").find("Size: 0"), std::string::npos);
}

}  // namespace
}  // namespace diskferry::testing
