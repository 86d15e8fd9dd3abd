// HostTreeWriter on honest input: what it creates and which metadata it keeps.
#include "sinks/host_tree_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::Bytes;
using testing::DirRecord;
using testing::ErrorRecord;
using testing::FileRecord;
using testing::HardlinkRecord;
using testing::ReadFile;
using testing::SpecialRecord;
using testing::StreamRecord;
using testing::SymlinkRecord;

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

int64_t MtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}
int64_t AtimeNs(const struct stat& st) {
  return int64_t{st.st_atim.tv_sec} * 1000000000 + st.st_atim.tv_nsec;
}

class HostTreeWriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<HostTreeWriter> Open(HostWriterOptions options = {}) {
    auto writer = HostTreeWriter::Open(dest_, options);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? std::move(*writer) : nullptr;
  }
  std::string Dest(std::string_view rel) const { return dest_ + "/" + std::string(rel); }
  static std::string Problems(const HostTreeWriter& w) {
    std::string all;
    for (const FileProblem& p : w.report().problems.items())
      all += p.path + ": " + p.message + "\n";
    return all;
  }

  testing::ScratchDir scratch_;
  std::string dest_ = scratch_.path();
};

TEST_F(HostTreeWriterTest, WritesFilesDirectoriesSymlinksAndHardlinks) {
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(DirRecord("d")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("d/f", "hello")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("empty", "")).ok());
  ASSERT_TRUE(w->OnRecord(SymlinkRecord("abs", "/etc/passwd")).ok());
  ASSERT_TRUE(w->OnRecord(SymlinkRecord("d/rel", "../../outside/x")).ok());
  ASSERT_TRUE(w->OnRecord(HardlinkRecord("d/g", "d/f")).ok());
  ASSERT_TRUE(w->Finish().ok());

  EXPECT_EQ(ReadFile(Dest("d/f")), "hello");
  EXPECT_TRUE(S_ISREG(Lstat(Dest("empty")).st_mode));
  char target[64] = {};
  ASSERT_GT(readlink(Dest("abs").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/etc/passwd");
  std::fill(std::begin(target), std::end(target), 0);
  ASSERT_GT(readlink(Dest("d/rel").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "../../outside/x");
  EXPECT_EQ(Lstat(Dest("d/g")).st_ino, Lstat(Dest("d/f")).st_ino);
  EXPECT_EQ(Lstat(Dest("d/f")).st_nlink, 2u);
  const HostWriterStats& s = w->stats();
  EXPECT_EQ(s.files, 2u);
  EXPECT_EQ(s.dirs, 1u);
  EXPECT_EQ(s.symlinks, 2u);
  EXPECT_EQ(s.hardlinks, 1u);
  EXPECT_EQ(s.bytes, 5u);
  EXPECT_TRUE(w->report().problems.empty()) << Problems(*w);
}

TEST_F(HostTreeWriterTest, AppliesModesAndNanosecondTimes) {
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(DirRecord("d", 040750)).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("d/f", "x", 0100640)).ok());
  ASSERT_TRUE(w->OnRecord(SymlinkRecord("d/l", "f")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("d/later", "y", 0100604)).ok());  // changes d's mtime
  ASSERT_TRUE(w->Finish().ok());
  for (const char* rel : {"d", "d/f", "d/l", "d/later"}) {
    const struct stat st = Lstat(Dest(rel));
    EXPECT_EQ(MtimeNs(st), 1500000000987654321) << rel;
    EXPECT_EQ(AtimeNs(st), 1600000000123456789) << rel;
  }
  EXPECT_EQ(Lstat(Dest("d")).st_mode & 07777, 0750u);
  EXPECT_EQ(Lstat(Dest("d/f")).st_mode & 07777, 0640u);
  EXPECT_EQ(Lstat(Dest("d/later")).st_mode & 07777, 0604u);
}

