// LUKS1 and LUKS2 images (cryptsetup reencrypt --encrypt on plain files, see
// tests/fixtures/storage/make.sh) read through the CLI with key files: the right key
// gives the files as written; a wrong or missing key is one line naming image and device.
#include <gtest/gtest.h>

#include "tests/fixtures/storage/storage_test_base.h"

namespace diskferry::testing {
namespace {

using StorageLuksTest = StorageTest;

TEST_F(StorageLuksTest, Luks2OpensWithAKeyFileForEveryDevice) {
  UsesImages({"luks2.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches("--key-file " + Q("luks.key") + " " + Q("luks2.img") + ":/", "luks2",
                     "luks2:/dev/sda", {}, &err));
  ExpectHardLinksKept();
}

TEST_F(StorageLuksTest, Luks1OpensWithAKeyFileNamingItsDevice) {
  UsesImages({"luks1.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches("--key-file /dev/sda=" + Path("luks.key") + " " + Q("luks1.img") + ":/",
                     "luks1", "luks1:/dev/sda", {}, &err));
  ExpectHardLinksKept();
}

TEST_F(StorageLuksTest, Luks2WithAnArgon2idKeySlotOpens) {
  UsesImages({"luks2-argon2.img"});
  std::string err;
  ASSERT_NO_FATAL_FAILURE(
      CopyOutMatches("--key-file " + Q("luks.key") + " " + Q("luks2-argon2.img") + ":/",
                     "luks2-argon2", "luks2:/dev/sda", {}, &err));
}

TEST_F(StorageLuksTest, WrongKeyFailsWithOneLineNamingImageAndDevice) {
  UsesImages({"luks2.img"});
  std::string out, err;
  EXPECT_EQ(RunSplit(Diskferry("ls --key-file " + Q("wrong.key") + " " + Q("luks2.img") + ":/"),
                     &out, &err),
            1)
      << out << err;
  const auto lines = NonEmptyLines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_NE(lines[0].find("luks2.img"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("/dev/sda"), std::string::npos) << lines[0];
  EXPECT_EQ(out, "");
}

TEST_F(StorageLuksTest, WrongKeyForTheNamedLuks1DeviceFailsWithOneLine) {
  UsesImages({"luks1.img"});
  std::string out, err;
  EXPECT_EQ(RunSplit(Diskferry("ls --key-file /dev/sda=" + Path("wrong.key") + " " +
                               Q("luks1.img") + ":/"),
                     &out, &err),
            1)
      << out << err;
  const auto lines = NonEmptyLines(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_NE(lines[0].find("luks1.img"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("/dev/sda"), std::string::npos) << lines[0];
}

TEST_F(StorageLuksTest, NoKeyFailsWithAHintNamingKeyFile) {
  UsesImages({"luks2.img"});
  std::string out, err;
  EXPECT_EQ(RunSplit(Diskferry("ls " + Q("luks2.img") + ":/"), &out, &err), 1) << out << err;
  EXPECT_NE(err.find("--key-file"), std::string::npos) << err;
  EXPECT_NE(err.find("luks2.img"), std::string::npos) << err;
  // The hint leads to what works: not QEMU's own luks driver.
  EXPECT_EQ(err.find("--format luks"), std::string::npos) << err;
}

}  // namespace
}  // namespace diskferry::testing
