// MountOsTree over a fake OsMountOps (daemon/os_tree.h): "mounting" a device copies the
// directory tree it stands for into the target, so the tests see the resulting tree, the
// calls made, and where each mount went. Hostile images: symlinked mount points, "..",
// huge and broken fstabs.
#include "daemon/os_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/daemon/os_fake_mount_ops.h"
#include "tests/daemon/serve_fixture.h"

namespace diskferry::daemon {
namespace {

namespace fs = std::filesystem;
using testing::Device;
using testing::FakeMountOps;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string> kMountable = {"btrfs", "ext4", "vfat", "xfs"};

class OsTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = testing::MakeTempDir("df-os-tree");
    sysroot_ = base_ + "/sysroot";
    fs::create_directory(sysroot_);
    ops_ = std::make_unique<FakeMountOps>(base_, sysroot_);
  }
  void TearDown() override { fs::remove_all(base_); }

  // The directory standing for a filesystem: base/src/NAME.
  std::string Source(const std::string& name) {
    const std::string dir = base_ + "/src/" + name;
    fs::create_directories(dir);
    return dir;
  }
  static void Write(const std::string& dir, const std::string& relative,
                    const std::string& content) {
    fs::create_directories(fs::path(dir + "/" + relative).parent_path());
    std::ofstream(dir + "/" + relative, std::ios::binary) << content;
  }
  static void Dirs(const std::string& dir, std::initializer_list<const char*> relatives) {
    for (const char* r : relatives) fs::create_directories(dir + "/" + r);
  }
  // A root filesystem: etc/fstab, an os-release and the given directories.
  std::string RootSource(const std::string& name, const std::string& fstab,
                         std::initializer_list<const char*> dirs = {}) {
    const std::string root = Source(name);
    Write(root, "etc/fstab", fstab);
    Write(root, "usr/lib/os-release", "NAME=\"Rocky Linux\"\nVERSION_ID=\"9.3\"\n");
    fs::create_symlink("../usr/lib/os-release", root + "/etc/os-release");
    Dirs(root, dirs);
    return root;
  }
  OsTreeRequest Request(std::vector<DeviceFacts> devices) const {
    OsTreeRequest request;
    request.sysroot = sysroot_;
    request.devices = std::move(devices);
    request.mountable_types = kMountable;
    return request;
  }
  bool Exists(const std::string& relative) const { return fs::exists(sysroot_ + relative); }

  static std::vector<std::string> Described(const OsTreeData& tree) {
    std::vector<std::string> lines;
    for (const OsMount& m : tree.mounted) lines.push_back(DescribeMount(m));
    return lines;
  }
  static std::vector<std::string> Skips(const OsTreeData& tree) {
    std::vector<std::string> lines;
    for (const SkippedMount& s : tree.skipped) {
      lines.push_back(std::string(SkipKindName(s.kind)) + " | " + DescribeSkipped(s));
    }
    return lines;
  }

  std::string base_;
  std::string sysroot_;
  std::unique_ptr<FakeMountOps> ops_;
};