TEST_F(HostTreeWriterTest, FillsReadOnlyDirectoriesAndLocksThemInFinish) {
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(DirRecord("ro", 040555)).ok());
  ASSERT_TRUE(w->OnRecord(DirRecord("ro/inner", 040500)).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("ro/inner/f", "data", 0100400)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Dest("ro")).st_mode & 07777, 0555u);
  EXPECT_EQ(Lstat(Dest("ro/inner")).st_mode & 07777, 0500u);
  EXPECT_EQ(ReadFile(Dest("ro/inner/f")), "data");
}

TEST_F(HostTreeWriterTest, SparseStreamFileKeepsItsHoles) {
  constexpr uint64_t kSize = 64u << 20;
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(StreamRecord("sparse", 7, kSize)).ok());
  const std::string head(4096, 'h'), middle(4096, 'm');
  ASSERT_TRUE(w->OnStreamData(7, 32u << 20, Bytes(middle)).ok());  // any order
  ASSERT_TRUE(w->OnStreamData(7, 0, Bytes(head)).ok());
  ASSERT_TRUE(w->OnStreamEnd(7).ok());
  ASSERT_TRUE(w->Finish().ok());
  const struct stat st = Lstat(Dest("sparse"));
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kSize);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 1u << 20);
  EXPECT_EQ(MtimeNs(st), 1500000000987654321);
  const std::string content = ReadFile(Dest("sparse"));
  EXPECT_EQ(content.substr(0, 4096), head);
  EXPECT_EQ(content.substr(32u << 20, 4096), middle);
  EXPECT_EQ(content.substr(4096, 4096), std::string(4096, '\0'));
  EXPECT_EQ(w->stats().bytes, 8192u);
}

TEST_F(HostTreeWriterTest, KeepsManyStreamFilesOpenAtOnceWithoutExhaustingDescriptors) {
  constexpr int kFiles = 150;  // more than the writer keeps open
  auto w = Open();
  std::vector<std::string> names;
  for (int i = 0; i < kFiles; ++i) names.push_back("s" + std::to_string(i));
  for (int i = 0; i < kFiles; ++i) ASSERT_TRUE(w->OnRecord(StreamRecord(names[i], i, 2)).ok());
  for (int i = kFiles - 1; i >= 0; --i) ASSERT_TRUE(w->OnStreamData(i, 1, Bytes("b")).ok());
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_TRUE(w->OnStreamData(i, 0, Bytes("a")).ok());
    ASSERT_TRUE(w->OnStreamEnd(i).ok());
  }
  ASSERT_TRUE(w->Finish().ok());
  for (const std::string& name : names) EXPECT_EQ(ReadFile(Dest(name)), "ab") << name;
  EXPECT_TRUE(w->report().problems.empty()) << Problems(*w);
}

TEST_F(HostTreeWriterTest, AppliesOwnershipWhenRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  HostWriterOptions options;
  options.safety.setuid = true;
  auto w = Open(options);
  ASSERT_TRUE(w->preserves_owner());
  Record f = FileRecord("f", "x", 0104755);
  f.meta.uid = 1234;
  f.meta.gid = 5678;
  Record l = SymlinkRecord("l", "f");
  l.meta.uid = 4321;
  l.meta.gid = 8765;
  ASSERT_TRUE(w->OnRecord(f).ok());
  ASSERT_TRUE(w->OnRecord(l).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Dest("f")).st_uid, 1234u);
  EXPECT_EQ(Lstat(Dest("f")).st_gid, 5678u);
  EXPECT_EQ(Lstat(Dest("f")).st_mode & 07777, 04755u);  // chown first, so setuid survives
  EXPECT_EQ(Lstat(Dest("l")).st_uid, 4321u);
  EXPECT_TRUE(w->report().owners_not_applied.empty());
}

