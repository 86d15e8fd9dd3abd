// Filesystems the default (cloud) kernel lacks, read through the CLI on real appliances:
// an f2fs image made with mkfs.f2fs + sload.f2fs and an NTFS image made with mkntfs +
// ntfscp (never by diskferry). The session boots the installed kernel that has the module
// and says so on stderr; the source image is never written.
#include "appliance/kernel_choice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "appliance/appliance_builder.h"
#include "appliance/kernel_locator.h"
#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

const char kHello[] = "hello from a filesystem the cloud kernel lacks\n";
// The generic kernel probes more hardware than the cloud one: under TCG on a loaded 2-core
// machine its boot took 57 to 74 s (cloud: 25 to 30 s), past the default 60 s.
const std::string kSlowBoot = "--timeout 300 ";  // after the command word

// 300 KiB that no run of zeros or repeated block hides a mistake in.
std::string BigContent() {
  std::string big(300 * 1024, '\0');
  uint32_t x = 12345;
  for (char& c : big) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return big;
}

std::string Sha256(const std::string& path) {
  std::string out;
  if (RunShell("sha256sum '" + path + "'", &out) != 0) return "sha256sum failed: " + out;
  return out.substr(0, 64);
}

// The releases of the installed kernels serving `fstype`, and the default kernel's.
std::vector<std::string> Serving(const std::string& fstype) {
  return KernelsServing(fstype, InstalledKernels(KernelSearchRoots{}, StorageToolsConfig{}));
}
std::string DefaultRelease() {
  Result<HostKernel> kernel = FindHostKernel(KernelSearchRoots{});
  return kernel.ok() ? kernel->release : "";
}

class KernelChoiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("kernel-choice");
    ASSERT_FALSE(dir_.empty());
    std::string out;
    ASSERT_EQ(RunShell("mkdir -p '" + dir_ + "/tree/dir'", &out), 0) << out;
    std::ofstream(dir_ + "/tree/hello.txt", std::ios::binary) << kHello;
    std::ofstream(dir_ + "/tree/dir/big.bin", std::ios::binary) << BigContent();
  }
  void TearDown() override { RemoveTree(dir_); }

  // `diskferry ls -l IMAGE:/` and `cat` of both files match what was written; returns
  // the stderr of the ls run. (RunShell adds 2>&1 at the end: each command is run in a
  // subshell so that its own redirection of stderr holds.)
  std::string ExpectReadable(const std::string& image) {
    const std::string sha_before = Sha256(image);
    std::string out;
    EXPECT_EQ(
        RunShell("(" +
                     Diskferry("ls -l " + kSlowBoot + "'" + image + ":/' 2>'" + dir_ + "/ls.err'") +
                     ")",
                 &out),
        0)
        << out;
    EXPECT_NE(out.find(" " + std::to_string(sizeof kHello - 1) + " "), std::string::npos) << out;
    EXPECT_NE(out.find("hello.txt"), std::string::npos) << out;
    EXPECT_NE(out.find("dir"), std::string::npos) << out;
    std::string hello;
    EXPECT_EQ(
        RunShell(
            "(" + Diskferry("cat " + kSlowBoot + "'" + image + ":/hello.txt' 2>/dev/null") + ")",
            &hello),
        0);
    EXPECT_EQ(hello, kHello);
    EXPECT_EQ(RunShell(Diskferry("cat " + kSlowBoot + "'" + image +
                                 ":/dir/big.bin' 2>/dev/null >'" + dir_ + "/big.out'") +
                           " && cmp '" + dir_ + "/big.out' '" + dir_ + "/tree/dir/big.bin'",
                       &out),
              0)
        << out;
    EXPECT_EQ(Sha256(image), sha_before);
    std::string err;
    RunShell("cat '" + dir_ + "/ls.err'", &err);
    return err;
  }

  std::string dir_;
};

TEST_F(KernelChoiceTest, F2fsImageIsReadThroughTheKernelThatHasF2fsAndTheSwitchIsSaid) {
  const std::vector<std::string> serving = Serving("f2fs");
  if (serving.empty()) GTEST_SKIP() << "no installed kernel has f2fs (install linux-image-amd64)";
  const std::string image = dir_ + "/f2fs.img";
  std::string out;
  ASSERT_EQ(RunShell("truncate -s 128M '" + image + "' && mkfs.f2fs -q '" + image +
                         "' && sload.f2fs -f '" + dir_ + "/tree' '" + image + "'",
                     &out),
            0)
      << out;

  const std::string err = ExpectReadable(image);

  const std::string booted = DefaultRelease();
  if (std::find(serving.begin(), serving.end(), booted) == serving.end()) {
    EXPECT_NE(err.find(image + ": /dev/sda is f2fs, which " + booted + " lacks; using " +
                       serving.front()),
              std::string::npos)
        << err;
  } else {
    EXPECT_EQ(err.find(" lacks; using "), std::string::npos)
        << "the booted kernel has f2fs: no switch to say\n"
        << err;
  }
}

class NtfsTest : public KernelChoiceTest {
 protected:
  void SetUp() override {
    KernelChoiceTest::SetUp();
    image_ = dir_ + "/ntfs.img";
    std::string out;
    ASSERT_EQ(RunShell("truncate -s 64M '" + image_ + "' && mkntfs -F -Q -q '" + image_ +
                           "' 2>/dev/null && ntfscp '" + image_ + "' '" + dir_ +
                           "/tree/hello.txt' hello.txt",
                       &out),
              0)
        << out;
  }
  std::string image_;
};

// NTFS is mounted by ntfs-3g (FUSE) on the booted kernel: no kernel switch, and a write
// through copy-in reaches the image (read back with ntfscat, not diskferry).
TEST_F(NtfsTest, NtfsImageIsReadAndWrittenThroughNtfs3gOnTheBootedKernel) {
  const std::string sha_before = Sha256(image_);
  std::string hello, err;
  EXPECT_EQ(RunShell(Diskferry("cat '" + image_ + ":/hello.txt'") + " 2>'" + dir_ + "/cat.err'",
                     &hello),
            0);
  EXPECT_EQ(hello, kHello);
  ASSERT_EQ(RunShell("cat '" + dir_ + "/cat.err'", &err), 0);
  EXPECT_EQ(err.find("using"), std::string::npos) << "a kernel switch:\n" << err;
  EXPECT_EQ(Sha256(image_), sha_before);

  std::string out;
  ASSERT_EQ(RunShell("printf 'written by copy-in\\n' > '" + dir_ + "/note.txt'", &out), 0) << out;
  ASSERT_EQ(RunShell(Diskferry("copy-in --in-place '" + dir_ + "/note.txt' '" + image_ + ":/'") +
                         " 2>&1",
                     &out),
            0)
      << out;
  std::string note;
  ASSERT_EQ(RunShell("ntfscat '" + image_ + "' note.txt", &note), 0) << note;
  EXPECT_EQ(note, "written by copy-in\n");
  ASSERT_EQ(RunShell("ntfsfix -n '" + image_ + "' 2>&1", &out), 0) << out;
}

}  // namespace
}  // namespace diskferry::testing
