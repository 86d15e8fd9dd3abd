// Appliance directories (appliance_dir.h): what `diskferry appliance export` writes and
// --appliance / DISKFERRY_APPLIANCE boot. Portable: also runs on Windows (under wine).
#include "appliance/appliance_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "appliance/image_session.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << path.string();
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void SetEnv(const char* name, const std::string& value) {
#if defined(_WIN32)
  _putenv_s(name, value.c_str());
#else
  if (value.empty()) {
    unsetenv(name);
  } else {
    setenv(name, value.c_str(), 1);
  }
#endif
}

class ApplianceDirTest : public ::testing::Test {
 protected:
  ApplianceDirTest() {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("df-appdir-" + std::to_string(rd()));
    fs::create_directories(root_ / "built");
    Write(root_ / "built" / "kernel", "KERNEL-BYTES");
    Write(root_ / "built" / "initrd.cpio", "INITRD-BYTES-LONGER");
    image_.kernel = (root_ / "built" / "kernel").string();
    image_.initrd = (root_ / "built" / "initrd.cpio").string();
    image_.kernel_release = "6.1.0-99-cloud-amd64";
    image_.filesystems = {"btrfs", "ext4", "xfs"};
  }
  ~ApplianceDirTest() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
    SetEnv(kApplianceDirEnvVar, "");
  }

  fs::path root_;
  ApplianceImage image_;
};

TEST_F(ApplianceDirTest, ExportedDirectoryLoadsAsTheSameAppliance) {
  const std::string dir = (root_ / "exported" / "nested").string();
  ASSERT_TRUE(ExportApplianceDir(image_, dir).ok());
  Result<ApplianceImage> loaded = LoadApplianceDir(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Read(loaded->kernel), "KERNEL-BYTES");
  EXPECT_EQ(Read(loaded->initrd), "INITRD-BYTES-LONGER");
  EXPECT_EQ(loaded->kernel_release, image_.kernel_release);
  EXPECT_EQ(loaded->filesystems, image_.filesystems);
  EXPECT_TRUE(loaded->reused);
  EXPECT_EQ(loaded->cache_key, "dir:" + dir);
}

TEST_F(ApplianceDirTest, TheStorageDiskTravelsWithTheAppliance) {
  Write(root_ / "built" / "storage.cpio", std::string(1024, 'T'));
  image_.storage = (root_ / "built" / "storage.cpio").string();
  image_.storage_tools = {"lvm", "mdadm"};
  const fs::path dir = root_ / "exported";
  ASSERT_TRUE(ExportApplianceDir(image_, dir.string()).ok());
  Result<ApplianceImage> loaded = LoadApplianceDir(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->storage, (dir / "storage.cpio").string());
  EXPECT_EQ(Read(loaded->storage), std::string(1024, 'T'));
  EXPECT_EQ(loaded->storage_tools, image_.storage_tools);

  Write(dir / "storage.cpio", "T");  // cut short
  Result<ApplianceImage> cut = LoadApplianceDir(dir.string());
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("storage.cpio"), std::string::npos);

  // Exported again from an appliance without tools: the old disk goes too.
  image_.storage.clear();
  image_.storage_tools.clear();
  ASSERT_TRUE(ExportApplianceDir(image_, dir.string()).ok());
  EXPECT_FALSE(fs::exists(dir / "storage.cpio"));
  Result<ApplianceImage> without = LoadApplianceDir(dir.string());
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  EXPECT_EQ(without->storage, "");
}

TEST_F(ApplianceDirTest, ExportReplacesAnOlderExport) {
  const std::string dir = (root_ / "exported").string();
  ASSERT_TRUE(ExportApplianceDir(image_, dir).ok());
  Write(root_ / "built" / "initrd.cpio", "NEWER");
  ASSERT_TRUE(ExportApplianceDir(image_, dir).ok());
  Result<ApplianceImage> loaded = LoadApplianceDir(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Read(loaded->initrd), "NEWER");
}

