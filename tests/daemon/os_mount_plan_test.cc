// Resolving fstab specs to devices and planning a whole-OS tree (daemon/os_mount_plan.h).
#include "daemon/os_mount_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace diskferry::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

const std::vector<std::string> kMountable = {"btrfs", "ext4", "vfat", "xfs"};

DeviceFacts Device(std::string path, std::string fstype, std::string uuid,
                   std::vector<std::string> aliases = {}) {
  DeviceFacts d;
  d.path = std::move(path);
  d.fstype = std::move(fstype);
  d.uuid = std::move(uuid);
  d.aliases = std::move(aliases);
  return d;
}

std::vector<DeviceFacts> SampleDevices() {
  std::vector<DeviceFacts> devices = {
      Device("/dev/sda1", "vfat", "AB12-CD34", {"/dev/vda1"}),
      Device("/dev/sda2", "ext4", "4f1c0000-aaaa-bbbb-cccc-000000000001", {"/dev/vda2"}),
      Device("/dev/sda3", "crypto_LUKS", "11110000-0000-0000-0000-000000000003"),
      Device("/dev/mapper/vg--data-lv--home", "xfs", "22220000-0000-0000-0000-000000000004",
             {"/dev/dm-0"}),
      Device("/dev/md127", "ext4", "33330000-0000-0000-0000-000000000005", {"/dev/md/0"}),
      Device("/dev/sdb1", "ext4", "", {"/dev/vdb1"}),
  };
  devices[0].label = "EFI";
  devices[0].partuuid = "0a0b0c0d-01";
  devices[0].partlabel = "EFI System Partition";
  devices[1].label = "My Root";
  return devices;
}

std::string Resolved(std::string_view spec, const std::vector<DeviceFacts>& devices) {
  const OpResult<const DeviceFacts*> d = ResolveFstabSpec(spec, devices);
  return d.ok() ? d.value()->path
                : "error " + std::to_string(d.error().err) + ": " + d.error().message;
}