TEST_F(OsTreeTest, MountsTheRootThenItsFstabParentsFirst) {
  RootSource("root",
             "UUID=r00t / xfs defaults 0 0\n"
             "UUID=b00t /boot ext4 defaults 1 2\n"
             "UUID=AB12-CD34 /boot/efi vfat umask=0077,shortname=winnt 0 2\n"
             "/dev/sdb1 /home xfs defaults 0 0\n"
             "UUID=5wap none swap defaults 0 0\n"
             "tmpfs /tmp tmpfs defaults 0 0\n",
             {"boot", "home", "tmp"});
  Write(Source("boot"), "vmlinuz", "kernel");
  Dirs(Source("boot"), {"efi"});
  Write(Source("efi"), "EFI/BOOT/BOOTX64.EFI", "efi");
  Write(Source("home"), "user/notes.txt", "notes");
  ops_->AddSource("/dev/sda1", "", Source("efi"));
  ops_->AddSource("/dev/sda2", "", Source("boot"));
  ops_->AddSource("/dev/sda3", "", Source("root"));
  ops_->AddSource("/dev/sdb1", "", Source("home"));
  const OsTreeRequest request =
      Request({Device("/dev/sda1", "vfat", "AB12-CD34"), Device("/dev/sda2", "ext4", "b00t"),
               Device("/dev/sda3", "xfs", "r00t"), Device("/dev/sda4", "swap", "5wap"),
               Device("/dev/sdb1", "xfs", "h0me")});

  const OpResult<OsTreeData> tree = MountOsTree(request, *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(tree->root_device, "/dev/sda3");
  EXPECT_EQ(tree->root_subvolume, "");
  EXPECT_EQ(tree->os_name, "Rocky Linux 9.3");
  EXPECT_THAT(
      Described(*tree),
      ElementsAre("/dev/sda3 on / type xfs (ro)", "/dev/sda2 on /boot type ext4 (ro)",
                  "/dev/sdb1 on /home type xfs (ro)", "/dev/sda1 on /boot/efi type vfat (ro)"));
  EXPECT_EQ(tree->mounted[0].spec, "UUID=r00t");
  EXPECT_EQ(tree->mounted[0].line, 1);
  EXPECT_THAT(Skips(*tree), ElementsAre("swap | line 5: UUID=5wap on none: swap space",
                                        "pseudo | line 6: tmpfs on /tmp: pseudo filesystem"));
  EXPECT_THAT(tree->warnings, IsEmpty());
  EXPECT_TRUE(Exists("/boot/vmlinuz"));
  EXPECT_TRUE(Exists("/boot/efi/EFI/BOOT/BOOTX64.EFI"));
  EXPECT_TRUE(Exists("/home/user/notes.txt"));
  // Every filesystem is looked at read-only (swap is not mountable), then the tree.
  EXPECT_THAT(ops_->calls,
              ElementsAre("mount /dev/sda1 / ro", "unmount /", "mount /dev/sda2 / ro", "unmount /",
                          "mount /dev/sda3 / ro", "unmount /", "mount /dev/sdb1 / ro", "unmount /",
                          "mount /dev/sda3 / ro", "mount /dev/sda2 /boot ro",
                          "mount /dev/sdb1 /home ro", "mount /dev/sda1 /boot/efi ro"));

  ops_->calls.clear();
  ASSERT_TRUE(UnmountOsTree(tree.value(), sysroot_, *ops_).ok());
  EXPECT_THAT(ops_->calls,
              ElementsAre("unmount /boot/efi", "unmount /home", "unmount /boot", "unmount /"));
  EXPECT_THAT(ops_->mounted, IsEmpty());
}

TEST_F(OsTreeTest, ReadWriteMountsEverythingReadWrite) {
  RootSource("root", "/dev/sda2 /data ext4 defaults\n", {"data"});
  ops_->AddSource("/dev/sda1", "", Source("root"));
  ops_->AddSource("/dev/sda2", "", Source("data"));
  OsTreeRequest request =
      Request({Device("/dev/sda1", "ext4", ""), Device("/dev/sda2", "ext4", "")});
  request.read_write = true;
  const OpResult<OsTreeData> tree = MountOsTree(request, *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_THAT(Described(*tree),
              ElementsAre("/dev/sda1 on / type ext4 (rw)", "/dev/sda2 on /data type ext4 (rw)"));
  // Looking for the root is read-only all the same.
  EXPECT_EQ(ops_->calls.front(), "mount /dev/sda1 / ro");
}

TEST_F(OsTreeTest, UbuntuOnBtrfsFindsTheRootInSubvolumeAt) {
  Dirs(Source("top"), {"@", "@home"});
  RootSource("at",
             "UUID=b7 / btrfs defaults,subvol=@ 0 1\n"
             "UUID=b7 /home btrfs defaults,subvol=@home,compress=zstd 0 2\n",
             {"home"});
  Write(Source("at-home"), "ubuntu/.profile", "x");
  ops_->AddSource("/dev/sda2", "", Source("top"));
  ops_->AddSource("/dev/sda2", "subvol=@", Source("at"));
  ops_->AddSource("/dev/sda2", "subvol=@home", Source("at-home"));
  // A second device of the same btrfs filesystem is looked at once.
  const OsTreeRequest request =
      Request({Device("/dev/sda2", "btrfs", "b7"), Device("/dev/sdb2", "btrfs", "b7")});
  const OpResult<OsTreeData> tree = MountOsTree(request, *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(tree->root_subvolume, "@");
  EXPECT_THAT(Described(*tree), ElementsAre("/dev/sda2 on / type btrfs (ro,subvol=@)",
                                            "/dev/sda2 on /home type btrfs (ro,subvol=@home)"));
  EXPECT_TRUE(Exists("/home/ubuntu/.profile"));
  EXPECT_THAT(
      ops_->calls,
      ElementsAre("mount /dev/sda2 / ro", "unmount /", "mount /dev/sda2 / ro,subvol=@", "unmount /",
                  "mount /dev/sda2 / ro,subvol=@", "mount /dev/sda2 /home ro,subvol=@home"));
}

TEST_F(OsTreeTest, FedoraOnBtrfsFindsTheRootInSubvolumeRoot) {
  Dirs(Source("top"), {"root", "home"});
  RootSource("root", "UUID=f3 / btrfs subvol=root,compress=zstd:1 0 0\n");
  ops_->AddSource("/dev/sda3", "", Source("top"));
  ops_->AddSource("/dev/sda3", "subvol=root", Source("root"));
  const OpResult<OsTreeData> tree =
      MountOsTree(Request({Device("/dev/sda3", "btrfs", "f3")}), *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(tree->root_subvolume, "root");
  EXPECT_EQ(tree->mounted[0].options, "ro,subvol=root");
}

TEST_F(OsTreeTest, TheCallerNamesTheRootSubvolume) {
  RootSource("snap", "UUID=s / btrfs defaults\n");
  RootSource("at", "UUID=s / btrfs subvol=@\n");
  ops_->AddSource("/dev/sda2", "subvol=@", Source("at"));
  ops_->AddSource("/dev/sda2", "subvol=@/.snapshots/1/snapshot", Source("snap"));
  OsTreeRequest request = Request({Device("/dev/sda2", "btrfs", "s")});
  request.root_subvolume = "@/.snapshots/1/snapshot";
  const OpResult<OsTreeData> tree = MountOsTree(request, *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(tree->root_subvolume, "@/.snapshots/1/snapshot");
  EXPECT_THAT(ops_->calls,
              ElementsAre("mount /dev/sda2 / ro,subvol=@/.snapshots/1/snapshot", "unmount /",
                          "mount /dev/sda2 / ro,subvol=@/.snapshots/1/snapshot"));
}

TEST_F(OsTreeTest, AnUnsafeRootSubvolumeIsRefusedBeforeAnyMount) {
  OsTreeRequest request = Request({Device("/dev/sda2", "btrfs", "s")});
  request.root_subvolume = "@,device=/dev/sdb";
  const OpResult<OsTreeData> tree = MountOsTree(request, *ops_);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, EINVAL);
  EXPECT_EQ(tree.error().message, "unsafe subvolume name refused: @,device=/dev/sdb");
  EXPECT_THAT(ops_->calls, IsEmpty());
}

TEST_F(OsTreeTest, NoRootIsAnErrorListingWhatWasLookedAt) {
  Write(Source("data"), "etc/fstab", "");  // an fstab but no os-release
  Write(Source("huge"), "etc/fstab", std::string(kMaxFstabBytes + 1, '#'));
  Write(Source("huge"), "etc/os-release", "NAME=x\n");
  ops_->AddSource("/dev/sda1", "", Source("data"));
  ops_->AddSource("/dev/sda2", "", Source("huge"));
  const OpResult<OsTreeData> tree =
      MountOsTree(Request({Device("/dev/sda1", "ext4", ""), Device("/dev/sda2", "ext4", ""),
                           Device("/dev/sda3", "crypto_LUKS", ""), Device("/dev/sda4", "xfs", "")}),
                  *ops_);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, ENOENT);
  EXPECT_EQ(tree.error().message,
            "no root filesystem found: none holds etc/fstab and an os-release (etc/ or "
            "usr/lib/); looked at /dev/sda1 (ext4): no os-release, /dev/sda2 (ext4): "
            "/etc/fstab: longer than 1048576 bytes, /dev/sda3 (crypto_LUKS): not a "
            "filesystem the appliance mounts, /dev/sda4 (xfs): mount /dev/sda4 (xfs): No "
            "such file or directory");
  EXPECT_THAT(ops_->mounted, IsEmpty());
}

TEST_F(OsTreeTest, SeveralRootsAreAnErrorUnlessTheCallerNamesOne) {
  RootSource("a", "");
  RootSource("b", "");
  Write(Source("b"), "etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
  ops_->AddSource("/dev/sda1", "", Source("a"));
  ops_->AddSource("/dev/sdb1", "", Source("b"));
  std::vector<DeviceFacts> devices = {Device("/dev/sdb1", "ext4", "bbbb"),
                                      Device("/dev/sda1", "xfs", "aaaa")};
  devices[0].label = "debian";
  OpResult<OsTreeData> tree = MountOsTree(Request(devices), *ops_);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, EINVAL);
  EXPECT_EQ(tree.error().message,
            "several root filesystems: /dev/sda1 (xfs) Rocky Linux 9.3, /dev/sdb1 (ext4) "
            "Debian GNU/Linux 12 (bookworm); name the one to use");
  EXPECT_THAT(ops_->mounted, IsEmpty());

  OsTreeRequest request = Request(devices);
  request.root_device = "LABEL=debian";
  tree = MountOsTree(request, *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(tree->root_device, "/dev/sdb1");
  EXPECT_EQ(tree->os_name, "Debian GNU/Linux 12 (bookworm)");
  ASSERT_TRUE(UnmountOsTree(tree.value(), sysroot_, *ops_).ok());

  request.root_device = "/dev/sdc1";
  tree = MountOsTree(request, *ops_);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, EINVAL);
  EXPECT_EQ(tree.error().message, "root device /dev/sdc1: no such device");
}

TEST_F(OsTreeTest, SymlinkedMountPointsStayInsideTheTree) {
  const std::string root = RootSource("root",
                                      "/dev/sdb1 /mnt/rel ext4 defaults\n"
                                      "/dev/sdb1 /mnt/abs ext4 defaults\n"
                                      "/dev/sdb1 /mnt/to-root ext4 defaults\n"
                                      "/dev/sdb1 /mnt/loop ext4 defaults\n"
                                      "/dev/sdb1 /home ext4 defaults\n",
                                      {"mnt", "inside", "var/home"});
  // Outside the sysroot, where "../../inside" from sysroot/mnt leads without confinement.
  fs::create_directories(base_ + "/inside");
  fs::create_symlink("../../inside", root + "/mnt/rel");
  fs::create_symlink("/../../inside/../inside", root + "/mnt/abs");
  fs::create_symlink("/", root + "/mnt/to-root");
  fs::create_symlink("loop2", root + "/mnt/loop");
  fs::create_symlink("loop", root + "/mnt/loop2");
  fs::create_symlink("var/home", root + "/home");
  Write(Source("data"), "marker", "data");
  ops_->AddSource("/dev/sda1", "", root);
  ops_->AddSource("/dev/sdb1", "", Source("data"));

  const OpResult<OsTreeData> tree = MountOsTree(
      Request({Device("/dev/sda1", "ext4", ""), Device("/dev/sdb1", "ext4", "")}), *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_THAT(Described(*tree), ElementsAre("/dev/sda1 on / type ext4 (ro)",
                                            "/dev/sdb1 on /home (at /var/home) type ext4 (ro)",
                                            "/dev/sdb1 on /mnt/rel (at /inside) type ext4 (ro)"));
  EXPECT_THAT(Skips(*tree),
              ElementsAre("duplicate | line 2: /dev/sdb1 on /mnt/abs: resolves to /inside "
                          "(line 1), already mounted on",
                          "bad mount point | line 3: /dev/sdb1 on /mnt/to-root: /mnt/to-root "
                          "resolves to / (the root itself)",
                          "bad mount point | line 4: /dev/sdb1 on /mnt/loop: /mnt/loop: Too "
                          "many levels of symbolic links"));
  EXPECT_TRUE(Exists("/inside/marker"));
  EXPECT_TRUE(Exists("/var/home/marker"));
  EXPECT_TRUE(fs::is_empty(base_ + "/inside")) << "a mount escaped the sysroot";
  ops_->calls.clear();
  ASSERT_TRUE(UnmountOsTree(tree.value(), sysroot_, *ops_).ok());
  EXPECT_THAT(ops_->calls, ElementsAre("unmount /inside", "unmount /var/home", "unmount /"));
}

TEST_F(OsTreeTest, AMountThatWouldHideAnEarlierOneThroughASymlinkIsSkipped) {
  const std::string root = RootSource("root",
                                      "/dev/sdb1 /home ext4 defaults\n"
                                      "/dev/sdb2 /var ext4 defaults\n",
                                      {"var/home"});
  fs::create_symlink("var/home", root + "/home");
  ops_->AddSource("/dev/sda1", "", root);
  ops_->AddSource("/dev/sdb1", "", Source("home"));
  ops_->AddSource("/dev/sdb2", "", Source("var"));
  const OpResult<OsTreeData> tree =
      MountOsTree(Request({Device("/dev/sda1", "ext4", ""), Device("/dev/sdb1", "ext4", ""),
                           Device("/dev/sdb2", "ext4", "")}),
                  *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_THAT(Skips(*tree), ElementsAre("overlap | line 2: /dev/sdb2 on /var: resolves to "
                                        "/var, which would hide /var/home (line 1), mounted "
                                        "before it"));
}

TEST_F(OsTreeTest, MissingMountPointsAndFailedMountsAreSkippedAndTheRestGoesOn) {
  const std::string root = RootSource("root",
                                      "/dev/sdb1 /data ext4 defaults\n"
                                      "/dev/sdb2 /data/sub ext4 defaults\n"
                                      "/dev/sdb2 /srv ext4 defaults\n"
                                      "/dev/sdb2 /missing ext4 defaults\n"
                                      "/dev/sdb2 /missing/below ext4 defaults\n"
                                      "/dev/sdb2 /file ext4 defaults\n"
                                      "/dev/sdb2 /mnt/my\\040disk ext4 defaults\n",
                                      {"data/sub", "srv", "mnt/my disk"});
  Write(root, "file", "not a directory");
  ops_->AddSource("/dev/sda1", "", root);
  ops_->AddSource("/dev/sdb2", "", Source("other"));
  ops_->fail_devices = {"/dev/sdb1"};
  const OpResult<OsTreeData> tree =
      MountOsTree(Request({Device("/dev/sda1", "ext4", ""), Device("/dev/sdb1", "ext4", ""),
                           Device("/dev/sdb2", "ext4", "")}),
                  *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_THAT(Described(*tree),
              ElementsAre("/dev/sda1 on / type ext4 (ro)", "/dev/sdb2 on /srv type ext4 (ro)",
                          "/dev/sdb2 on /mnt/my disk type ext4 (ro)"));
  EXPECT_THAT(Skips(*tree),
              ElementsAre("mount failed | line 1: /dev/sdb1 on /data: mount /dev/sdb1 (ext4): "
                          "Input/output error",
                          "parent not mounted | line 2: /dev/sdb2 on /data/sub: below /data "
                          "(line 1), which is not mounted",
                          "mount point missing | line 4: /dev/sdb2 on /missing: no such "
                          "directory in the tree",
                          "parent not mounted | line 5: /dev/sdb2 on /missing/below: below "
                          "/missing (line 4), which is not mounted",
                          "mount point missing | line 6: /dev/sdb2 on /file: not a directory "
                          "in the tree"));
}

TEST_F(OsTreeTest, WhenTheRootFailsNothingStaysMounted) {
  RootSource("root", "/dev/sdb1 /data ext4 defaults\n", {"data"});
  ops_->AddSource("/dev/sda1", "", Source("root"));
  ops_->AddSource("/dev/sdb1", "", Source("root"));
  OsTreeRequest request = Request({Device("/dev/sda1", "ext4", "")});
  request.read_write = true;
  ops_->fail_read_write = true;
  OpResult<OsTreeData> tree = MountOsTree(request, *ops_);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, EROFS);
  EXPECT_EQ(tree.error().message, "mount /dev/sda1 (ext4): Read-only file system");
  EXPECT_THAT(ops_->mounted, IsEmpty());

  // The fstab read while looking, then unreadable once the root is mounted.
  ops_->fail_read_write = false;
  ops_->fstab_reads_left = 1;
  tree = MountOsTree(request, *ops_);
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().err, EIO);
  EXPECT_EQ(tree.error().message, "root /dev/sda1: /etc/fstab: Input/output error");
  EXPECT_THAT(ops_->mounted, IsEmpty());
  EXPECT_EQ(ops_->calls.back(), "unmount /");
}

TEST_F(OsTreeTest, AHostileFstabCostsLittleAndIsReportedLineByLine) {
  std::string fstab = std::string("/dev/sdb1 /a ext4 de") + '\0' + "faults\n";
  fstab += "/dev/sdb1 /b ext4\\000 defaults\n";
  fstab += "/dev/sdb1 /c/../../etc ext4 defaults\n";
  fstab += "/dev/sdb1 /d btrfs subvol=@\\054device=/dev/sda1\n";
  for (int i = 0; i < 10000; ++i) fstab += "/dev/sdb1 /m/" + std::to_string(i) + " ext4\n";
  RootSource("root", fstab, {"d"});
  ops_->AddSource("/dev/sda1", "", Source("root"));
  ops_->AddSource("/dev/sdb1", "", Source("data"));
  const OpResult<OsTreeData> tree = MountOsTree(
      Request({Device("/dev/sda1", "ext4", ""), Device("/dev/sdb1", "ext4", "")}), *ops_);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_THAT(tree->warnings,
              ElementsAre("line 1: holds a NUL byte", "line 2: the type holds a NUL byte (\\000)",
                          "fstab: more than 1024 entries; lines 1027 to 10004 "
                          "ignored"));
  // "btrfs" in fstab, ext4 on the device: the options are the daemon's, none passed.
  EXPECT_THAT(Described(*tree),
              ElementsAre("/dev/sda1 on / type ext4 (ro)", "/dev/sdb1 on /d type ext4 (ro)"));
  // Line 3, and the 1022 "/m/N" lines parsed: no directory, or past kMaxOsMounts.
  ASSERT_EQ(tree->skipped.size(), 1u + 1022u);
  EXPECT_EQ(tree->skipped[0].kind, SkipKind::kBadMountPoint);
  EXPECT_EQ(tree->skipped[1].kind, SkipKind::kMountPointMissing);
  EXPECT_EQ(tree->skipped.back().kind, SkipKind::kTooMany);
  // Two looks, the root, /d: no mount is tried where no directory is.
  EXPECT_EQ(ops_->calls.size(), 6u);
}

TEST(GuestDevicePathTest, MapsLibguestfsNamesAndRefusesPathsOutOfDev) {
  EXPECT_EQ(GuestDevicePath("/dev", "/dev/sda1").value(), "/dev/vda1");
  EXPECT_EQ(GuestDevicePath("/dev", "/dev/md127").value(), "/dev/md127");
  EXPECT_EQ(GuestDevicePath("/dev", "/dev/dm-0").value(), "/dev/dm-0");
  EXPECT_EQ(GuestDevicePath("/x/dev", "/dev/mapper/vg--data-root").value(),
            "/x/dev/mapper/vg--data-root");
  EXPECT_EQ(GuestDevicePath("/dev", "/dev/md/root").value(), "/dev/md/root");
  for (const char* bad : {"/dev/../etc/passwd", "/dev/mapper/../../etc", "/dev/./sda", "/dev//sda",
                          "/dev/", "/etc/passwd", "sda1", "/dev/a b", "/dev/mapper/x,y"}) {
    const OpResult<std::string> path = GuestDevicePath("/dev", bad);
    ASSERT_FALSE(path.ok()) << bad;
    EXPECT_EQ(path.error().err, EINVAL) << bad;
  }
}

TEST(ReadFileInSysrootTest, ReadsRegularFilesInsideTheRootOnly) {
  const std::string root = testing::MakeTempDir("df-os-read");
  fs::create_directories(root + "/etc");
  std::ofstream(root + "/etc/fstab") << "content";
  fs::create_symlink("/etc/fstab", root + "/abs-link");
  fs::create_symlink("../../../../../../etc/hostname", root + "/etc/rel-link");
  ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0644), 0);

  EXPECT_EQ(ReadFileInSysroot(root, "etc/fstab", 100).value(), "content");
  EXPECT_EQ(ReadFileInSysroot(root, "abs-link", 100).value(), "content");
  EXPECT_EQ(ReadFileInSysroot(root, "etc/rel-link", 100).error().err, ENOENT);
  EXPECT_EQ(ReadFileInSysroot(root, "missing", 100).error().err, ENOENT);
  const OpResult<std::string> fifo = ReadFileInSysroot(root, "fifo", 100);
  EXPECT_EQ(fifo.error().err, EINVAL);
  EXPECT_EQ(fifo.error().message, "/fifo: not a regular file");
  const OpResult<std::string> big = ReadFileInSysroot(root, "etc/fstab", 6);
  EXPECT_EQ(big.error().err, EFBIG);
  EXPECT_EQ(big.error().message, "/etc/fstab: longer than 6 bytes");
  EXPECT_EQ(ReadFileInSysroot(root, "etc/fstab", 7).value(), "content");
  fs::remove_all(root);
}

}  // namespace
}  // namespace diskferry::daemon
