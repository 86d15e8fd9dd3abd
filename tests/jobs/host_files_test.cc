// StatHostFile on this host's files: kinds, missing paths, UTF-8 names.
#include "jobs/host_files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

TEST(HostFilesTest, TellsFilesFromDirectories) {
  const ScratchDir scratch("df-host-files");
  ASSERT_TRUE(WriteWholeFile(scratch.File("image.raw"), "x"));
  EXPECT_EQ(StatHostFile(scratch.File("image.raw")), HostFileKind::kFile);
  EXPECT_EQ(StatHostFile(scratch.path()), HostFileKind::kDirectory);
}

TEST(HostFilesTest, MissingPathsAndPathsThroughAFileAreMissing) {
  const ScratchDir scratch("df-host-files");
  ASSERT_TRUE(WriteWholeFile(scratch.File("file"), ""));
  EXPECT_EQ(StatHostFile(scratch.File("absent")), HostFileKind::kMissing);
  EXPECT_EQ(StatHostFile(scratch.File("absent/deeper")), HostFileKind::kMissing);
  EXPECT_EQ(StatHostFile(scratch.File("file/below")), HostFileKind::kMissing) << "ENOTDIR";
}

TEST(HostFilesTest, NamesAreUtf8) {
  const ScratchDir scratch("df-host-files");
  const std::string name = "disque-\xc3\xa9t\xc3\xa9-\xe2\x82\xac.qcow2";  // disque-été-€.qcow2
  ASSERT_TRUE(WriteWholeFile(scratch.File(name), ""));
  EXPECT_EQ(StatHostFile(scratch.File(name)), HostFileKind::kFile);
  std::filesystem::create_directory(FsPath(scratch.File("r\xc3\xa9pertoire")));
  EXPECT_EQ(StatHostFile(scratch.File("r\xc3\xa9pertoire")), HostFileKind::kDirectory);
}

#ifndef _WIN32
TEST(HostFilesTest, CharacterDevicesAreOther) {
  EXPECT_EQ(StatHostFile("/dev/null"), HostFileKind::kOther);
}
#endif

}  // namespace
}  // namespace diskferry
