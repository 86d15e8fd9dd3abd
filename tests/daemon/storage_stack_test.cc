// The storage stack over a scratch sysfs tree, canned blkid probes and a fake tool runner:
// which tools run with which arguments, when they run again, how md arrays, LVs and LUKS
// mappings are named, and how tool failures and keys are handled.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>

#include "daemon/storage_stack.h"
#include "tests/daemon/fake_sysfs.h"

namespace diskferry::daemon {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kVgUuid(32, 'a');
const std::string kLvUuid(32, 'b');
const std::string kLvmUuid = "LVM-" + kVgUuid + kLvUuid;
constexpr char kLuksUuid[] = "0b7f7a1e-5c2d-4c1e-9a53-1f0d2c3b4a59";

void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

struct ToolCall {
  std::vector<std::string> argv;
  std::string stdin_bytes;
};

class StorageStackTest : public testing::FakeSysfsFixture {
 protected:
  // A device of 1 MiB with `type` found by blkid (empty: none). A name with a digit after
  // "vd" letters is a partition of the disk before it.
  void AddDevice(const std::string& name, const std::string& type,
                 const std::string& parent = "") {
    const std::string dir =
        parent.empty() ? sys_block_ + "/" + name : sys_block_ + "/" + parent + "/" + name;
    WriteText(dir + "/size", "2048\n");
    if (!parent.empty()) WriteText(dir + "/partition", "1\n");
    std::filesystem::create_directories(dir + "/holders");
    WriteText(dev_ + "/" + name, "");
    probes_[dev_ + "/" + name] = FsProbe{type, "", type == "crypto_LUKS" ? kLuksUuid : "", ""};
  }
  void AddDm(const std::string& kname, const std::string& dm_name, const std::string& uuid,
             const std::string& type) {
    AddDevice(kname, type);
    WriteText(sys_block_ + "/" + kname + "/dm/name", dm_name + "\n");
    WriteText(sys_block_ + "/" + kname + "/dm/uuid", uuid + "\n");
  }
  void AddHolder(const std::string& device_dir, const std::string& holder) {
    std::filesystem::create_directories(sys_block_ + "/" + device_dir + "/holders/" + holder);
  }
  void SetLuksVersion(const std::string& name, const std::string& version) {
    probes_[dev_ + "/" + name].version = version;
  }

  // Canned outcome for the tool call whose argv[1] is `verb` ("pvs", "vgchange", ...).
  void Answer(const std::string& verb, int exit_code, const std::string& out,
              const std::string& err = "") {
    answers_[verb] = ToolOutcome{exit_code, false, out, err};
  }

  StorageSystem System() {
    StorageSystem system;
    system.sys_block_dir = sys_block_;
    system.dev_dir = dev_;
    system.block_devices_only = false;
    system.probe = [this](const std::string& path) -> OpResult<FsProbe> {
      const auto it = probes_.find(path);
      if (it == probes_.end()) return OpError{ENOENT, path};
      return it->second;
    };
    system.run_tool = [this](const std::vector<std::string>& argv, std::string_view in,
                             std::chrono::milliseconds) -> OpResult<ToolOutcome> {
      calls_.push_back({argv, std::string(in)});
      const auto it = answers_.find(argv.size() > 1 ? argv[1] : "");
      return it == answers_.end() ? ToolOutcome{0, false, "", ""} : it->second;
    };
    system.tool_path = [](std::string_view name) -> OpResult<std::string> {
      return "/usr/sbin/" + std::string(name);
    };
    return system;
  }

  StorageModuleLoader& Modules() {
    if (!modules_) {
      StorageModuleTable table;
      for (const char* group : {"dm", "crypt", "thin", "snapshot", "mirror", "raid"}) {
        table[group] = {"/lib/modules/x/" + std::string(group) + ".ko"};
      }
      modules_.emplace(table, [this](const std::vector<std::string>& paths) {
        loaded_.insert(loaded_.end(), paths.begin(), paths.end());
        return std::vector<OpError>();
      });
    }
    return *modules_;
  }

