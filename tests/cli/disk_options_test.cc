#include "cli/disk_options.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <fstream>

#include "appliance/temp_dir.h"
#include "cli/commands.h"

namespace diskferry {
namespace {

TEST(DiskOptionsTest, KeyFileArgumentNamesADeviceOnlyWithDevPrefix) {
  auto own = ParseKeyFileArg("/dev/sda2=k.key");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->device, "/dev/sda2");
  EXPECT_EQ(own->path, "k.key");
  auto any = ParseKeyFileArg("keys/a=b.key");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->device, "");
  EXPECT_EQ(any->path, "keys/a=b.key");
  EXPECT_FALSE(ParseKeyFileArg("/dev/sda2=").ok());
  EXPECT_FALSE(ParseKeyFileArg("").ok());
}

TEST(DiskOptionsTest, OneFormatAppliesToEveryDisk) {
  DiskOptions o;
  o.formats = {"qcow2"};
  o.add = {"b.qcow2", "c.qcow2"};
  ImageSessionConfig config;
  ASSERT_TRUE(ConfigureDisks(o, &config).ok());
  EXPECT_EQ(config.format, "qcow2");
  ASSERT_EQ(config.extra_disks.size(), 2u);
  EXPECT_EQ(config.extra_disks[0].image, "b.qcow2");
  EXPECT_EQ(config.extra_disks[1].format, "qcow2");
}

TEST(DiskOptionsTest, FormatsPerDiskGoInOrder) {
  DiskOptions o;
  o.formats = {"raw", "qcow2"};
  o.add = {"b.qcow2"};
  ImageSessionConfig config;
  ASSERT_TRUE(ConfigureDisks(o, &config).ok());
  EXPECT_EQ(config.format, "raw");
  EXPECT_EQ(config.extra_disks.at(0).format, "qcow2");
}

TEST(DiskOptionsTest, FormatCountMatchingNeitherOneNorTheDisksIsAnError) {
  DiskOptions o;
  o.formats = {"raw", "qcow2"};
  o.add = {"b", "c"};
  ImageSessionConfig config;
  Status st = ConfigureDisks(o, &config);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "--format given 2 times for 3 disks; give it once for all, or once per disk");
}

TEST(DiskOptionsTest, OsConflictsWithFs) {
  DiskOptions o;
  o.whole_os = true;
  o.filesystem = "/dev/sda1";
  ImageSessionConfig config;
  Status st = ConfigureDisks(o, &config);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
  o.filesystem.clear();
  ASSERT_TRUE(ConfigureDisks(o, &config).ok());
  EXPECT_EQ(config.filesystem, kWholeOs);
}

TEST(DiskOptionsTest, MissingKeyFileIsAnErrorNamingIt) {
  DiskOptions o;
  o.key_files = {"/dev/sda2=/nonexistent/k.key"};
  ImageSessionConfig config;
  Status st = ConfigureDisks(o, &config);
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("/nonexistent/k.key"), std::string::npos);
}

TEST(DiskOptionsTest, KeyFilesAndNoReplayReachTheConfig) {
  auto dir = TempDir::Create("disk-options-test-");
  ASSERT_TRUE(dir.ok());
  const std::string key = dir->File("k.key");
  std::ofstream(key) << "secret";
  DiskOptions o;
  o.key_files = {key, "/dev/sdb=" + key};
  o.no_replay = true;
  ImageSessionConfig config;
  ASSERT_TRUE(ConfigureDisks(o, &config).ok());
  EXPECT_EQ(config.keys, (std::vector<KeyFileSpec>{{"", key}, {"/dev/sdb", key}}));
  EXPECT_FALSE(config.replay);
}

// The options as a command line reaches them.
struct Parsed {
  DiskOptions disk;
  std::string target;
};

Parsed Parse(std::vector<std::string> args) {
  CLI::App app;
  Parsed p;
  app.add_option("target", p.target);
  AddDiskOptions(&app, &p.disk, /*with_filesystem=*/true);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return p;
}

TEST(DiskOptionsTest, RepeatedOptionsTakeOneValueEach) {
  Parsed p = Parse({"--add", "b.img", "--add", "c.img", "--key-file", "k", "--format", "raw",
                    "a.img:/etc"});
  EXPECT_EQ(p.disk.add, (std::vector<std::string>{"b.img", "c.img"}));
  EXPECT_EQ(p.disk.key_files, (std::vector<std::string>{"k"}));
  EXPECT_EQ(p.disk.formats, (std::vector<std::string>{"raw"}));
  EXPECT_EQ(p.target, "a.img:/etc");
}

TEST(DiskOptionsTest, OsAndNoReplayAreFlags) {
  Parsed p = Parse({"--os", "--no-replay", "a.img"});
  EXPECT_TRUE(p.disk.whole_os);
  EXPECT_TRUE(p.disk.no_replay);
  EXPECT_EQ(p.target, "a.img");
}

}  // namespace
}  // namespace diskferry
