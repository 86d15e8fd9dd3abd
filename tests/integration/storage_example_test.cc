// examples/vm-disks.yaml run for real: a qcow2 root disk over the Rocky-like fixture (its
// base), and a raw data disk holding a LUKS2 volume made here with mke2fs -d and
// cryptsetup reencrypt --encrypt. Every job of the example must succeed, read what was
// written, and leave both disks unchanged.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

using StorageExampleTest = StorageTest;

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The one directory of `dir` whose name starts with `prefix` ("data-" and a date).
std::string DatedDir(const std::string& dir, const std::string& prefix) {
  std::string found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.size() == prefix.size() + 10) found = entry.path();
  }
  return found;
}

TEST_F(StorageExampleTest, VmDisksExampleRunsEveryJobOnAQcow2RootAndALuksDataDisk) {
  UsesImages({"os-rhel.img"});
  const std::string dir = NewDir("vm-disks");
  std::string out;
  ASSERT_EQ(RunShell("cd '" + dir + "' && mkdir -p d/srv/www keys && "
                     "echo hello > d/srv/www/index.html && "
                     "mke2fs -q -F -t ext4 -L data -d d data.raw 32M && truncate -s 48M data.raw && "
                     "head -c 32 /dev/urandom > keys/data.key && "
                     "cryptsetup reencrypt -q --encrypt --type luks2 --reduce-device-size 16M "
                     "--pbkdf pbkdf2 --iter-time 100 --key-file keys/data.key data.raw && "
                     "qemu-img create -q -f qcow2 -b " + Q("os-rhel.img") +
                     " -F raw root.qcow2 && sha256sum data.raw root.qcow2 > before",
                     &out),
            0)
      << out;
  // Outputs are relative to the manifest, so it runs from a copy in the scratch dir.
  std::filesystem::copy_file(std::string(DF_EXAMPLES_DIR) + "/vm-disks.yaml",
                             dir + "/vm-disks.yaml");
  std::string err;
  ASSERT_EQ(RunSplit("cd '" + dir + "' && " +
                         Diskferry(std::string("run vm-disks.yaml --var root_image=root.qcow2 --var ") +
                                   "base_image=" + Q("os-rhel.img") +
                                   " --var data_image=data.raw --var data_key=keys/data.key " +
                                   "--report run.jsonl"),
                     &out, &err),
            0)
      << out << err;
  // inventory: the whole OS tree, /home from its own LV.
  EXPECT_NE(out.find("/etc/fstab"), std::string::npos) << out;
  EXPECT_NE(out.find("/home/alice/notes.txt"), std::string::npos) << out;
  // data and data-on-disk: the file inside the LUKS volume.
  for (const char* prefix : {"data-", "data-on-disk-"}) {
    const std::string got = DatedDir(dir, prefix);
    ASSERT_FALSE(got.empty()) << prefix << " in " << dir;
    EXPECT_EQ(FirstLine(got + "/srv/www/index.html"), "hello") << got;
  }
  EXPECT_EQ(RunShell("cd '" + dir + "' && sha256sum -c --quiet before", &out), 0) << out;
}

}  // namespace
}  // namespace diskferry::testing