  std::vector<std::vector<std::string>> Argvs() const {
    std::vector<std::vector<std::string>> argvs;
    for (const ToolCall& call : calls_) argvs.push_back(call.argv);
    return argvs;
  }

  const ListedDevice* Find(const StorageListing& listing, const std::string& device) {
    for (const ListedDevice& d : listing.filesystems) {
      if (d.device == device) return &d;
    }
    return nullptr;
  }

  std::map<std::string, FsProbe> probes_;
  std::map<std::string, ToolOutcome> answers_;
  std::vector<ToolCall> calls_;
  std::vector<std::string> loaded_;
  std::optional<StorageModuleLoader> modules_;
};

TEST(LvmDmNameTest, DoubledDashesAreDashesInsideNames) {
  EXPECT_EQ(SplitLvmDmName("vg0-root"), std::make_pair(std::string("vg0"), std::string("root")));
  EXPECT_EQ(SplitLvmDmName("vg--data-root--fs"),
            std::make_pair(std::string("vg-data"), std::string("root-fs")));
  EXPECT_EQ(SplitLvmDmName("a---b"), std::make_pair(std::string("a-"), std::string("b")));
  EXPECT_EQ(SplitLvmDmName("novg"), std::nullopt);
  EXPECT_EQ(SplitLvmDmName("-lv"), std::nullopt);
  EXPECT_EQ(LvmDmName("vg-data", "root-fs"), "vg--data-root--fs");
}

TEST_F(StorageStackTest, DisksWithoutMembersRunNoToolAndLoadNoModule) {
  AddDevice("vda", "");
  AddDevice("vda1", "ext4", "vda");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(/*activate=*/true, /*read_write=*/false);
  EXPECT_THAT(calls_, IsEmpty());
  EXPECT_THAT(loaded_, IsEmpty());
  ASSERT_EQ(listing.filesystems.size(), 1u);
  EXPECT_EQ(listing.filesystems[0].device, "/dev/sda1");
  EXPECT_THAT(listing.filesystems[0].aliases, IsEmpty());
  EXPECT_THAT(listing.problems, IsEmpty());
}

TEST_F(StorageStackTest, WithoutActivateMembersAreListedAndNothingRuns) {
  AddDevice("vda", "LVM2_member");
  AddDevice("vdb", "linux_raid_member");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(/*activate=*/false, false);
  EXPECT_THAT(calls_, IsEmpty());
  ASSERT_NE(Find(listing, "/dev/sda"), nullptr);
  EXPECT_EQ(Find(listing, "/dev/sda")->note, "LVM physical volume");
  EXPECT_EQ(Find(listing, "/dev/sdb")->note, "member of a RAID array that is not assembled");
}

TEST_F(StorageStackTest, RaidMembersAreAssembledReadOnlyWithDegradedArraysStarted) {
  AddDevice("vda", "linux_raid_member");
  AddDevice("vdb", "linux_raid_member");
  StorageStack stack(System(), &Modules());
  (void)stack.List(true, /*read_write=*/false);
  EXPECT_THAT(Argvs(), ElementsAre(ElementsAre("/usr/sbin/mdadm", "--assemble", "--scan",
                                               "--run", "--readonly")));
  EXPECT_THAT(loaded_, ElementsAre("/lib/modules/x/raid.ko"));
}

TEST_F(StorageStackTest, RaidMembersAreAssembledReadWriteWhenAsked) {
  AddDevice("vda", "linux_raid_member");
  StorageStack stack(System(), &Modules());
  (void)stack.List(true, /*read_write=*/true);
  EXPECT_THAT(Argvs(),
              ElementsAre(ElementsAre("/usr/sbin/mdadm", "--assemble", "--scan", "--run")));
}

TEST_F(StorageStackTest, AnArrayIsListedWithItsLevelAndDiskCountAndMembersNameIt) {
  AddDevice("vda", "linux_raid_member");
  AddDevice("vdb", "");
  AddHolder("vda", "md0");
  AddDevice("md0", "ext4");
  WriteText(sys_block_ + "/md0/md/level", "raid1\n");
  WriteText(sys_block_ + "/md0/md/raid_disks", "2\n");
  WriteText(sys_block_ + "/md0/md/degraded", "1\n");
  AddDevice("md1", "xfs");
  WriteText(sys_block_ + "/md1/md/level", "raid5\n");
  WriteText(sys_block_ + "/md1/md/raid_disks", "3\n");
  WriteText(sys_block_ + "/md1/md/degraded", "0\n");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(true, false);
  ASSERT_NE(Find(listing, "/dev/md0"), nullptr);
  EXPECT_EQ(Find(listing, "/dev/md0")->note, "RAID1, degraded: 1 of 2 disks");
  EXPECT_EQ(Find(listing, "/dev/md1")->note, "RAID5, 3 of 3 disks");
  EXPECT_EQ(Find(listing, "/dev/sda")->note, "member of RAID array /dev/md0");
}

TEST_F(StorageStackTest, VolumeGroupsAreActivatedReadOnlyAndTheirPvsNameThem) {
  AddDevice("vda", "");
  AddDevice("vda2", "LVM2_member", "vda");
  Answer("pvs", 0, "  /dev/vda2|vg0|1|0\n");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(true, /*read_write=*/false);
  const std::string ro = "global{metadata_read_only=1}";
  EXPECT_THAT(
      Argvs(),
      ElementsAre(
          ElementsAre("/usr/sbin/lvm", "pvs", "--noheadings", "--nosuffix", "--separator", "|",
                      "-o", "pv_name,vg_name,pv_count,vg_missing_pv_count", "--config", ro),
          ElementsAre("/usr/sbin/lvm", "vgchange", "--activate", "y", "--sysinit", "--config",
                      ro + " activation{read_only_volume_list=[\"vg0\"]}", "vg0"),
          ElementsAre("/usr/sbin/lvm", "lvs", "--noheadings", "--separator", "|", "-o",
                      "vg_name,lv_name,lv_attr", "--config", ro)));
  EXPECT_THAT(loaded_, Contains("/lib/modules/x/dm.ko"));
  EXPECT_THAT(loaded_, Contains("/lib/modules/x/thin.ko"));
  ASSERT_NE(Find(listing, "/dev/sda2"), nullptr);
  EXPECT_EQ(Find(listing, "/dev/sda2")->note, "LVM physical volume of VG vg0");
  EXPECT_THAT(listing.problems, IsEmpty());
}

TEST_F(StorageStackTest, VolumeGroupsAreActivatedReadWriteWithoutReadOnlyConfig) {
  AddDevice("vda", "LVM2_member");
  AddDevice("vdb", "LVM2_member");
  Answer("pvs", 0, "/dev/vda|vg0|1|0\n/dev/vdb|vg-b|1|0\n");
  StorageStack stack(System(), &Modules());
  (void)stack.List(true, /*read_write=*/true);
  ASSERT_EQ(calls_.size(), 3u);
  EXPECT_THAT(calls_[0].argv, Not(Contains("--config")));
  EXPECT_THAT(calls_[1].argv, ElementsAre("/usr/sbin/lvm", "vgchange", "--activate", "y",
                                          "--sysinit", "vg-b", "vg0"));
}

TEST_F(StorageStackTest, AnIncompleteVolumeGroupIsAProblemAndIsNotActivated) {
  AddDevice("vda", "LVM2_member");
  AddDevice("vdb", "LVM2_member");
  Answer("pvs", 0,
         "/dev/vda|vgspan|2|1\n[unknown]|vgspan|2|1\n/dev/vdb|vg0|1|0\n",
         "  WARNING: Couldn't find device with uuid abc.\n");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(true, false);
  EXPECT_THAT(listing.problems,
              ElementsAre("VG vgspan is incomplete: 1 of 2 physical volumes missing; attach "
                          "every disk of the machine"));
  ASSERT_EQ(calls_.size(), 3u);
  EXPECT_THAT(calls_[1].argv, Contains("vg0"));
  EXPECT_THAT(calls_[1].argv, Not(Contains("vgspan")));
  EXPECT_EQ(Find(listing, "/dev/sda")->note, "LVM physical volume of VG vgspan");
}

TEST_F(StorageStackTest, AFailingToolIsAProblemLineAndTheListingGoesOn) {
  AddDevice("vda", "linux_raid_member");
  AddDevice("vdb", "ext4");
  Answer("--assemble", 1, "", "mdadm: /dev/md0 assembled from 0 drives - not enough to start\n");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(true, false);
  EXPECT_THAT(listing.problems,
              ElementsAre("mdadm --assemble: mdadm: /dev/md0 assembled from 0 drives - not "
                          "enough to start"));
  EXPECT_NE(Find(listing, "/dev/sdb"), nullptr);
  // Problems stay listed until the step runs again.
  EXPECT_EQ(stack.List(true, false).problems, listing.problems);
}

TEST_F(StorageStackTest, ActivationRunsAgainOnlyWhenNewMembersAppear) {
  AddDevice("vda", "LVM2_member");
  Answer("pvs", 0, "/dev/vda|vg0|1|0\n");
  StorageStack stack(System(), &Modules());
  (void)stack.List(true, false);
  (void)stack.List(true, false);
  EXPECT_EQ(calls_.size(), 3u);
  // LVM inside a LUKS container opened since.
  AddDm("dm-0", "luks-x", "CRYPT-LUKS2-abc-luks-x", "LVM2_member");
  (void)stack.List(true, false);
  EXPECT_EQ(calls_.size(), 6u);
}

TEST_F(StorageStackTest, LvmOnAnArrayIsActivatedAfterTheArrayIsAssembled) {
  AddDevice("vda", "linux_raid_member");
  AddDevice("vdb", "linux_raid_member");
  answers_["--assemble"] = ToolOutcome{0, false, "", ""};
  StorageSystem system = System();
  auto run = system.run_tool;
  system.run_tool = [&, run](const std::vector<std::string>& argv, std::string_view in,
                             std::chrono::milliseconds t) {
    if (argv[1] == "--assemble") AddDevice("md127", "LVM2_member");
    return run(argv, in, t);
  };
  Answer("pvs", 0, "/dev/md127|vg0|1|0\n");
  StorageStack stack(std::move(system), &Modules());
  (void)stack.List(true, false);
  ASSERT_EQ(calls_.size(), 4u);
  EXPECT_EQ(calls_[0].argv[1], "--assemble");
  EXPECT_EQ(calls_[2].argv[1], "vgchange");
}

TEST_F(StorageStackTest, LogicalVolumesAreNamedVgLvWithMapperAndDmAliases) {
  AddDm("dm-0", "vg--data-root--fs", kLvmUuid, "ext4");
  Answer("lvs", 0, "vg-data|root-fs|-wi-a-----\n");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(false, false);
  ASSERT_EQ(listing.filesystems.size(), 1u);
  EXPECT_EQ(listing.filesystems[0].device, "/dev/vg-data/root-fs");
  EXPECT_THAT(listing.filesystems[0].aliases,
              ElementsAre("/dev/mapper/vg--data-root--fs", "/dev/dm-0"));
}

TEST_F(StorageStackTest, LvmInternalLayersAndThinPoolsAreHidden) {
  AddDevice("vda", "LVM2_member");
  AddDm("dm-0", "vg0-pool_tmeta", "LVM-" + kVgUuid + std::string(32, 'c'), "ext4");
  AddDm("dm-1", "vg0-pool_tdata", "LVM-" + kVgUuid + std::string(32, 'd'), "ext4");
  AddDm("dm-2", "vg0-pool-tpool", "LVM-" + kVgUuid + std::string(32, 'e') + "-tpool", "ext4");
  AddDm("dm-3", "vg0-pool", "LVM-" + kVgUuid + std::string(32, 'e') + "-pool", "ext4");
  AddDm("dm-4", "vg0-thin1", "LVM-" + kVgUuid + std::string(32, 'f'), "ext4");
  AddDm("dm-5", "vg0-home-real", "LVM-" + kVgUuid + std::string(32, '1') + "-real", "ext4");
  AddDm("dm-6", "vg0-home", "LVM-" + kVgUuid + std::string(32, '1'), "ext4");
  AddDm("dm-7", "vg0-r_rimage_0", "LVM-" + kVgUuid + std::string(32, '2'), "ext4");
  // A pool listed by a name with no layer suffix: lvs says it is a thin pool.
  AddDm("dm-8", "vg0-pool2", "LVM-" + kVgUuid + std::string(32, '3'), "ext4");
  Answer("pvs", 0, "/dev/vda|vg0|1|0\n");
  Answer("lvs", 0, "vg0|pool|twi-aotz--\nvg0|pool2|twi-aotz--\nvg0|thin1|Vwi-a-tz--\n"
                   "vg0|home|owi-a-s---\nvg0|r|rwi-a-r---\n");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(true, false);
  std::vector<std::string> devices;
  for (const ListedDevice& d : listing.filesystems) devices.push_back(d.device);
  EXPECT_THAT(devices, ElementsAre("/dev/vg0/thin1", "/dev/vg0/home", "/dev/sda"));
}

TEST_F(StorageStackTest, WithoutLvsHiddenLayersAreKnownByNameAndUuid) {
  AddDm("dm-0", "vg0-pool_tdata", "LVM-" + kVgUuid + std::string(32, 'd'), "ext4");
  AddDm("dm-1", "vg0-lv-cow", kLvmUuid + "-cow", "ext4");
  AddDm("dm-2", "vg0-lv", kLvmUuid, "ext4");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(false, false);
  ASSERT_EQ(listing.filesystems.size(), 1u);
  EXPECT_EQ(listing.filesystems[0].device, "/dev/vg0/lv");
}

TEST_F(StorageStackTest, AnOpenedLuksContainerIsListedUnderMapperAndItsContainerSaysSo) {
  AddDevice("vda", "crypto_LUKS");
  SetLuksVersion("vda", "2");
  AddDevice("vdb", "crypto_LUKS");
  SetLuksVersion("vdb", "1");
  const std::string name = std::string("luks-") + kLuksUuid;
  AddDm("dm-0", name, "CRYPT-LUKS2-0b7f7a1e5c2d4c1e9a531f0d2c3b4a59-" + name, "ext4");
  AddHolder("vda", "dm-0");
  StorageStack stack(System(), &Modules());
  const StorageListing listing = stack.List(true, false);
  EXPECT_THAT(calls_, IsEmpty());
  const ListedDevice* opened = Find(listing, "/dev/mapper/" + name);
  ASSERT_NE(opened, nullptr);
  EXPECT_THAT(opened->aliases, ElementsAre("/dev/dm-0"));
  EXPECT_EQ(Find(listing, "/dev/sda")->note, "LUKS2 container, open as /dev/mapper/" + name);
  EXPECT_EQ(Find(listing, "/dev/sdb")->note, "LUKS1 container: give its key with --key-file");
}

TEST_F(StorageStackTest, UnlockFeedsTheKeyOnStdinAndNeverInArgv) {
  AddDevice("vda", "");
  AddDevice("vda2", "crypto_LUKS", "vda");
  const std::string key = "correct horse battery staple";
  StorageStack stack(System(), &Modules());
  OpResult<std::string> opened = stack.Unlock(
      "/dev/sda2", {reinterpret_cast<const uint8_t*>(key.data()), key.size()}, false);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value(), std::string("/dev/mapper/luks-") + kLuksUuid);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_THAT(calls_[0].argv,
              ElementsAre("/usr/sbin/cryptsetup", "open", "--type", "luks", "--key-file=-",
                          "--readonly", dev_ + "/vda2", std::string("luks-") + kLuksUuid));
  EXPECT_EQ(calls_[0].stdin_bytes, key);
  for (const std::string& arg : calls_[0].argv) {
    EXPECT_EQ(arg.find("horse"), std::string::npos) << arg;
  }
  EXPECT_THAT(loaded_, ElementsAre("/lib/modules/x/dm.ko", "/lib/modules/x/crypt.ko"));
}