TEST(ResolveFstabSpecTest, ResolvesTags) {
  const std::vector<DeviceFacts> devices = SampleDevices();
  EXPECT_EQ(Resolved("UUID=4F1C0000-AAAA-BBBB-CCCC-000000000001", devices), "/dev/sda2");
  EXPECT_EQ(Resolved("UUID=\"ab12-cd34\"", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("LABEL=My Root", devices), "/dev/sda2");
  EXPECT_EQ(Resolved("LABEL='EFI'", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("LABEL=efi", devices), "error 2: LABEL=efi: no such device");
  EXPECT_EQ(Resolved("PARTUUID=0A0B0C0D-01", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("PARTLABEL=EFI System Partition", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("UUID=", devices), "error 22: UUID=: empty value");
}

TEST(ResolveFstabSpecTest, ResolvesUdevLinksWithTheirEscapes) {
  const std::vector<DeviceFacts> devices = SampleDevices();
  EXPECT_EQ(Resolved("/dev/disk/by-uuid/ab12-cd34", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("/dev/disk/by-label/My\\x20Root", devices), "/dev/sda2");
  EXPECT_EQ(Resolved("/dev/disk/by-partuuid/0a0b0c0d-01", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("/dev/disk/by-partlabel/EFI\\x20System\\x20Partition", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("/dev/disk/by-label/a/../../sda2", devices),
            "error 2: /dev/disk/by-label/a/../../sda2: no such device");
  EXPECT_EQ(Resolved("/dev/disk/by-id/ata-X-part1", devices),
            "error 2: /dev/disk/by-id/ata-X-part1: no such device");
}

TEST(ResolveFstabSpecTest, ResolvesDevicePathsLvmAndMdNames) {
  const std::vector<DeviceFacts> devices = SampleDevices();
  EXPECT_EQ(Resolved("/dev/sda2", devices), "/dev/sda2");
  EXPECT_EQ(Resolved("//dev//sda2", devices), "/dev/sda2");
  EXPECT_EQ(Resolved("/dev/vdb1", devices), "/dev/sdb1");  // an alias
  EXPECT_EQ(Resolved("/dev/dm-0", devices), "/dev/mapper/vg--data-lv--home");
  EXPECT_EQ(Resolved("/dev/vg-data/lv-home", devices), "/dev/mapper/vg--data-lv--home");
  EXPECT_EQ(Resolved("/dev/mapper/vg--data-lv--home", devices), "/dev/mapper/vg--data-lv--home");
  EXPECT_EQ(Resolved("/dev/md0", devices), "/dev/md127");  // alias /dev/md/0
  EXPECT_EQ(Resolved("/dev/md/127", devices), "/dev/md127");

  // The other direction: the device is known by /dev/VG/LV only.
  const std::vector<DeviceFacts> lvm = {Device("/dev/rhel/root", "xfs", "")};
  EXPECT_EQ(Resolved("/dev/mapper/rhel-root", lvm), "/dev/rhel/root");
  EXPECT_EQ(Resolved("/dev/mapper/rhel--root", lvm),
            "error 2: /dev/mapper/rhel--root: no such device");
}

TEST(ResolveFstabSpecTest, GuessesTheDiskLetterOfOtherDiskNamesLikeLibguestfs) {
  const std::vector<DeviceFacts> devices = {Device("/dev/sda1", "ext4", ""),
                                            Device("/dev/sdb2", "ext4", "")};
  EXPECT_EQ(Resolved("/dev/hda1", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("/dev/xvda1", devices), "/dev/sda1");
  EXPECT_EQ(Resolved("/dev/vdb2", devices), "/dev/sdb2");
  EXPECT_EQ(Resolved("/dev/nvme0n1p1", devices), "error 2: /dev/nvme0n1p1: no such device");
}

TEST(ResolveFstabSpecTest, SeveralMatchesAreAnErrorExceptOneBtrfsAcrossDevices) {
  const std::vector<DeviceFacts> clones = {Device("/dev/sdb1", "ext4", "u1"),
                                           Device("/dev/sda1", "ext4", "u1")};
  EXPECT_EQ(Resolved("UUID=u1", clones),
            "error 22: UUID=u1: several devices match: /dev/sda1, /dev/sdb1");
  const std::vector<DeviceFacts> raid1 = {Device("/dev/sdb2", "btrfs", "u2"),
                                          Device("/dev/sda2", "btrfs", "u2")};
  EXPECT_EQ(Resolved("UUID=u2", raid1), "/dev/sda2");
}

TEST(ResolveFstabSpecTest, SpecsThatNameNoBlockDeviceAreRefused) {
  for (const char* spec : {"tmpfs", "server:/export", "//server/share", "", "UUIDX=1"}) {
    const OpResult<const DeviceFacts*> d = ResolveFstabSpec(spec, SampleDevices());
    ASSERT_FALSE(d.ok()) << spec;
    EXPECT_EQ(d.error().err, EINVAL) << spec;
  }
}

TEST(MountPointTest, NormalizesAndRefusesEscapes) {
  EXPECT_EQ(NormalizeMountPoint("/"), "/");
  EXPECT_EQ(NormalizeMountPoint("//boot//efi/./"), "/boot/efi");
  EXPECT_EQ(NormalizeMountPoint("/./"), "/");
  EXPECT_EQ(NormalizeMountPoint("/mnt/a..b"), "/mnt/a..b");
  for (const std::string& bad :
       {std::string("boot"), std::string(""), std::string("none"), std::string("/a/../etc"),
        std::string("/.."), std::string("/a\0b", 4), std::string(5000, '/')}) {
    EXPECT_EQ(NormalizeMountPoint(bad), std::nullopt) << bad;
  }
  EXPECT_TRUE(IsAtOrBelow("/boot/efi", "/boot"));
  EXPECT_TRUE(IsAtOrBelow("/boot", "/boot"));
  EXPECT_TRUE(IsAtOrBelow("/anything", "/"));
  EXPECT_FALSE(IsAtOrBelow("/bootx", "/boot"));
  EXPECT_FALSE(IsAtOrBelow("/boo", "/boot"));
}

OsMountPlan Plan(std::string_view fstab, const std::vector<DeviceFacts>& devices,
                 const OsRoot& root) {
  const ParsedFstab parsed = ParseFstab(fstab);
  EXPECT_THAT(parsed.warnings, ElementsAre());
  return PlanOsMounts(parsed.entries, devices, root, kMountable);
}

std::vector<std::string> Described(const OsMountPlan& plan) {
  std::vector<std::string> lines;
  for (const PlannedMount& m : plan.mounts) lines.push_back(DescribeMount(m));
  return lines;
}

std::vector<std::string> DescribedSkips(const OsMountPlan& plan) {
  std::vector<std::string> lines;
  for (const SkippedMount& s : plan.skipped) {
    lines.push_back(std::string(SkipKindName(s.kind)) + " | " + DescribeSkipped(s));
  }
  return lines;
}

TEST(PlanOsMountsTest, UbuntuOnBtrfsWithSubvolumesEfiSwapAndTmpfs) {
  const std::vector<DeviceFacts> devices = {Device("/dev/sda1", "vfat", "AB12-CD34"),
                                            Device("/dev/sda2", "btrfs", "b7")};
  const OsMountPlan plan = Plan(
      "UUID=b7 /               btrfs   defaults,subvol=@ 0       1\n"
      "UUID=AB12-CD34  /boot/efi       vfat    umask=0077      0       1\n"
      "UUID=b7 /home           btrfs   defaults,subvol=@home,compress=zstd 0       2\n"
      "/swapfile                                 none            swap    sw              0       "
      "0\n"
      "tmpfs /tmp tmpfs defaults,nosuid 0 0\n",
      devices, OsRoot{"/dev/sda2", "btrfs", "@"});
  EXPECT_THAT(Described(plan), ElementsAre("/dev/sda2 on / type btrfs (subvol=@)",
                                           "/dev/sda2 on /home type btrfs (subvol=@home)",
                                           "/dev/sda1 on /boot/efi type vfat"));
  EXPECT_EQ(plan.mounts[0].spec, "UUID=b7");
  EXPECT_EQ(plan.mounts[0].line, 1);
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("swap | line 4: /swapfile on none: swap space",
                          "pseudo | line 5: tmpfs on /tmp: pseudo filesystem"));
}

TEST(PlanOsMountsTest, ParentsComeBeforeChildrenWhateverTheFstabOrder) {
  const std::vector<DeviceFacts> devices = {
      Device("/dev/sda1", "ext4", "root"), Device("/dev/sda2", "vfat", "efi"),
      Device("/dev/sda3", "ext4", "boot"), Device("/dev/sda4", "xfs", "var"),
      Device("/dev/sda5", "xfs", "log")};
  const OsMountPlan plan = Plan(
      "UUID=log /var/log xfs defaults\n"
      "UUID=efi /boot/efi vfat defaults\n"
      "UUID=var /var xfs defaults\n"
      "UUID=boot /boot ext4 defaults\n",
      devices, OsRoot{"/dev/sda1", "ext4", ""});
  EXPECT_THAT(plan.mounts, ElementsAre(Field(&PlannedMount::mount_point, "/"),
                                       Field(&PlannedMount::mount_point, "/var"),
                                       Field(&PlannedMount::mount_point, "/boot"),
                                       Field(&PlannedMount::mount_point, "/var/log"),
                                       Field(&PlannedMount::mount_point, "/boot/efi")));
  // fstab names no "/": the root is described by its device.
  EXPECT_EQ(plan.mounts[0], (PlannedMount{"/dev/sda1", "/", "/dev/sda1", "ext4", "", 0}));
  EXPECT_TRUE(plan.skipped.empty());
}

TEST(PlanOsMountsTest, EveryKindOfLineThatIsNotADiskIsSkippedWithItsReason) {
  const OsMountPlan plan = Plan(
      "proc /proc proc defaults 0 0\n"
      "sysfs /sys sysfs defaults\n"
      "devpts /dev/pts devpts gid=5,mode=620\n"
      "server:/export /mnt/nfs nfs4 defaults\n"
      "//nas/share /mnt/smb cifs credentials=/etc/c\n"
      "user@host:/x /mnt/ssh fuse.sshfs defaults\n"
      "gluster:/vol /mnt/g glusterfs defaults\n"
      "/dev/sdb1 /mnt/iscsi ext4 _netdev\n"
      "/dev/sdb1 /mnt/usb ext4 noauto,user\n"
      "/srv/data /export/data none bind\n"
      "/dev/sdb1 /mnt/loop ext4 loop\n"
      "mergerfs#/a:/b /pool fuse.mergerfs defaults\n"
      "/dev/sdb1 relative/dir ext4 defaults\n"
      "/dev/sdb1 /mnt/../etc ext4 defaults\n",
      SampleDevices(), OsRoot{"/dev/sda2", "ext4", ""});
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("pseudo | line 1: proc on /proc: pseudo filesystem",
                          "pseudo | line 2: sysfs on /sys: pseudo filesystem",
                          "pseudo | line 3: devpts on /dev/pts: pseudo filesystem",
                          "network | line 4: server:/export on /mnt/nfs: network filesystem",
                          "network | line 5: //nas/share on /mnt/smb: network filesystem",
                          "network | line 6: user@host:/x on /mnt/ssh: network filesystem",
                          "network | line 7: gluster:/vol on /mnt/g: network filesystem",
                          "network | line 8: /dev/sdb1 on /mnt/iscsi: needs the network "
                          "(_netdev)",
                          "noauto | line 9: /dev/sdb1 on /mnt/usb: noauto: not mounted at boot",
                          "pseudo | line 10: /srv/data on /export/data: bind mount",
                          "pseudo | line 11: /dev/sdb1 on /mnt/loop: loop device over a file",
                          "pseudo | line 12: mergerfs#/a:/b on /pool: FUSE filesystem (needs "
                          "its program running)",
                          "bad mount point | line 13: /dev/sdb1 on relative/dir: mount point "
                          "is not an absolute path without \"..\"",
                          "bad mount point | line 14: /dev/sdb1 on /mnt/../etc: mount point "
                          "is not an absolute path without \"..\""));
  EXPECT_EQ(plan.mounts.size(), 1u);
}

TEST(PlanOsMountsTest, DevicesNotFoundOrNotMountableAreNamedWithTheirLine) {
  const OsMountPlan plan = Plan(
      "UUID=dead /data ext4 defaults\n"
      "/dev/sda3 /secret ext4 defaults\n"
      "LABEL=nothing /x auto defaults\n"
      "/dev/nvme0n1p3 /y xfs defaults\n"
      "UUID=AB12-CD34 /boot/efi auto defaults\n",
      SampleDevices(), OsRoot{"/dev/sda2", "ext4", ""});
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("not found | line 1: UUID=dead on /data: no such device",
                          "not mountable | line 2: /dev/sda3 on /secret: /dev/sda3 holds "
                          "crypto_LUKS, which the appliance does not mount",
                          "not found | line 3: LABEL=nothing on /x: no such device",
                          "not found | line 4: /dev/nvme0n1p3 on /y: no such device"));
  // "auto": the type found on the device.
  EXPECT_THAT(Described(plan),
              ElementsAre("/dev/sda2 on / type ext4", "/dev/sda1 on /boot/efi type vfat"));
}

TEST(PlanOsMountsTest, TheTypeIsTheOneFoundOnTheDeviceNotFstabs) {
  std::vector<DeviceFacts> devices = SampleDevices();
  devices.push_back(Device("/dev/sdc1", "", "nofs"));
  const OsMountPlan plan = Plan(
      "/dev/sdb1 /a xfs defaults\n"
      "UUID=nofs /b ext4 defaults\n",
      devices, OsRoot{"/dev/sda2", "ext4", ""});
  EXPECT_THAT(Described(plan),
              ElementsAre("/dev/sda2 on / type ext4", "/dev/sdb1 on /a type ext4"));
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("not mountable | line 2: UUID=nofs on /b: no filesystem found on "
                          "/dev/sdc1"));
}

TEST(PlanOsMountsTest, OnlyACheckedBtrfsSubvolumeReachesTheMountData) {
  const std::vector<DeviceFacts> devices = {Device("/dev/sda1", "ext4", "e"),
                                            Device("/dev/sda2", "btrfs", "b")};
  const OsMountPlan plan = Plan(
      "UUID=e /ext ext4 ro,dev=/dev/sdb,subvol=@x,data=journal,context=\"a,b\"\n"
      "UUID=b /ok btrfs subvolid=257,ssd,device=/dev/sdb\n"
      "UUID=b /quoted btrfs subvol=\"@,device=/dev/sdb\"\n"
      "UUID=b /spaced btrfs subvol=@my\\040vol\n"
      "UUID=b /quoted/child btrfs subvol=@child\n",
      devices, OsRoot{"/dev/sda1", "ext4", ""});
  ASSERT_EQ(plan.mounts.size(), 3u);
  EXPECT_EQ(plan.mounts[1].data, "");  // ext4: every option is ours
  EXPECT_EQ(plan.mounts[2].data, "subvolid=257");
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("unsafe option | line 3: UUID=b on /quoted: unsafe option value "
                          "refused: subvol=\"@,device=/dev/sdb\"",
                          "unsafe option | line 4: UUID=b on /spaced: unsafe option value "
                          "refused: subvol=@my vol",
                          "parent not mounted | line 5: UUID=b on /quoted/child: below "
                          "/quoted (line 3), which is not mounted"));
}

TEST(PlanOsMountsTest, TheFirstMountableLineForAMountPointWins) {
  const OsMountPlan plan = Plan(
      "UUID=4f1c0000-aaaa-bbbb-cccc-000000000001 / ext4 defaults\n"
      "/dev/sdb1 / ext4 defaults\n"
      "UUID=missing /data ext4 defaults\n"
      "/dev/sdb1 /data ext4 defaults\n"
      "/dev/sda1 /data/ vfat defaults\n"
      "/dev/md127 /data/sub ext4 defaults\n",
      SampleDevices(), OsRoot{"/dev/sda2", "ext4", ""});
  EXPECT_THAT(Described(plan),
              ElementsAre("/dev/sda2 on / type ext4", "/dev/sdb1 on /data type ext4",
                          "/dev/md127 on /data/sub type ext4"));
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("duplicate | line 2: /dev/sdb1 on /: / is already the root (line 1)",
                          "not found | line 3: UUID=missing on /data: no such device",
                          "duplicate | line 5: /dev/sda1 on /data/: mount point already used "
                          "by line 4"));
}

TEST(PlanOsMountsTest, ARootLineNamingAnotherDeviceSaysWhichRootWasFound) {
  const OsMountPlan plan = Plan(
      "/dev/sdb1 / ext4 defaults\n"
      "UUID=gone / ext4 defaults\n",
      SampleDevices(), OsRoot{"/dev/sda2", "ext4", ""});
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("root elsewhere | line 1: /dev/sdb1 on /: the root found is "
                          "/dev/sda2, not /dev/sdb1",
                          "root elsewhere | line 2: UUID=gone on /: the root found is "
                          "/dev/sda2 (no such device)"));
  EXPECT_EQ(plan.mounts.size(), 1u);
}

TEST(PlanOsMountsTest, BelowAnUnmountedDiskNothingIsMountedButPseudoParentsDoNotCount) {
  const OsMountPlan plan = Plan(
      "UUID=gone /srv ext4 defaults\n"
      "/dev/sdb1 /srv/a/b ext4 defaults\n"
      "/dev/sda1 /srv/a/b/c vfat defaults\n"
      "tmpfs /run/x tmpfs defaults\n"
      "/dev/md127 /run/x/y ext4 defaults\n",
      SampleDevices(), OsRoot{"/dev/sda2", "ext4", ""});
  EXPECT_THAT(Described(plan),
              ElementsAre("/dev/sda2 on / type ext4", "/dev/md127 on /run/x/y type ext4"));
  EXPECT_THAT(DescribedSkips(plan),
              ElementsAre("not found | line 1: UUID=gone on /srv: no such device",
                          "parent not mounted | line 2: /dev/sdb1 on /srv/a/b: below /srv "
                          "(line 1), which is not mounted",
                          "parent not mounted | line 3: /dev/sda1 on /srv/a/b/c: below "
                          "/srv/a/b (line 2), which is not mounted",
                          "pseudo | line 4: tmpfs on /run/x: pseudo filesystem"));
}

TEST(PlanOsMountsTest, TenThousandLinesPlanAtMostTheLimit) {
  std::vector<FstabEntry> entries;
  for (int i = 0; i < 10000; ++i) {
    entries.push_back(FstabEntry{"/dev/sdb1", "/m/" + std::to_string(i), "ext4", {}, i + 1});
  }
  for (int i = 0; i < 10000; ++i) {
    entries.push_back(FstabEntry{"/dev/sdb1", "/same", "ext4", {}, 10001 + i});
  }
  const OsMountPlan plan =
      PlanOsMounts(entries, SampleDevices(), OsRoot{"/dev/sda2", "ext4", ""}, kMountable);
  ASSERT_EQ(plan.mounts.size(), kMaxOsMounts + 1);
  EXPECT_EQ(plan.mounts[1].mount_point, "/same");  // depth 1 before depth 2
  ASSERT_EQ(plan.skipped.size(), 20000 - kMaxOsMounts);
  EXPECT_EQ(DescribeSkipped(plan.skipped.front()),
            "line " + std::to_string(kMaxOsMounts) + ": /dev/sdb1 on /m/" +
                std::to_string(kMaxOsMounts - 1) + ": more than 128 mounts besides the root");
  EXPECT_EQ(plan.skipped.back().kind, SkipKind::kDuplicate);
}

TEST(FactsFromFilesystemTest, KeepsTheProbeAndTheGuestName) {
  const DeviceFacts facts =
      FactsFromFilesystem(FilesystemData{"/dev/sdb2", FsProbe{"ext4", "data", "u-1"}, 1024});
  EXPECT_EQ(facts, (DeviceFacts{"/dev/sdb2", "ext4", "u-1", "data", "", "", {"/dev/vdb2"}}));
}

}  // namespace
}  // namespace diskferry::daemon
