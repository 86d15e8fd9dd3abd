// The daemon's storage stack in a real appliance, driven through ControlClient: an LVM
// volume group made by guestfish is activated read-only and its LV listed, mounted and
// read by every name; a volume group missing a disk is a problems line; a LUKS2 container
// made by `cryptsetup reencrypt --encrypt` on a plain file refuses a wrong key and opens
// with the right one; an md RAID1 with one disk of two is assembled degraded and read.
// The source images are never written (sha256 before and after).
//
// The images are made once and cached under the build tree (test-fixtures/storage-daemon),
// since guestfish boots its own appliance under TCG (about 40 s).
#include <gtest/gtest.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>

#include "appliance/appliance.h"
#include "appliance/control_client.h"
#include "appliance/image_session.h"
#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

namespace fs = std::filesystem;

using std::chrono::seconds;

constexpr char kRightKey[] = "right key";
constexpr char kLvmFile[] = "hello from lvm";
constexpr char kLuksFile[] = "hello from luks";
constexpr char kRaidFile[] = "hello from raid1";
// Bumped whenever the recipes below change, so that a stale cache is not used.
constexpr char kFixtureVersion[] = "v2";

// Activation runs lvm three times, each a few seconds under TCG; unlocking runs a PBKDF2
// of about 150,000 iterations per key slot tried.
constexpr seconds kListTimeout(180);
constexpr seconds kUnlockTimeout(330);

std::string FixtureDir() {
  return (fs::path(BuiltProgram("diskferry")).parent_path().parent_path() / "test-fixtures" /
          (std::string("storage-daemon-") + kFixtureVersion))
      .string();
}

// Runs `command`; on failure records it and its output as a test failure.
bool Run(const std::string& command) {
  std::string out;
  const int rc = RunShell(command, &out);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  return rc == 0;
}

// lvm.img: PV of VG "vg-it" with LV "lv-data" (ext4, /hello.txt); span-a.img and
// span-b.img: the two PVs of VG "vgspan"; r1.img and r2.img: an md RAID1 (ext4,
// /mirror.txt). Made by guestfish (names with '-' exercise the
// device-mapper escaping). luks.img: LUKS2 (PBKDF2, cheap under TCG) over ext4 holding
// /secret.txt, made by reencrypting a plain mke2fs image in place.
bool MakeFixtures(const std::string& dir) {
  const std::string tmp = dir + ".tmp";
  std::string out;
  RunShell("rm -rf '" + tmp + "'", &out);
  fs::create_directories(tmp + "/tree");
  std::ofstream(tmp + "/tree/secret.txt") << kLuksFile;
  std::ofstream(tmp + "/key", std::ios::binary) << kRightKey;
  const std::string guestfish =
      "cd '" + tmp + "' && LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg "
      "timeout 600 guestfish -N lvm.img=disk:64M -N span-a.img=disk:32M -N span-b.img=disk:32M "
      "-N r1.img=disk:32M -N r2.img=disk:32M -- pvcreate /dev/sda : vgcreate vg-it /dev/sda : lvcreate lv-data vg-it 32 : "
      "mkfs ext4 /dev/vg-it/lv-data : mount /dev/vg-it/lv-data / : "
      "write /hello.txt '" + std::string(kLvmFile) + "' : umount / : "
      "pvcreate /dev/sdb : pvcreate /dev/sdc : vgcreate vgspan '/dev/sdb /dev/sdc' : "
      "lvcreate wide vgspan 48 : mkfs ext4 /dev/vgspan/wide : "
      "md-create r1 '/dev/sdd /dev/sde' level:raid1 : mkfs ext4 /dev/md/r1 : "
      "mount /dev/md/r1 / : write /mirror.txt '" + std::string(kRaidFile) + "' : umount /";
  const std::string luks =
      "cd '" + tmp + "' && mke2fs -q -t ext4 -d tree luks.img 32M && truncate -s 64M luks.img && "
      "cryptsetup reencrypt --encrypt --type luks2 --reduce-device-size 32M --pbkdf pbkdf2 "
      "--iter-time 100 --key-file key -q luks.img";
  if (!Run(guestfish) || !Run(luks)) return false;
  return Run("mv '" + tmp + "' '" + dir + "'");
}