TEST_F(StorageStackTest, UnlockReadWriteLeavesOutReadonly) {
  AddDevice("vdb", "crypto_LUKS");
  StorageStack stack(System(), &Modules());
  const uint8_t key[] = {'k', '\n', 0, 'x'};
  ASSERT_TRUE(stack.Unlock("/dev/vdb", key, /*read_write=*/true).ok());
  EXPECT_THAT(calls_[0].argv, Not(Contains("--readonly")));
  EXPECT_EQ(calls_[0].stdin_bytes, std::string("k\n\0x", 4));
}

TEST_F(StorageStackTest, UnlockWithAWrongKeyIsKeyRejectedNamingTheDevice) {
  AddDevice("vdb", "crypto_LUKS");
  Answer("open", 2, "", "No key available with this passphrase.\n");
  StorageStack stack(System(), &Modules());
  const uint8_t key[] = {'n', 'o'};
  OpResult<std::string> opened = stack.Unlock("/dev/sdb", key, false);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().err, EKEYREJECTED);
  EXPECT_EQ(opened.error().message, "/dev/sdb: no key slot opens with this key");
}

TEST_F(StorageStackTest, UnlockOfADeviceThatIsNotLuksIsInvalid) {
  AddDevice("vdb", "ext4");
  StorageStack stack(System(), &Modules());
  const uint8_t key[] = {'k'};
  OpResult<std::string> opened = stack.Unlock("/dev/sdb", key, false);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().err, EINVAL);
  EXPECT_EQ(opened.error().message, "/dev/sdb: not a LUKS container (blkid finds ext4)");
  EXPECT_THAT(calls_, IsEmpty());
}

