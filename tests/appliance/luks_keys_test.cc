// Which key files a LUKS container gets, and what the user reads when none opens it.
#include <gtest/gtest.h>

#include <fstream>

#include "appliance/image_session.h"
#include "appliance/temp_dir.h"

namespace diskferry {
namespace {

FilesystemInfo Luks(const std::string& device, const std::string& note = "LUKS2 container") {
  FilesystemInfo fs{device, "crypto_LUKS", "", "uuid-" + device, 0};
  fs.note = note;
  return fs;
}

TEST(LuksKeysTest, AContainersOwnKeysComeBeforeAndInsteadOfGeneralOnes) {
  const std::vector<KeyFileSpec> keys = {
      {"", "any1.key"}, {"/dev/sda2", "own.key"}, {"", "any2.key"}, {"/dev/sdb", "b.key"}};
  EXPECT_EQ(KeysForDevice(Luks("/dev/sda2"), keys), (std::vector<size_t>{1}));
  EXPECT_EQ(KeysForDevice(Luks("/dev/sdc"), keys), (std::vector<size_t>{0, 2}));
}

TEST(LuksKeysTest, AKeyForAnAliasOrVirtioNameCounts) {
  FilesystemInfo lv = Luks("/dev/vg0/secret");
  lv.aliases = {"/dev/mapper/vg0-secret", "/dev/dm-3"};
  const std::vector<KeyFileSpec> keys = {{"/dev/mapper/vg0-secret", "lv.key"}, {"", "any.key"}};
  EXPECT_EQ(KeysForDevice(lv, keys), (std::vector<size_t>{0}));
  EXPECT_EQ(KeysForDevice(Luks("/dev/sda2"), {{"/dev/vda2", "v.key"}}), (std::vector<size_t>{0}));
}

TEST(LuksKeysTest, NoKeysMeansNoCandidates) {
  EXPECT_TRUE(KeysForDevice(Luks("/dev/sda2"), {}).empty());
  EXPECT_TRUE(KeysForDevice(Luks("/dev/sda2"), {{"/dev/sdb", "b.key"}}).empty());
}

TEST(LuksKeysTest, MissingKeySaysHowToGiveIt) {
  Status st = NoKeyFor(Luks("/dev/sda2"));
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "/dev/sda2 is a LUKS2 container; give its key with --key-file PATH or "
            "--key-file /dev/sda2=PATH");
  EXPECT_EQ(NoKeyFor(Luks("/dev/sdb", "")).message().rfind("/dev/sdb is a LUKS container", 0), 0u);
}

TEST(LuksKeysTest, RejectedKeysAreNamedByPath) {
  EXPECT_EQ(KeysRejected(Luks("/dev/sda2"), {"k.key"}).message(),
            "/dev/sda2: no key slot opens with key file k.key");
  EXPECT_EQ(KeysRejected(Luks("/dev/sda2"), {"a.key", "b.key"}).message(),
            "/dev/sda2: no key slot opens with key files a.key, b.key");
}

TEST(LuksKeysTest, ALuksImageIsReadAsRawForTheAppliance) {
  auto dir = TempDir::Create("luks-image-test-");
  ASSERT_TRUE(dir.ok());
  const std::string image = dir->File("luks.img");
  std::string header(4096, '\0');
  header.replace(0, 6, std::string("LUKS\xba\xbe", 6));
  std::ofstream(image, std::ios::binary) << header;
  auto disk = ResolveDisk({image, "", {}});
  ASSERT_TRUE(disk.ok()) << disk.status().ToString();
  EXPECT_EQ(disk->image.format, "raw");
  auto luks = ResolveDisk({image, "luks", {}});
  ASSERT_FALSE(luks.ok());
  EXPECT_NE(luks.status().message().find("--key-file"), std::string::npos);
}

}  // namespace
}  // namespace diskferry
