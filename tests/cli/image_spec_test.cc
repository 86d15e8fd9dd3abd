#include "cli/image_spec.h"

#include <gtest/gtest.h>

namespace diskferry {
namespace {

bool NoFiles(const std::string&) { return false; }

TEST(ImageSpecTest, SplitsImageAndPath) {
  auto spec = ParseImageSpec("disk.img:/etc/hostname", NoFiles);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->image, "disk.img");
  EXPECT_EQ(spec->path, "/etc/hostname");
}

TEST(ImageSpecTest, BareImageMeansRoot) {
  auto spec = ParseImageSpec("disk.img", NoFiles);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->image, "disk.img");
  EXPECT_EQ(spec->path, "/");
}

TEST(ImageSpecTest, TrailingColonMeansRoot) {
  auto spec = ParseImageSpec("disk.img:", NoFiles);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->path, "/");
}

TEST(ImageSpecTest, ExistingFileWithColonIsTheImage) {
  auto spec = ParseImageSpec("backup:2026.img", [](const std::string& p) {
    return p == "backup:2026.img";
  });
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->image, "backup:2026.img");
  EXPECT_EQ(spec->path, "/");
}

TEST(ImageSpecTest, RelativePathIsRejectedWithAHint) {
  auto spec = ParseImageSpec("disk.img:etc", NoFiles);
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("disk.img:/etc"), std::string::npos);
}

TEST(ImageSpecTest, EmptyImageIsRejected) {
  EXPECT_FALSE(ParseImageSpec(":/etc", NoFiles).ok());
  EXPECT_FALSE(ParseImageSpec("", NoFiles).ok());
}

}  // namespace
}  // namespace diskferry