TEST_F(ApplianceDirTest, DirectoryWithoutAManifestSaysHowToMakeOne) {
  Result<ApplianceImage> loaded = LoadApplianceDir((root_ / "built").string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kNotFound);
  EXPECT_NE(loaded.status().message().find("appliance export"), std::string::npos)
      << loaded.status().message();
}

TEST_F(ApplianceDirTest, ATruncatedCopyIsRefusedNamingTheFile) {
  const fs::path dir = root_ / "exported";
  ASSERT_TRUE(ExportApplianceDir(image_, dir.string()).ok());
  Write(dir / "initrd.cpio", "INITRD");  // cut short
  Result<ApplianceImage> loaded = LoadApplianceDir(dir.string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("initrd.cpio"), std::string::npos);
}

TEST_F(ApplianceDirTest, AManifestOfAnotherFormatVersionIsRefused) {
  const fs::path dir = root_ / "exported";
  ASSERT_TRUE(ExportApplianceDir(image_, dir.string()).ok());
  Write(dir / "manifest", "diskferry-appliance 999\nkernel_source k\n");
  Result<ApplianceImage> loaded = LoadApplianceDir(dir.string());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kInvalidArgument);
}

TEST_F(ApplianceDirTest, AManifestWithWindowsLineEndingsStillParses) {
  ApplianceManifest m{"/boot/vmlinuz", "6.1.0-1", {"ext4", "vfat"}, 12, 19, {"mdadm"}, 512};
  std::string crlf;
  for (char c : RenderManifest(m)) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  Result<ApplianceManifest> parsed = ParseManifest(crlf);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->kernel_release, "6.1.0-1");
  EXPECT_EQ(parsed->filesystems, (std::vector<std::string>{"ext4", "vfat"}));
  EXPECT_EQ(parsed->initrd_size, 19u);
  EXPECT_EQ(parsed->storage_tools, (std::vector<std::string>{"mdadm"}));
  EXPECT_EQ(parsed->storage_size, 512u);
}

TEST_F(ApplianceDirTest, PrepareApplianceBootsTheDirectoryTheEnvironmentNames) {
  const std::string dir = (root_ / "exported").string();
  ASSERT_TRUE(ExportApplianceDir(image_, dir).ok());
  SetEnv(kApplianceDirEnvVar, dir);
  ApplianceBuildConfig build;
  build.daemon = "/nonexistent/daemon";  // nothing may be built
  Result<ApplianceImage> image = PrepareAppliance(build);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->cache_key, "dir:" + dir);
}

TEST_F(ApplianceDirTest, AnExplicitDirectoryWinsOverTheEnvironment) {
  const std::string dir = (root_ / "exported").string();
  ASSERT_TRUE(ExportApplianceDir(image_, dir).ok());
  SetEnv(kApplianceDirEnvVar, (root_ / "missing").string());
  ApplianceBuildConfig build;
  build.appliance_dir = dir;
  Result<ApplianceImage> image = PrepareAppliance(build);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->cache_key, "dir:" + dir);
}

TEST_F(ApplianceDirTest, WithoutADirectoryOnlyALinuxHostBuilds) {
  SetEnv(kApplianceDirEnvVar, "");
  ApplianceBuildConfig build;
  build.daemon = (root_ / "no-such-daemon").string();
  build.cache_dir = (root_ / "cache").string();
  Result<ApplianceImage> image = PrepareAppliance(build);
  ASSERT_FALSE(image.ok());
  if (HostBuildsAppliances()) {
    EXPECT_NE(image.status().code(), Code::kUnavailable) << image.status().ToString();
  } else {
    EXPECT_EQ(image.status().code(), Code::kUnavailable);
    EXPECT_NE(image.status().message().find("appliance export"), std::string::npos);
  }
}

}  // namespace
}  // namespace diskferry
