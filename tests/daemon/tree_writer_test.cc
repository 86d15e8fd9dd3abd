// GuestTreeWriter fed records by hand: each entry type, replacing what is in the way,
// metadata order, stream files with holes, per-file errors, unsafe record paths.
#include "daemon/guest_tree_writer.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/daemon/serve_fixture.h"
#include "tests/daemon/tree_samples.h"

namespace diskferry::daemon::testing {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Record MakeRecord(RecordType type, std::string_view path, uint32_t mode) {
  Record r;
  r.meta.type = type;
  r.meta.mode = mode;
  r.meta.uid = 4321;
  r.meta.gid = 8765;
  r.meta.atime_ns = 1000000000;
  r.meta.mtime_ns = 1700000000123456789;
  r.path = path;
  return r;
}

Record FileRecord(std::string_view path, std::string_view data, uint32_t mode = 0644) {
  Record r = MakeRecord(RecordType::kFile, path, S_IFREG | mode);
  r.meta.size = data.size();
  r.data = Bytes(data);
  return r;
}

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

class TreeWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { sysroot_ = MakeTempDir("df-writer"); }
  void TearDown() override { std::filesystem::remove_all(sysroot_); }
  std::unique_ptr<GuestTreeWriter> Writer(WriterOptions options = {true, true}) {
    OpResult<std::unique_ptr<GuestTreeWriter>> w =
        GuestTreeWriter::Create(sysroot_, "/dst/", options);
    EXPECT_TRUE(w.ok()) << w.error().message;
    return w.ok() ? std::move(w).value() : nullptr;
  }
  std::string Host(const std::string& rel) const { return sysroot_ + "/dst/" + rel; }

  std::string sysroot_;
};

TEST_F(TreeWriterTest, CreatesEveryKindOfEntryWithItsMetadata) {
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ASSERT_NE(w, nullptr);
  const std::vector<uint8_t> xattrs = EncodeXattrs({{"user.k", "v"}});
  Record dir = MakeRecord(RecordType::kDirectory, "d", S_IFDIR | 0750);
  ASSERT_TRUE(w->OnRecord(dir).ok());
  Record file = FileRecord("d/f", "data", 04755);
  file.xattrs = xattrs;
  ASSERT_TRUE(w->OnRecord(file).ok());
  Record link = MakeRecord(RecordType::kSymlink, "d/l", S_IFLNK | 0777);
  link.target = "f";
  ASSERT_TRUE(w->OnRecord(link).ok());
  Record hard = MakeRecord(RecordType::kHardlink, "h", S_IFREG | 0644);
  hard.target = "d/f";
  ASSERT_TRUE(w->OnRecord(hard).ok());
  Record fifo = MakeRecord(RecordType::kSpecial, "p", S_IFIFO | 0604);
  ASSERT_TRUE(w->OnRecord(fifo).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(w->TakeErrors().empty());

  const struct stat f = Lstat(Host("d/f"));
  EXPECT_EQ(f.st_mode, S_IFREG | 04755u) << "set-id bits survive the chown before them";
  EXPECT_EQ(f.st_uid, 4321u);
  EXPECT_EQ(f.st_mtim.tv_nsec, 123456789);
  EXPECT_EQ(ReadWhole(Host("d/f")), "data");
  char value[8];
  EXPECT_EQ(::getxattr(Host("d/f").c_str(), "user.k", value, sizeof value), 1);
  EXPECT_EQ(Lstat(Host("h")).st_ino, f.st_ino);
  EXPECT_EQ(Lstat(Host("d/l")).st_uid, 4321u);
  EXPECT_EQ(Lstat(Host("d/l")).st_mtim.tv_nsec, 123456789);
  EXPECT_EQ(Lstat(Host("p")).st_mode, S_IFIFO | 0604u);
  const struct stat d = Lstat(Host("d"));
  EXPECT_EQ(d.st_mode, S_IFDIR | 0750u);
  EXPECT_EQ(d.st_mtim.tv_nsec, 123456789) << "directory times after its children";
  EXPECT_EQ(w->files(), 5u);
  EXPECT_EQ(w->bytes(), 4u);
}

TEST_F(TreeWriterTest, WithoutOwnersOrXattrsThoseAreLeftAlone) {
  std::unique_ptr<GuestTreeWriter> w = Writer({false, false});
  ASSERT_NE(w, nullptr);
  Record file = FileRecord("f", "x");
  file.xattrs = EncodeXattrs({{"user.k", "v"}});
  ASSERT_TRUE(w->OnRecord(file).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Host("f")).st_uid, ::getuid());
  char value[8];
  EXPECT_LT(::getxattr(Host("f").c_str(), "user.k", value, sizeof value), 0);
}