TEST_F(HostTreeWriterTest, ListsOwnersNotAppliedAndDropsSetuidBitsEvenWhenAskedToKeepThem) {
  HostWriterOptions options;
  options.preserve_owner = OwnerPolicy::kNever;
  options.safety.setuid = true;
  auto w = Open(options);
  Record f = FileRecord("f", "x", 0106755);
  f.meta.uid = geteuid() + 1;
  ASSERT_TRUE(w->OnRecord(f).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("mine", "y")).ok());  // our own ids: nothing to list
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Dest("f")).st_uid, geteuid());
  EXPECT_EQ(Lstat(Dest("f")).st_mode & 07777, 0755u);
  ASSERT_EQ(w->report().owners_not_applied.total(), 1u);
  EXPECT_EQ(w->report().owners_not_applied.items()[0].path, "f");
  EXPECT_EQ(w->report().owners_not_applied.items()[0].uid, geteuid() + 1);
  EXPECT_NE(Problems(*w).find("f: setuid/setgid bits dropped"), std::string::npos);
}

TEST_F(HostTreeWriterTest, ByDefaultPreservesOwnersOnlyAsRoot) {
  const int code = testing::RunUnprivileged([&] {
    auto w = HostTreeWriter::Open("/", {});
    return w.ok() && !(*w)->preserves_owner() ? 0 : 1;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(Open()->preserves_owner(), geteuid() == 0);
}

TEST_F(HostTreeWriterTest, AppliesXattrsOnlyWhenAsked) {
  const auto blob = EncodeXattrs({{"user.df", "v1"}});
  HostWriterOptions with;
  with.safety.xattrs = XattrScope::kUser;
  auto w = Open(with);
  Record f = FileRecord("f", "x");
  f.xattrs = blob;
  Record d = DirRecord("d");
  d.xattrs = blob;
  ASSERT_TRUE(w->OnRecord(f).ok());
  ASSERT_TRUE(w->OnRecord(d).ok());
  ASSERT_TRUE(w->Finish().ok());
  char value[16] = {};
  ASSERT_EQ(getxattr(Dest("f").c_str(), "user.df", value, sizeof value), 2) << strerror(errno);
  EXPECT_STREQ(value, "v1");
  ASSERT_EQ(getxattr(Dest("d").c_str(), "user.df", value, sizeof value), 2);

  auto without = HostTreeWriter::Open(Dest("d"), {});
  Record g = FileRecord("g", "x");
  g.xattrs = blob;
  ASSERT_TRUE((*without)->OnRecord(g).ok());
  EXPECT_LT(getxattr(Dest("d/g").c_str(), "user.df", value, sizeof value), 0);
}

TEST_F(HostTreeWriterTest, XattrThatCannotBeSetIsAProblem) {
  HostWriterOptions with;
  with.safety.xattrs = XattrScope::kUser;
  auto w = Open(with);
  const auto blob = EncodeXattrs({{"user.df", "v"}});
  Record l = SymlinkRecord("l", "target");  // Linux refuses user.* xattrs on symlinks
  l.xattrs = blob;
  ASSERT_TRUE(w->OnRecord(l).ok());
  EXPECT_NE(Problems(*w).find("l: xattr user.df not set"), std::string::npos) << Problems(*w);
}

TEST_F(HostTreeWriterTest, CreatesFifosAndDeviceNodesWhenAllowed) {
  HostWriterOptions options;
  options.safety.devices = true;
  auto w = Open(options);
  ASSERT_TRUE(w->OnRecord(SpecialRecord("fifo", 010640)).ok());
  ASSERT_TRUE(w->OnRecord(SpecialRecord("null", 020666, makedev(1, 3))).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(S_ISFIFO(Lstat(Dest("fifo")).st_mode));
  EXPECT_EQ(Lstat(Dest("fifo")).st_mode & 07777, 0640u);
  struct stat st;
  if (lstat(Dest("null").c_str(), &st) == 0) {
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
  } else {
    EXPECT_NE(Problems(*w).find("null: device node not created (needs root)"), std::string::npos);
  }
}

TEST_F(HostTreeWriterTest, ByDefaultCreatesNoDeviceNodesAndCountsThem) {
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(SpecialRecord("sda", 060666, makedev(8, 0))).ok());
  ASSERT_TRUE(w->OnRecord(SpecialRecord("tty", 020620, makedev(5, 0))).ok());
  ASSERT_TRUE(w->OnRecord(SpecialRecord("fifo", 010600)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_FALSE(testing::Exists(Dest("sda")));
  EXPECT_FALSE(testing::Exists(Dest("tty")));
  EXPECT_TRUE(S_ISFIFO(Lstat(Dest("fifo")).st_mode));
  EXPECT_EQ(Problems(*w), "");  // withheld, not a problem
  EXPECT_EQ(w->report().withheld.devices, 2u);
  EXPECT_EQ(w->report().withheld.first_device, "/sda");
  EXPECT_EQ(w->stats().specials, 1u);
}

TEST_F(HostTreeWriterTest, ByDefaultClearsSetuidAndSetgidBitsOfFilesAndCountsThem) {
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(FileRecord("suid", "x", 0104755)).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("sgid", "x", 0102711)).ok());
  ASSERT_TRUE(w->OnRecord(StreamRecord("big", 7, 3)).ok());
  ASSERT_TRUE(w->OnStreamData(7, 0, Bytes("abc")).ok());
  ASSERT_TRUE(w->OnStreamEnd(7).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("plain", "x", 0100755)).ok());
  ASSERT_TRUE(w->OnRecord(DirRecord("shared", 042775)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Lstat(Dest("suid")).st_mode & 07777, 0755u);
  EXPECT_EQ(Lstat(Dest("sgid")).st_mode & 07777, 0711u);
  EXPECT_EQ(Lstat(Dest("plain")).st_mode & 07777, 0755u);
  // A directory's setgid bit only hands its group to new files: kept.
  EXPECT_EQ(Lstat(Dest("shared")).st_mode & 07777, 02775u);
  EXPECT_EQ(w->report().withheld.setuid, 2u);
  EXPECT_EQ(w->report().withheld.first_setuid, "/suid");
  EXPECT_EQ(Problems(*w), "");
}

TEST_F(HostTreeWriterTest, UserScopeKeepsOnlyUserXattrsAndCountsTheRest) {
  const auto blob = EncodeXattrs({{"user.df", "v1"},
                                  {"security.capability", std::string("\x01\0\0\x02", 4)},
                                  {"trusted.overlay.opaque", "y"},
                                  {"system.posix_acl_access", std::string(4, '\x02')}});
  HostWriterOptions options;
  options.safety.xattrs = XattrScope::kUser;
  auto w = Open(options);
  Record f = FileRecord("f", "x");
  f.xattrs = blob;
  ASSERT_TRUE(w->OnRecord(f).ok());
  ASSERT_TRUE(w->Finish().ok());
  char value[16] = {};
  EXPECT_EQ(getxattr(Dest("f").c_str(), "user.df", value, sizeof value), 2);
  EXPECT_LT(getxattr(Dest("f").c_str(), "security.capability", value, sizeof value), 0);
  EXPECT_LT(getxattr(Dest("f").c_str(), "trusted.overlay.opaque", value, sizeof value), 0);
  EXPECT_EQ(w->report().withheld.xattrs, 3u);
  EXPECT_EQ(w->report().withheld.first_xattr, "/f (security.capability)");
  EXPECT_EQ(Problems(*w), "");
}

TEST_F(HostTreeWriterTest, DeviceNodeAskedForAsNonRootIsAProblemNotAFailure) {
  ASSERT_EQ(chmod(dest_.c_str(), 0777), 0);
  const int code = testing::RunUnprivileged([&] {
    HostWriterOptions options;
    options.safety.devices = true;
    auto w = HostTreeWriter::Open(dest_, options);
    if (!w.ok()) return 1;
    if (!(*w)->OnRecord(SpecialRecord("null", 020666, makedev(1, 3))).ok()) return 2;
    if ((*w)->report().problems.total() != 1) return 3;
    return testing::Exists(Dest("null")) ? 4 : 0;
  });
  EXPECT_EQ(code, 0);
}

TEST_F(HostTreeWriterTest, RecordsSourceErrorsAndGoesOn) {
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(ErrorRecord("secret", EACCES, "open: Permission denied")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("next", "ok")).ok());
  ASSERT_TRUE(w->Finish().ok());
  ASSERT_EQ(w->report().source_errors.total(), 1u);
  const SourceError& e = w->report().source_errors.items()[0];
  EXPECT_EQ(e.path, "secret");
  EXPECT_EQ(e.errno_value, EACCES);
  EXPECT_EQ(e.message, "open: Permission denied");
  EXPECT_FALSE(testing::Exists(Dest("secret")));
  EXPECT_EQ(ReadFile(Dest("next")), "ok");
}

TEST_F(HostTreeWriterTest, OverwritesExistingEntriesAndKeepsExistingDirectories) {
  testing::WriteFile(Dest("f"), "old");
  ASSERT_EQ(mkdir(Dest("d").c_str(), 0700), 0);
  testing::WriteFile(Dest("d/keep"), "mine");
  ASSERT_EQ(mkdir(Dest("empty").c_str(), 0700), 0);
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(FileRecord("f", "new")).ok());
  ASSERT_TRUE(w->OnRecord(DirRecord("d")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("empty", "was a dir")).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadFile(Dest("f")), "new");
  EXPECT_EQ(ReadFile(Dest("d/keep")), "mine");
  EXPECT_EQ(ReadFile(Dest("empty")), "was a dir");
}

