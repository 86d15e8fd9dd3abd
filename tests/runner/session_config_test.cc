// SessionConfigOf: what a job's MachineSpec becomes for the appliance session, every
// manifest key of the disks accounted for.
#include "runner/session_config.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

HostPath Path(const std::string& p) { return HostPath{p, p}; }

DiskSpec Disk(const std::string& image, std::optional<ImageFormat> format,
              std::vector<HostPath> backing = {}) {
  DiskSpec disk;
  disk.image = Path(image);
  disk.format = format;
  disk.backing = std::move(backing);
  return disk;
}

Result<std::string> NeverProbe(const std::string& path) {
  ADD_FAILURE() << "probed " << path;
  return std::string("raw");
}

TEST(SessionConfigTest, EveryDiskInOrderWithItsFormatAndBackingFiles) {
  MachineSpec machine;
  machine.disks = {Disk("/i/root.qcow2", ImageFormat::kQcow2, {Path("/i/base.qcow2")}),
                   Disk("/i/data.img", ImageFormat::kRaw),
                   Disk("/i/logs.qcow2", ImageFormat::kQcow2, {Path("/i/logs-base.qcow2")})};
  std::vector<ProbedFormat> probed;
  auto config = SessionConfigOf(machine, false, NeverProbe, &probed);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->image, "/i/root.qcow2");
  EXPECT_EQ(config->format, "qcow2");
  ASSERT_EQ(config->backing.size(), 1u);
  EXPECT_EQ(config->backing[0].path, "/i/base.qcow2");
  ASSERT_EQ(config->extra_disks.size(), 2u);
  EXPECT_EQ(config->extra_disks[0].image, "/i/data.img");
  EXPECT_EQ(config->extra_disks[0].format, "raw");
  EXPECT_TRUE(config->extra_disks[0].backing.empty());
  EXPECT_EQ(config->extra_disks[1].format, "qcow2");
  ASSERT_EQ(config->extra_disks[1].backing.size(), 1u);
  EXPECT_EQ(config->extra_disks[1].backing[0].path, "/i/logs-base.qcow2");
  EXPECT_TRUE(probed.empty());
  EXPECT_FALSE(config->writable);
}

TEST(SessionConfigTest, KeysReplayAndWholeOsReachTheSession) {
  MachineSpec machine;
  machine.disks = {Disk("/i/a.img", ImageFormat::kRaw)};
  machine.filesystem.kind = FilesystemKind::kOs;
  machine.keys = {KeySpec{"/dev/sda2", Path("/k/root.key")}, KeySpec{"", Path("/k/any.key")}};
  machine.replay = false;
  std::vector<ProbedFormat> probed;
  auto config = SessionConfigOf(machine, true, NeverProbe, &probed);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->filesystem, kWholeOs);
  EXPECT_EQ(config->keys,
            (std::vector<KeyFileSpec>{{"/dev/sda2", "/k/root.key"}, {"", "/k/any.key"}}));
  EXPECT_FALSE(config->replay);
  EXPECT_TRUE(config->writable);
}

TEST(SessionConfigTest, FilesystemIsTheFsArgumentAndAutoIsEmpty) {
  MachineSpec machine;
  machine.disks = {Disk("/i/a.img", ImageFormat::kRaw)};
  std::vector<ProbedFormat> probed;
  EXPECT_EQ(SessionConfigOf(machine, false, NeverProbe, &probed)->filesystem, "");
  machine.filesystem = {FilesystemKind::kDevice, "/dev/sdb"};
  EXPECT_EQ(SessionConfigOf(machine, false, NeverProbe, &probed)->filesystem, "/dev/sdb");
  machine.filesystem = {FilesystemKind::kLabel, "root"};
  EXPECT_EQ(SessionConfigOf(machine, false, NeverProbe, &probed)->filesystem, "LABEL=root");
}

TEST(SessionConfigTest, DisksWithoutAFormatAreProbedAndReported) {
  MachineSpec machine;
  machine.disks = {Disk("/i/a", std::nullopt), Disk("/i/b", ImageFormat::kVmdk),
                   Disk("/i/c", std::nullopt)};
  auto probe = [](const std::string& path) -> Result<std::string> {
    return std::string(path == "/i/a" ? "qcow2" : "");
  };
  std::vector<ProbedFormat> probed;
  auto config = SessionConfigOf(machine, false, probe, &probed);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->format, "qcow2");
  EXPECT_EQ(config->extra_disks[0].format, "vmdk");
  EXPECT_EQ(config->extra_disks[1].format, "raw");  // no signature
  ASSERT_EQ(probed.size(), 2u);
  EXPECT_EQ(probed[0].image, "/i/a");
  EXPECT_EQ(probed[0].format, "qcow2");
  EXPECT_EQ(probed[1].image, "/i/c");
  EXPECT_EQ(probed[1].format, "raw");
}

TEST(SessionConfigTest, AProbeFailureIsTheResult) {
  MachineSpec machine;
  machine.disks = {Disk("/i/a", ImageFormat::kRaw), Disk("/i/b", std::nullopt)};
  auto probe = [](const std::string& path) -> Result<std::string> {
    return Status(Code::kNotFound, path + ": no such file");
  };
  std::vector<ProbedFormat> probed;
  auto config = SessionConfigOf(machine, false, probe, &probed);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "/i/b: no such file");
}

}  // namespace
}  // namespace diskferry