TEST_F(TreeWriterTest, ReplacesASymlinkInTheWayWithoutFollowingIt) {
  ASSERT_EQ(::mkdir((sysroot_ + "/dst").c_str(), 0755), 0);
  const std::string victim = sysroot_ + "/victim";
  { std::ofstream(victim) << "keep"; }
  ASSERT_EQ(::symlink(victim.c_str(), Host("f").c_str()), 0);
  ASSERT_EQ(::symlink(victim.c_str(), Host("l").c_str()), 0);
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ASSERT_TRUE(w->OnRecord(FileRecord("f", "new")).ok());
  Record link = MakeRecord(RecordType::kSymlink, "l", S_IFLNK | 0777);
  link.target = "elsewhere";
  ASSERT_TRUE(w->OnRecord(link).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadWhole(victim), "keep");
  EXPECT_TRUE(S_ISREG(Lstat(Host("f")).st_mode));
  EXPECT_EQ(ReadWhole(Host("f")), "new");
  EXPECT_TRUE(w->TakeErrors().empty());
}

TEST_F(TreeWriterTest, ReplacingAFileLeavesItsOtherHardLinksAlone) {
  ASSERT_EQ(::mkdir((sysroot_ + "/dst").c_str(), 0755), 0);
  { std::ofstream(Host("f")) << "old"; }
  ASSERT_EQ(::link(Host("f").c_str(), Host("other").c_str()), 0);
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ASSERT_TRUE(w->OnRecord(FileRecord("f", "new")).ok());
  EXPECT_EQ(ReadWhole(Host("other")), "old");
}

TEST_F(TreeWriterTest, ExistingDirectoryIsKeptAndGetsTheRecordMetadata) {
  ASSERT_EQ(::mkdir((sysroot_ + "/dst").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(Host("d").c_str(), 0700), 0);
  { std::ofstream(Host("d/keep")) << "k"; }
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ASSERT_TRUE(w->OnRecord(MakeRecord(RecordType::kDirectory, "d", S_IFDIR | 0711)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Host("d")).st_mode, S_IFDIR | 0711u);
  EXPECT_EQ(ReadWhole(Host("d/keep")), "k");
}

TEST_F(TreeWriterTest, ReadOnlyDirectoryIsFilledBeforeItsModeIsApplied) {
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ASSERT_TRUE(w->OnRecord(MakeRecord(RecordType::kDirectory, "locked", S_IFDIR | 0555)).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("locked/inside", "x")).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Host("locked")).st_mode, S_IFDIR | 0555u);
  EXPECT_EQ(ReadWhole(Host("locked/inside")), "x");
}

TEST_F(TreeWriterTest, StreamFileKeepsItsHoles) {
  std::unique_ptr<GuestTreeWriter> w = Writer();
  Record r = MakeRecord(RecordType::kStreamFile, "big", S_IFREG | 0600);
  r.meta.size = 16 << 20;
  r.meta.file_id = 7;
  ASSERT_TRUE(w->OnRecord(r).ok());
  const std::string chunk(8192, 'z');
  ASSERT_TRUE(w->OnStreamData(7, 4 << 20, Bytes(chunk)).ok());
  ASSERT_TRUE(w->OnStreamEnd(7).ok());
  ASSERT_TRUE(w->Finish().ok());
  const struct stat st = Lstat(Host("big"));
  EXPECT_EQ(st.st_size, 16 << 20);
  EXPECT_LT(st.st_blocks * 512, 1 << 20);
  EXPECT_EQ(st.st_mode, S_IFREG | 0600u);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789) << "times after the data";
  EXPECT_EQ(w->bytes(), 8192u);
}

