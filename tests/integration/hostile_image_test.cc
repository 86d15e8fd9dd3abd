// Crafted images against the safe defaults, with no guest compromise: device nodes, setuid
// files and file capabilities stay off the host unless asked for; names and labels that
// hold terminal escapes are printed escaped; a qcow2 whose header names a host file as its
// backing file is refused. Fixtures are made by e2fsprogs (mke2fs -d, debugfs -w) and
// qemu-img, never by diskferry.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "tests/integration/fs_images.h"
#include "tests/integration/tree_compare.h"

namespace diskferry::testing {
namespace {

// OSC 52 (set the clipboard) and a colour change: what must never reach a terminal.
const std::string kOsc52 = "\x1b]52;c;SGVsbG8=\x07";
const std::string kEvilName = "evil" + kOsc52 + "name";
const std::string kForgedName = "ok\n-rw-r--r--   1     0     0            0 forged";
const std::string kEvilLabel = "\x1b[31mred";  // 8 bytes: fits ext4's 16

int Shell(const std::string& command, std::string* out) { return RunShell(command, out); }

void Debugfs(const std::string& image, const std::string& request) {
  std::string out;
  ASSERT_EQ(Shell("debugfs -w -R '" + request + "' '" + image + "'", &out), 0) << out;
}

bool HasTerminalControl(const std::string& text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

class HostileImageTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeScratchDir("hostile"); }
  void TearDown() override { RemoveTree(dir_); }

  // An ext4 with a block device node for the host's first disk (mode 0666), a setuid-root
  // file, and a file carrying security.capability (cap_net_raw) and a user.* attribute.
  std::string MakePrivilegedImage() {
    const std::string src = dir_ + "/src", img = dir_ + "/priv.img";
    std::string out;
    EXPECT_EQ(Shell("mkdir -p '" + src + "' && printf x > '" + src + "/suid' && printf y > '" +
                        src + "/cap' && printf z > '" + src + "/plain' && chmod 755 '" + src +
                        "/suid' && mke2fs -q -F -t ext4 -d '" + src + "' '" + img + "' 16M",
                    &out),
              0)
        << out;
    // vfs_cap_data revision 2: magic, then permitted/inheritable low and high words.
    const char cap[20] = {0, 0, 0, 2, 0, 0x20, 0, 0};
    std::ofstream(dir_ + "/cap.bin", std::ios::binary).write(cap, sizeof cap);
    Debugfs(img, "mknod sda b 8 0");  // debugfs takes the name as given: no leading /
    Debugfs(img, "set_inode_field /sda mode 060666");
    Debugfs(img, "set_inode_field /suid mode 0104755");
    Debugfs(img, "set_inode_field /suid uid 0");
    Debugfs(img, "ea_set -f " + dir_ + "/cap.bin /cap security.capability");
    Debugfs(img, "ea_set /cap user.note kept");
    return img;
  }