TEST_F(StorageStackTest, UnlockOfAnOpenContainerReturnsItsNameWithoutRunningCryptsetup) {
  AddDevice("vdb", "crypto_LUKS");
  const std::string name = std::string("luks-") + kLuksUuid;
  AddDm("dm-0", name, "CRYPT-LUKS2-x-" + name, "ext4");
  StorageStack stack(System(), &Modules());
  const uint8_t key[] = {'k'};
  OpResult<std::string> opened = stack.Unlock("/dev/sdb", key, false);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value(), "/dev/mapper/" + name);
  EXPECT_THAT(calls_, IsEmpty());
}

TEST_F(StorageStackTest, UnlockAcceptsAnLvByItsName) {
  AddDm("dm-0", "vg0-secret", kLvmUuid, "crypto_LUKS");
  probes_[dev_ + "/dm-0"].uuid = kLuksUuid;
  StorageStack stack(System(), &Modules());
  const uint8_t key[] = {'k'};
  ASSERT_TRUE(stack.Unlock("/dev/vg0/secret", key, false).ok());
  EXPECT_EQ(calls_[0].argv[6], dev_ + "/dm-0");
}

TEST_F(StorageStackTest, DeviceNamesResolveByMapperNameAndStayUnderDev) {
  AddDm("dm-3", "vg--a-lv", kLvmUuid, "ext4");
  AddDevice("vda", "ext4");
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/vg-a/lv", false).value(), dev_ + "/dm-3");
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/mapper/vg--a-lv", false).value(),
            dev_ + "/dm-3");
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/dm-3", false).value(), dev_ + "/dm-3");
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/sda", false).value(), dev_ + "/vda");
  std::filesystem::create_symlink("/etc/passwd", dev_ + "/escape");
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/escape", false).error().err, EINVAL);
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/../etc/passwd", false).error().err,
            EINVAL);
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/nothere", false).error().err, ENOENT);
  EXPECT_EQ(ResolveBlockDevice(sys_block_, dev_, "/dev/sda", true).error().err, ENOTBLK);
}

}  // namespace
}  // namespace diskferry::daemon