TEST_F(TreeWriterTest, StreamFileWrittenInAlignedAndUnalignedPiecesReadsBackWhole) {
  // Page-aligned pieces may go by O_DIRECT, the others through the page cache; a
  // filesystem without O_DIRECT takes them all through the page cache.
  constexpr size_t kMiB = size_t{1} << 20;
  std::unique_ptr<GuestTreeWriter> w = Writer();
  Record r = MakeRecord(RecordType::kStreamFile, "big", S_IFREG | 0640);
  r.meta.size = 3 * kMiB + 100;
  r.meta.file_id = 3;
  ASSERT_TRUE(w->OnRecord(r).ok());
  std::string expected(r.meta.size, '\0');
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<char>('a' + i % 23);
  auto* aligned = static_cast<uint8_t*>(std::aligned_alloc(kDirectAlignment, 2 * kMiB + 4096));
  ASSERT_NE(aligned, nullptr);
  const auto piece = [&](uint64_t offset, size_t size, size_t shift) {
    std::memcpy(aligned + shift, expected.data() + offset, size);
    return w->OnStreamData(3, offset, {aligned + shift, size});
  };
  EXPECT_TRUE(piece(kMiB, kMiB, 0).ok());            // aligned everywhere
  EXPECT_TRUE(piece(0, kMiB, 1).ok());               // memory off by one byte
  EXPECT_TRUE(piece(2 * kMiB, kMiB + 100, 0).ok());  // length not a multiple
  std::free(aligned);
  ASSERT_TRUE(w->OnStreamEnd(3).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(w->TakeErrors().empty());
  EXPECT_EQ(ReadWhole(Host("big")), expected);
  EXPECT_EQ(Lstat(Host("big")).st_mode, S_IFREG | 0640u);
  EXPECT_EQ(w->bytes(), r.meta.size);
}

TEST_F(TreeWriterTest, InlineFilesAboveTheDirectSizeReadBackWholeWhateverTheirLength) {
  std::unique_ptr<GuestTreeWriter> w = Writer();
  std::vector<std::string> contents;
  for (const size_t size : {size_t{kDirectMinSize}, size_t{kDirectMinSize} + 100,
                            size_t{3 * kDirectMinSize} + 4095, size_t{kDirectMinSize} - 1}) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('A' + (i * 7 + size) % 26);
    contents.push_back(std::move(data));
  }
  for (size_t i = 0; i < contents.size(); ++i) {
    ASSERT_TRUE(w->OnRecord(FileRecord("f" + std::to_string(i), contents[i], 0600)).ok());
  }
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(w->TakeErrors().empty());
  for (size_t i = 0; i < contents.size(); ++i) {
    EXPECT_EQ(ReadWhole(Host("f" + std::to_string(i))), contents[i]) << i;
    EXPECT_EQ(Lstat(Host("f" + std::to_string(i))).st_mode, S_IFREG | 0600u);
  }
}

// A record owned by the writing process: the file is created with its mode, no chown.
Record OwnFileRecord(std::string_view path, std::string_view data, uint32_t mode) {
  Record r = FileRecord(path, data, mode);
  r.meta.uid = ::geteuid();
  r.meta.gid = ::getegid();
  return r;
}

TEST_F(TreeWriterTest, AFileOwnedAsCreatedGetsItsExactModeWhateverTheUmask) {
  const mode_t saved = ::umask(022);
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ::umask(saved);
  ASSERT_TRUE(w->OnRecord(OwnFileRecord("open", "x", 0666)).ok());
  ASSERT_TRUE(w->OnRecord(OwnFileRecord("ro", "y", 0444)).ok());
  ASSERT_TRUE(w->OnRecord(OwnFileRecord("suid", "z", 04755)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(w->TakeErrors().empty());
  EXPECT_EQ(Lstat(Host("open")).st_mode, S_IFREG | 0666u) << "the umask took 022 at creation";
  EXPECT_EQ(Lstat(Host("ro")).st_mode, S_IFREG | 0444u);
  EXPECT_EQ(ReadWhole(Host("ro")), "y") << "a read-only mode at creation still lets us write";
  EXPECT_EQ(Lstat(Host("suid")).st_mode, S_IFREG | 04755u);
  EXPECT_EQ(Lstat(Host("open")).st_mtim.tv_nsec, 123456789);
}

TEST_F(TreeWriterTest, AFileInASetGroupIdDirectoryStillGetsTheRecordGroup) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the directory another group";
  ASSERT_EQ(::mkdir((sysroot_ + "/dst").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(Host("shared").c_str(), 0775), 0);
  ASSERT_EQ(::chown(Host("shared").c_str(), 0, 8765), 0);
  ASSERT_EQ(::chmod(Host("shared").c_str(), 02775), 0);
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ASSERT_TRUE(w->OnRecord(OwnFileRecord("shared/f", "x", 0644)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Host("shared/f")).st_gid, ::getegid()) << "not the directory's 8765";
  EXPECT_EQ(Lstat(Host("shared/f")).st_mode, S_IFREG | 0644u);
}

TEST_F(TreeWriterTest, PerFileFailuresAreCollectedAndTheTransferGoesOn) {
  std::unique_ptr<GuestTreeWriter> w = Writer();
  ASSERT_TRUE(w->OnRecord(MakeRecord(RecordType::kDirectory, "d", S_IFDIR | 0755)).ok());
  Record hard = MakeRecord(RecordType::kHardlink, "h", S_IFREG | 0644);
  hard.target = "missing";
  ASSERT_TRUE(w->OnRecord(hard).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("d", "a directory is in the way")).ok());
  Record error = MakeRecord(RecordType::kError, "unreadable", 0);
  error.meta.errno_value = EACCES;
  error.target = "/src/unreadable: Permission denied";
  ASSERT_TRUE(w->OnRecord(error).ok());
  Record stream = MakeRecord(RecordType::kStreamFile, "no/parent", S_IFREG | 0644);
  stream.meta.file_id = 3;
  stream.meta.size = 10;
  ASSERT_TRUE(w->OnRecord(stream).ok());
  ASSERT_TRUE(w->OnStreamData(3, 0, Bytes("0123456789")).ok()) << "dropped, not fatal";
  ASSERT_TRUE(w->OnStreamEnd(3).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("ok", "fine")).ok());
  ASSERT_TRUE(w->Finish().ok());
  const std::vector<FileError> errors = w->TakeErrors();
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].path, "h");
  EXPECT_EQ(errors[0].code, "ENOENT");
  EXPECT_EQ(errors[1].path, "d");
  EXPECT_EQ(errors[1].code, "EISDIR");
  EXPECT_EQ(errors[2].code, "EACCES");
  EXPECT_EQ(errors[2].message, "/src/unreadable: Permission denied");
  EXPECT_EQ(errors[3].path, "no/parent");
  EXPECT_EQ(ReadWhole(Host("ok")), "fine");
  EXPECT_TRUE(w->TakeErrors().empty()) << "taken once";
}