// The fixture directory, made under an exclusive lock when missing.
std::string Fixtures() {
  const std::string dir = FixtureDir();
  fs::create_directories(fs::path(dir).parent_path());
  const int lock = ::open((dir + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0) return {};
  const bool ok = fs::exists(dir + "/luks.img") || MakeFixtures(dir);
  ::close(lock);
  return ok ? dir : std::string();
}

std::string Sha256(const std::string& path) {
  std::string out;
  RunShell("sha256sum '" + path + "'", &out);
  return out.substr(0, 64);
}

const FilesystemInfo* Find(const StorageListing& listing, const std::string& device) {
  for (const FilesystemInfo& fs : listing.filesystems) {
    if (fs.device == device) return &fs;
  }
  return nullptr;
}

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class StorageDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"guestfish", "cryptsetup", "mke2fs"}) {
      std::string out;
      if (RunShell(std::string("command -v ") + tool, &out) != 0) {
        GTEST_SKIP() << tool << " is not installed (scripts/setup.sh installs it)";
      }
    }
    fixtures_ = Fixtures();
    ASSERT_FALSE(fixtures_.empty()) << "could not make the fixture images";
    ApplianceBuildConfig build;
    auto image = PrepareAppliance(build);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    image_ = *image;
    for (const char* tool : {"lvm", "cryptsetup", "mdadm"}) {
      if (std::find(image_.storage_tools.begin(), image_.storage_tools.end(), tool) ==
          image_.storage_tools.end()) {
        GTEST_SKIP() << tool << " is not in this appliance (scripts/setup.sh installs it)";
      }
    }
  }
  void TearDown() override {
    if (appliance_) (void)appliance_->Shutdown();
    for (const auto& [path, sum] : sums_) EXPECT_EQ(Sha256(path), sum) << path << " was written";
  }

  // Boots an appliance with these images attached read-only, in order (/dev/sda, ...).
  ControlClient& Boot(const std::vector<std::string>& images) {
    ApplianceConfig config;
    config.image = image_;
    for (const std::string& name : images) {
      const std::string path = fixtures_ + "/" + name;
      sums_[path] = Sha256(path);
      DriveSpec drive;
      drive.path = path;
      config.drives.push_back(drive);
    }
    config.launch_timeout = seconds(240);
    auto appliance = Appliance::Launch(config);
    EXPECT_TRUE(appliance.ok()) << appliance.status().ToString();
    if (appliance.ok()) appliance_ = std::move(*appliance);
    return appliance_->control();
  }

  // Name -> size of the entries in the root directory of what is mounted.
  std::map<std::string, uint64_t> RootEntries(ControlClient& control) {
    std::map<std::string, uint64_t> names;
    auto entries = control.ReadDirAll("/");
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    if (entries.ok()) {
      for (const DirEntryInfo& e : *entries) names[e.name] = e.stat.size;
    }
    return names;
  }

  std::string fixtures_;
  ApplianceImage image_;
  std::unique_ptr<Appliance> appliance_;
  std::map<std::string, std::string> sums_;
};

TEST_F(StorageDaemonTest, LogicalVolumesAreListedByEveryNameAndMountedAndIncompleteGroupsSaid) {
  ControlClient& control = Boot({"lvm.img", "span-a.img"});
  ASSERT_TRUE(appliance_);
  auto listing = control.ListStorage(/*activate=*/true, /*read_write=*/false, kListTimeout);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();

  const FilesystemInfo* lv = Find(*listing, "/dev/vg-it/lv-data");
  ASSERT_NE(lv, nullptr) << "listed: " << listing->filesystems.size();
  EXPECT_EQ(lv->fstype, "ext4");
  ASSERT_EQ(lv->aliases.size(), 2u);
  EXPECT_EQ(lv->aliases[0], "/dev/mapper/vg--it-lv--data");
  EXPECT_TRUE(lv->aliases[1].starts_with("/dev/dm-")) << lv->aliases[1];
  const FilesystemInfo* pv = Find(*listing, "/dev/sda");
  ASSERT_NE(pv, nullptr);
  EXPECT_EQ(pv->fstype, "LVM2_member");
  EXPECT_EQ(pv->note, "LVM physical volume of VG vg-it");
  EXPECT_EQ(Find(*listing, "/dev/vgspan/wide"), nullptr);
  EXPECT_EQ(listing->problems,
            std::vector<std::string>{"VG vgspan is incomplete: 1 of 2 physical volumes missing; "
                                     "attach every disk of the machine"});

  for (const std::string& name : {lv->device, lv->aliases[0], lv->aliases[1]}) {
    auto mounted = control.Mount(name, /*read_write=*/false, "");
    ASSERT_TRUE(mounted.ok()) << name << ": " << mounted.status().ToString();
    const std::map<std::string, uint64_t> entries = RootEntries(control);
    ASSERT_TRUE(entries.contains("hello.txt")) << name;
    EXPECT_EQ(entries.at("hello.txt"), std::string_view(kLvmFile).size());
  }

  // Read-only disks, activated read-only: a read-write mount is refused.
  EXPECT_FALSE(control.Mount(lv->device, /*read_write=*/true, "").ok());

  // Listing again runs nothing new and says the same.
  auto again = control.ListStorage(true, false, kListTimeout);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->problems, listing->problems);
  EXPECT_NE(Find(*again, "/dev/vg-it/lv-data"), nullptr);
}