TEST_F(HostTreeWriterTest, DoesNotReplaceANonEmptyDirectoryWithAFile) {
  ASSERT_EQ(mkdir(Dest("d").c_str(), 0700), 0);
  testing::WriteFile(Dest("d/keep"), "mine");
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(FileRecord("d", "file")).ok());
  EXPECT_EQ(ReadFile(Dest("d/keep")), "mine");
  EXPECT_NE(Problems(*w).find("d: not replaced"), std::string::npos) << Problems(*w);
}

TEST_F(HostTreeWriterTest, KeepsExistingFilesWhenAskedTo) {
  testing::WriteFile(Dest("f"), "old");
  HostWriterOptions options;
  options.on_exists = OnExists::kKeep;
  auto w = Open(options);
  ASSERT_TRUE(w->OnRecord(FileRecord("f", "new")).ok());
  ASSERT_TRUE(w->OnRecord(StreamRecord("f", 1, 3)).ok());
  ASSERT_TRUE(w->OnStreamData(1, 0, Bytes("new")).ok());  // dropped
  ASSERT_TRUE(w->OnStreamEnd(1).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadFile(Dest("f")), "old");
  EXPECT_EQ(w->report().problems.total(), 2u) << Problems(*w);
}

TEST_F(HostTreeWriterTest, MissingParentIsAProblem) {
  auto w = Open();
  ASSERT_TRUE(w->OnRecord(FileRecord("no/such/f", "x")).ok());
  ASSERT_TRUE(w->OnRecord(StreamRecord("no/s", 1, 1)).ok());
  ASSERT_TRUE(w->OnStreamData(1, 0, Bytes("x")).ok());
  ASSERT_TRUE(w->OnStreamEnd(1).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(w->report().problems.total(), 2u) << Problems(*w);
  EXPECT_EQ(testing::ListDir(dest_), std::vector<std::string>{});
}

TEST_F(HostTreeWriterTest, OpenFailsForAMissingOrNonDirectoryDestination) {
  EXPECT_EQ(HostTreeWriter::Open(Dest("missing"), {}).status().code(), Code::kNotFound);
  testing::WriteFile(Dest("file"), "x");
  EXPECT_EQ(HostTreeWriter::Open(Dest("file"), {}).status().code(), Code::kIoError);
}

TEST_F(HostTreeWriterTest, RefusesEverythingAfterFinish) {
  auto w = Open();
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(w->OnRecord(FileRecord("f", "x")).code(), Code::kFailedPrecondition);
  EXPECT_EQ(w->OnStreamData(1, 0, Bytes("x")).code(), Code::kFailedPrecondition);
  EXPECT_EQ(w->Finish().code(), Code::kFailedPrecondition);
  EXPECT_FALSE(testing::Exists(Dest("f")));
}

}  // namespace
}  // namespace diskferry