  std::string dir_;
};

TEST_F(HostileImageTest, CopyOutCreatesNoDeviceNodesNoSetuidBitsNoCapabilitiesByDefault) {
  const std::string img = MakePrivilegedImage();
  const std::string before = Sha256(img);
  ASSERT_EQ(::mkdir((dir_ + "/out").c_str(), 0755), 0);
  std::string out;
  ASSERT_EQ(Shell(Diskferry("copy-out --xattrs '" + img + ":/' '" + dir_ + "/out' 2>&1"), &out), 0)
      << out;
  struct stat st;
  EXPECT_NE(::lstat((dir_ + "/out/sda").c_str(), &st), 0) << "a device node reached the host";
  ASSERT_EQ(::lstat((dir_ + "/out/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  char value[64];
  EXPECT_LT(::getxattr((dir_ + "/out/cap").c_str(), "security.capability", value, sizeof value), 0);
  EXPECT_EQ(::getxattr((dir_ + "/out/cap").c_str(), "user.note", value, sizeof value), 4);
  EXPECT_NE(out.find("not copied, as the safe defaults ask: 1 device node (first /sda), 1 "
                     "setuid/setgid file (first /suid), 1 extended attribute (first /cap "
                     "(security.capability)) (--preserve-devices, --preserve-setuid, "
                     "--xattrs=all to keep them)"),
            std::string::npos)
      << out;
  EXPECT_EQ(Sha256(img), before);
}

TEST_F(HostileImageTest, EachOptInKeepsWhatItNamesAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "creating device nodes and setuid-root files needs root";
  const std::string img = MakePrivilegedImage();
  ASSERT_EQ(::mkdir((dir_ + "/out").c_str(), 0755), 0);
  std::string out;
  ASSERT_EQ(Shell(Diskferry("copy-out --xattrs=all --preserve-devices --preserve-setuid '" + img +
                            ":/' '" + dir_ + "/out' 2>&1"),
                  &out),
            0)
      << out;
  EXPECT_EQ(out.find("not copied"), std::string::npos) << out;
  struct stat st;
  ASSERT_EQ(::lstat((dir_ + "/out/sda").c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(8, 0));
  ASSERT_EQ(::lstat((dir_ + "/out/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_uid, 0u);
  char value[64];
  EXPECT_EQ(::getxattr((dir_ + "/out/cap").c_str(), "security.capability", value, sizeof value),
            20);
}

TEST_F(HostileImageTest, RunCountsWhatItWithheldInTheReportAndKeepsItOutOfTheArchive) {
  const std::string img = MakePrivilegedImage();
  std::ofstream(dir_ + "/m.yaml") << "version: 1\njobs:\n"
                                     "  - name: all\n    kind: extract\n    source: priv.img\n"
                                     "    format: raw\n    output:\n      tar: all.tar\n";
  std::string out;
  ASSERT_EQ(Shell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report run.jsonl 2>&1"), &out), 0)
      << out;
  EXPECT_NE(out.find("all: not copied, as the safe defaults ask: 1 device node (first /sda), 1 "
                     "setuid/setgid file (first /suid) (preserve: [devices, setuid, all_xattrs] "
                     "keeps them)"),
            std::string::npos)
      << out;
  std::string listing;
  ASSERT_EQ(Shell("tar -tvf '" + dir_ + "/all.tar'", &listing), 0) << listing;
  EXPECT_EQ(listing.find("sda"), std::string::npos) << listing;
  EXPECT_NE(listing.find("-rwxr-xr-x"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("rws"), std::string::npos) << listing;
  std::string job;
  Shell("grep '\"record\":\"job\"' '" + dir_ + "/run.jsonl'", &job);
  EXPECT_NE(job.find("\"withheld\":{\"devices\":1,\"setuid\":1,\"xattrs\":0}"), std::string::npos)
      << job;
}

TEST_F(HostileImageTest, NamesAndLabelsWithTerminalEscapesArePrintedEscaped) {
  const std::string src = dir_ + "/src", img = dir_ + "/names.img";
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  std::ofstream(src + "/" + kEvilName) << "a";
  std::ofstream(src + "/" + kForgedName) << "b";
  ASSERT_EQ(::symlink(("target" + kOsc52).c_str(), (src + "/link").c_str()), 0);
  std::string out;
  ASSERT_EQ(Shell("mke2fs -q -F -t ext4 -L '" + kEvilLabel + "' -d '" + src + "' '" + img + "' 16M",
                  &out),
            0)
      << out;

  ASSERT_EQ(Shell(Diskferry("ls -l '" + img + ":/' 2>&1"), &out), 0) << out;
  EXPECT_FALSE(HasTerminalControl(out)) << out;
  EXPECT_NE(out.find("evil\\x1b]52;c;SGVsbG8=\\x07name"), std::string::npos) << out;
  EXPECT_NE(out.find("ok\\x0a-rw-r--r--"), std::string::npos) << out;
  EXPECT_EQ(out.find("\n-rw-r--r--   1     0     0            0 forged"), std::string::npos) << out;
  EXPECT_NE(out.find("link -> target\\x1b]52"), std::string::npos) << out;

  ASSERT_EQ(Shell(Diskferry("ls -R '" + img + ":/' 2>&1"), &out), 0) << out;
  EXPECT_FALSE(HasTerminalControl(out)) << out;

  ASSERT_EQ(Shell(Diskferry("appliance check --image '" + img + "' 2>&1"), &out), 0) << out;
  EXPECT_FALSE(HasTerminalControl(out)) << out;
  EXPECT_NE(out.find("label=\\x1b[31mred"), std::string::npos) << out;

  // An error naming a hostile path: the guest's own message comes back escaped.
  EXPECT_NE(Shell(Diskferry("cat '" + img + ":/" + kEvilName + "x' 2>&1"), &out), 0);
  EXPECT_FALSE(HasTerminalControl(out)) << out;
  EXPECT_NE(out.find("No such file or directory"), std::string::npos) << out;

  // A list job's output: one line per entry, whatever the names hold.
  std::ofstream(dir_ + "/m.yaml") << "version: 1\njobs:\n  - name: inv\n    kind: list\n"
                                     "    source: names.img\n    format: raw\n";
  ASSERT_EQ(Shell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report r.jsonl"), &out), 0)
      << out;
  EXPECT_FALSE(HasTerminalControl(out)) << out;
  EXPECT_NE(out.find("file\t1\t/ok\\x0a-rw-r--r--"), std::string::npos) << out;
}

TEST_F(HostileImageTest, AQcow2NamingAHostFileAsItsBackingFileIsNeverOpened) {
  // The "host disk": an ext4 image with a secret, named by the crafted qcow2's header.
  const std::string src = dir_ + "/secret-src", host_disk = dir_ + "/host-disk.img";
  std::string out;
  ASSERT_EQ(Shell("mkdir -p '" + src + "' && printf hunter2 > '" + src +
                      "/secret.txt' && mke2fs -q -F -t ext4 -d '" + src + "' '" + host_disk +
                      "' 16M && cd '" + dir_ + "' && qemu-img create -q -f qcow2 -b '" + host_disk +
                      "' -F raw evil.qcow2 16M",
                  &out),
            0)
      << out;
  const std::string evil = dir_ + "/evil.qcow2";

  EXPECT_EQ(Shell(Diskferry("ls --format qcow2 '" + evil + ":/' 2>&1"), &out), 64) << out;
  EXPECT_EQ(out, "diskferry: " + evil + ": its header names a backing file, \"" + host_disk +
                     "\"; diskferry never opens a file an image names itself: if you trust that "
                     "file, name it with --backing PATH (backing: in a manifest)\n");

  std::ofstream(dir_ + "/m.yaml") << "version: 1\njobs:\n  - name: probe\n    kind: list\n"
                                     "    source: evil.qcow2\n    probe_format: true\n";
  EXPECT_EQ(Shell("cd '" + dir_ + "' && " + Diskferry("run m.yaml --report r.jsonl 2>&1"), &out), 2)
      << out;
  EXPECT_EQ(out.find("secret.txt"), std::string::npos) << out;
  EXPECT_NE(out.find("its header names a backing file"), std::string::npos) << out;

  // Named by the user, the same file is a backing file like any other.
  ASSERT_EQ(Shell(Diskferry("ls --format qcow2 --backing '" + host_disk + "' '" + evil +
                            ":/' 2>&1"),
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("secret.txt"), std::string::npos) << out;
}

}  // namespace
}  // namespace diskferry::testing