TEST_F(StorageDaemonTest, ARaid1MissingADiskIsAssembledDegradedAndRead) {
  ControlClient& control = Boot({"r1.img"});
  ASSERT_TRUE(appliance_);
  auto listing = control.ListStorage(true, false, kListTimeout);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  const FilesystemInfo* array = nullptr;
  for (const FilesystemInfo& fs : listing->filesystems) {
    if (fs.device.starts_with("/dev/md")) array = &fs;
  }
  ASSERT_NE(array, nullptr) << "problems: " << listing->problems.size();
  EXPECT_EQ(array->fstype, "ext4");
  EXPECT_EQ(array->note, "RAID1, degraded: 1 of 2 disks");
  const FilesystemInfo* member = Find(*listing, "/dev/sda");
  ASSERT_NE(member, nullptr);
  EXPECT_EQ(member->fstype, "linux_raid_member");
  EXPECT_EQ(member->note, "member of RAID array " + array->device);
  EXPECT_TRUE(listing->problems.empty()) << listing->problems[0];

  auto mounted = control.Mount(array->device, false, "");
  ASSERT_TRUE(mounted.ok()) << mounted.status().ToString();
  const std::map<std::string, uint64_t> entries = RootEntries(control);
  ASSERT_TRUE(entries.contains("mirror.txt"));
  EXPECT_EQ(entries.at("mirror.txt"), std::string_view(kRaidFile).size());
}

TEST_F(StorageDaemonTest, LuksOpensOnlyWithTheRightKeyAndItsFilesystemIsRead) {
  ControlClient& control = Boot({"luks.img"});
  ASSERT_TRUE(appliance_);
  auto listing = control.ListStorage(true, false, kListTimeout);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  const FilesystemInfo* container = Find(*listing, "/dev/sda");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->fstype, "crypto_LUKS");
  EXPECT_EQ(container->note, "LUKS2 container: give its key with --key-file");
  const std::string uuid = container->uuid;

  auto wrong = control.Unlock("/dev/sda", Bytes("wrong key"), false, kUnlockTimeout);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(GuestErrno(wrong.status()), "EKEYREJECTED") << wrong.status().ToString();
  EXPECT_NE(wrong.status().message().find("/dev/sda: no key slot opens with this key"),
            std::string::npos)
      << wrong.status().ToString();

  auto opened = control.Unlock("/dev/sda", Bytes(kRightKey), false, kUnlockTimeout);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "/dev/mapper/luks-" + uuid);
  auto reopened = control.Unlock("/dev/sda", Bytes(kRightKey), false, kUnlockTimeout);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(*reopened, *opened);

  auto after = control.ListStorage(true, false, kListTimeout);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  const FilesystemInfo* plain = Find(*after, *opened);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->fstype, "ext4");
  ASSERT_EQ(plain->aliases.size(), 1u);
  EXPECT_TRUE(plain->aliases[0].starts_with("/dev/dm-"));
  EXPECT_EQ(Find(*after, "/dev/sda")->note, "LUKS2 container, open as " + *opened);

  // Opened read-only on a read-only disk: a read-write mount is refused.
  EXPECT_FALSE(control.Mount(*opened, /*read_write=*/true, "").ok());
  auto mounted = control.Mount(*opened, false, "");
  ASSERT_TRUE(mounted.ok()) << mounted.status().ToString();
  const std::map<std::string, uint64_t> entries = RootEntries(control);
  ASSERT_TRUE(entries.contains("secret.txt"));
  EXPECT_EQ(entries.at("secret.txt"), std::string_view(kLuksFile).size());
}

}  // namespace
}  // namespace diskferry::testing