TEST_F(TreeWriterTest, UnsafeRecordPathsAreRefused) {
  std::unique_ptr<GuestTreeWriter> w = Writer();
  for (const char* bad : {"../x", "/abs", "a//b", "a/./b"}) {
    EXPECT_EQ(w->OnRecord(FileRecord(bad, "x")).code(), Code::kProtocolError) << bad;
  }
  Record hard = MakeRecord(RecordType::kHardlink, "h", S_IFREG | 0644);
  hard.target = "../../etc/passwd";
  ASSERT_TRUE(w->OnRecord(hard).ok());
  const std::vector<FileError> errors = w->TakeErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "EINVAL");
  EXPECT_FALSE(std::filesystem::exists(sysroot_ + "/x"));
}

TEST_F(TreeWriterTest, RootIsCreatedWithItsParents) {
  OpResult<std::unique_ptr<GuestTreeWriter>> w =
      GuestTreeWriter::Create(sysroot_, "/a/b/c", WriterOptions{});
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(std::filesystem::is_directory(sysroot_ + "/a/b/c"));
  { std::ofstream(sysroot_ + "/file") << "x"; }
  w = GuestTreeWriter::Create(sysroot_, "/file/sub", WriterOptions{});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().err, EEXIST);
}

}  // namespace
}  // namespace diskferry::daemon::testing

namespace diskferry::daemon::testing {
namespace {

// The round-trip tests rely on CompareTrees: it must see what they check.
TEST(CompareTreesTest, NoticesContentTimeXattrAndLinkDifferences) {
  const std::string a = MakeTempDir("df-cmp-a"), b = MakeTempDir("df-cmp-b");
  if (!BuildSampleTree(a) || !BuildSampleTree(b)) GTEST_SKIP() << "no user xattrs on this host";
  EXPECT_TRUE(CompareTrees(a, b).empty());
  { std::ofstream(b + "/big.bin", std::ios::in | std::ios::out) << "X"; }
  const timespec times[2] = {{0, UTIME_OMIT}, {1600000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (b + "/sub/deep").c_str(), times, 0), 0);
  ASSERT_EQ(::setxattr((b + "/empty").c_str(), "user.extra", "1", 1, 0), 0);
  ASSERT_EQ(::unlink((b + "/sub/hard2").c_str()), 0);
  { std::ofstream(b + "/sub/hard2") << "shared"; }
  const std::vector<std::string> diffs = CompareTrees(a, b);
  std::string all;
  for (const std::string& d : diffs) all += d + "\n";
  EXPECT_NE(all.find("big.bin: contents differ"), std::string::npos) << all;
  EXPECT_NE(all.find("sub/deep: "), std::string::npos) << all;
  EXPECT_NE(all.find("empty: "), std::string::npos) << all;
  EXPECT_NE(all.find("hard link groups differ"), std::string::npos) << all;
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

}  // namespace
}  // namespace diskferry::daemon::testing
