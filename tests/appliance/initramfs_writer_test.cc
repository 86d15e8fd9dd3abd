#include "appliance/initramfs_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "appliance/builder_io.h"
#include "tests/appliance/builder_test_support.h"

namespace diskferry {
namespace {

using testing::CpioMember;
using testing::ReadCpio;
using testing::ReadWholeFile;
using testing::TempDir;
using testing::WriteFile;

// `data` compressed as a bare stream (no archive format), as .ko.xz/.ko.zst files are.
std::string Compress(const std::string& data, int (*add_filter)(archive*)) {
  std::string out(data.size() + 4096, '\0');
  size_t used = 0;
  archive* a = archive_write_new();
  add_filter(a);
  archive_write_set_format_raw(a);
  archive_write_open_memory(a, out.data(), out.size(), &used);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  archive_write_header(a, e);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

class InitramfsWriterTest : public ::testing::Test {
 protected:
  InitramfsSpec SampleSpec() {
    WriteFile(dir_ / "daemon", "daemon bytes");
    WriteFile(dir_ / "busybox", "busybox bytes");
    InitramfsSpec spec;
    spec.AddFile("/init", dir_ / "daemon", 0755);
    spec.AddFile("/bin/busybox", dir_ / "busybox", 0755);
    spec.AddSymlink("/sbin/modprobe", "/bin/busybox");
    spec.AddDirectory("/tmp", 01777);
    spec.AddCharDevice("/dev/console", 0600, 5, 1);
    spec.AddData("/etc/diskferry/modules.fs", "ext4\n");
    return spec;
  }

  TempDir dir_;
};

TEST_F(InitramfsWriterTest, ArchiveReadsBackWithEntriesModesAndOwners) {
  ASSERT_TRUE(WriteInitramfs(SampleSpec(), dir_ / "initrd.cpio").ok());
  std::map<std::string, CpioMember> m = ReadCpio(dir_ / "initrd.cpio");
  ASSERT_EQ(m.size(), 11u);  // 6 entries + implicit /bin, /sbin, /dev, /etc, /etc/diskferry
  EXPECT_EQ(m["init"].type, unsigned{AE_IFREG});
  EXPECT_EQ(m["init"].mode, 0755u);
  EXPECT_EQ(m["init"].content, "daemon bytes");
  EXPECT_EQ(m["bin/busybox"].content, "busybox bytes");
  EXPECT_EQ(m["sbin/modprobe"].type, unsigned{AE_IFLNK});
  EXPECT_EQ(m["sbin/modprobe"].symlink, "/bin/busybox");
  EXPECT_EQ(m["tmp"].mode, 01777u);
  EXPECT_EQ(m["dev/console"].type, unsigned{AE_IFCHR});
  EXPECT_EQ(m["etc/diskferry"].type, unsigned{AE_IFDIR});
  EXPECT_EQ(m["etc/diskferry"].mode, 0755u);
  EXPECT_EQ(m["etc/diskferry/modules.fs"].content, "ext4\n");
  EXPECT_EQ(m["etc/diskferry/modules.fs"].mode, 0644u);
  for (const auto& [name, member] : m) {
    EXPECT_EQ(member.uid, 0) << name;
    EXPECT_EQ(member.gid, 0) << name;
    EXPECT_EQ(member.mtime, 0) << name;
  }
}

TEST_F(InitramfsWriterTest, SameInputsGiveAByteIdenticalArchive) {
  ASSERT_TRUE(WriteInitramfs(SampleSpec(), dir_ / "a.cpio").ok());
  // Same bytes, new mtimes and a different insertion order: nothing may change.
  WriteFile(dir_ / "daemon", "daemon bytes");
  ASSERT_TRUE(WriteInitramfs(SampleSpec(), dir_ / "b.cpio").ok());
  std::string a = ReadWholeFile(dir_ / "a.cpio");
  EXPECT_EQ(a, ReadWholeFile(dir_ / "b.cpio"));
  InitramfsSpec other_order;
  other_order.AddData("/etc/diskferry/modules.fs", "ext4\n");
  other_order.AddCharDevice("/dev/console", 0600, 5, 1);
  other_order.AddDirectory("/tmp", 01777);
  other_order.AddSymlink("/sbin/modprobe", "/bin/busybox");
  other_order.AddFile("/bin/busybox", dir_ / "busybox", 0755);
  other_order.AddFile("/init", dir_ / "daemon", 0755);
  ASSERT_TRUE(WriteInitramfs(other_order, dir_ / "c.cpio").ok());
  EXPECT_EQ(a, ReadWholeFile(dir_ / "c.cpio"));
  EXPECT_EQ(a.size() % 4, 0u);  // newc pads to 4 bytes, and nothing past the trailer
  EXPECT_NE(a.find("TRAILER!!!"), std::string::npos);
}

TEST_F(InitramfsWriterTest, DecompressesXzAndZstdModules) {
  std::string module =
      "\x7f"
      "ELF" +
      std::string(100000, 'm');
  WriteFile(dir_ / "a.ko.xz", Compress(module, archive_write_add_filter_xz));
  WriteFile(dir_ / "b.ko.zst", Compress(module, archive_write_add_filter_zstd));
  ASSERT_LT(ReadWholeFile(dir_ / "a.ko.xz").size(), module.size());
  InitramfsSpec spec;
  spec.AddDecompressedFile("/lib/modules/r/a.ko", dir_ / "a.ko.xz", 0644);
  spec.AddDecompressedFile("/lib/modules/r/b.ko", dir_ / "b.ko.zst", 0644);
  Status s = WriteInitramfs(spec, dir_ / "initrd.cpio");
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::map<std::string, CpioMember> m = ReadCpio(dir_ / "initrd.cpio");
  EXPECT_EQ(m["lib/modules/r/a.ko"].content, module);
  EXPECT_EQ(m["lib/modules/r/b.ko"].content, module);
}

TEST_F(InitramfsWriterTest, UncompressedDataGivenAsCompressedIsRejected) {
  WriteFile(dir_ / "plain.ko.xz", "not compressed at all");
  Result<std::string> data = ReadDecompressed(dir_ / "plain.ko.xz");
  EXPECT_EQ(data.status().code(), Code::kInvalidArgument);
  InitramfsSpec spec;
  spec.AddDecompressedFile("/m.ko", dir_ / "plain.ko.xz", 0644);
  EXPECT_FALSE(WriteInitramfs(spec, dir_ / "initrd.cpio").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "initrd.cpio"));  // no half-written archive
}

TEST_F(InitramfsWriterTest, RejectsBadAndDuplicatePaths) {
  for (const char* bad : {"relative", "/a/../b", "/a//b", "/a/", "/"}) {
    InitramfsSpec spec;
    spec.AddData(bad, "x");
    Status s = WriteInitramfs(spec, dir_ / "out.cpio");
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
  }
  InitramfsSpec twice;
  twice.AddData("/etc/x", "1");
  twice.AddData("/etc/x", "2");
  EXPECT_EQ(WriteInitramfs(twice, dir_ / "out.cpio").code(), Code::kInvalidArgument);
  InitramfsSpec under_file;
  under_file.AddData("/etc", "a file");
  under_file.AddData("/etc/x", "1");
  EXPECT_EQ(WriteInitramfs(under_file, dir_ / "out.cpio").code(), Code::kInvalidArgument);
  InitramfsSpec same_dir;
  same_dir.AddDirectory("/etc");
  same_dir.AddDirectory("/etc");
  EXPECT_TRUE(WriteInitramfs(same_dir, dir_ / "out.cpio").ok());
}

TEST_F(InitramfsWriterTest, MissingSourceFileIsNotFoundAndNeverOverwritesOutput) {
  InitramfsSpec spec;
  spec.AddFile("/init", dir_ / "absent", 0755);
  Status s = WriteInitramfs(spec, dir_ / "out.cpio");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("absent"), std::string::npos);
  WriteFile(dir_ / "existing.cpio", "keep me");
  EXPECT_FALSE(WriteInitramfs(SampleSpec(), dir_ / "existing.cpio").ok());
  EXPECT_EQ(ReadWholeFile(dir_ / "existing.cpio"), "keep me");
}

}  // namespace
}  // namespace diskferry
