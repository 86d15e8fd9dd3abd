// TarSink: what goes into the archive (read back with libarchive), compression by
// extension, the .partial file, stream files gathered while other records go on.
#include "sinks/tar_sink.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "sinks/spool_file.h"
#include "tests/sinks/tar_test_support.h"
#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::Bytes;
using testing::DirRecord;
using testing::ErrorRecord;
using testing::Exists;
using testing::HardlinkRecord;
using testing::ReadFile;
using testing::ReadTar;
using testing::SpecialRecord;
using testing::StreamRecord;
using testing::SymlinkRecord;
using testing::TarContents;
using testing::TarEntry;

constexpr uint64_t kMiB = 1 << 20;

// Whether files in `dir` can have holes (tmpfs, ext4, xfs, btrfs can; some overlays not).
bool HolesSupported(const std::string& dir) {
  auto spool = SpoolFile::Create(dir, 4 * kMiB);
  if (!spool.ok() || !spool->Write(3 * kMiB, Bytes("x")).ok()) return false;
  auto extents = spool->DataExtents();
  return extents.ok() && !extents->empty() && (*extents)[0].offset > 0;
}

uint64_t StoredBytes(const TarEntry& e) {
  uint64_t n = 0;
  for (const auto& [offset, length] : e.blocks) n += static_cast<uint64_t>(length);
  return n;
}

class TarSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<TarSink> Open(const std::string& name = "out.tar", TarOptions options = {}) {
    auto sink = TarSink::Open(scratch_ / name, options);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(*sink) : nullptr;
  }
  TarContents Finished(TarSink& sink, const std::string& name = "out.tar") {
    const Status st = sink.Finish();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return ReadTar(scratch_ / name);
  }

  testing::ScratchDir scratch_;
};

TEST_F(TarSinkTest, StoresEntriesWithTypesModesOwnersAndNanosecondTimes) {
  TarOptions options;
  options.safety.devices = true;
  options.safety.setuid = true;
  auto sink = Open("out.tar", options);
  Record dir = DirRecord("d", 040750);
  dir.meta.uid = 1234;
  dir.meta.gid = 5678;
  Record file = testing::FileRecord("d/a", "hello", 0104755);
  file.meta.uid = 4000000;  // past ustar's 2^21: needs a pax record
  ASSERT_TRUE(sink->OnRecord(dir).ok());
  ASSERT_TRUE(sink->OnRecord(file).ok());
  ASSERT_TRUE(sink->OnRecord(SymlinkRecord("d/l", "../elsewhere")).ok());
  ASSERT_TRUE(sink->OnRecord(HardlinkRecord("d/h", "d/a")).ok());
  ASSERT_TRUE(sink->OnRecord(SpecialRecord("p", S_IFIFO | 0600)).ok());
  ASSERT_TRUE(sink->OnRecord(SpecialRecord("c", S_IFCHR | 0666, makedev(1, 3))).ok());
  const TarContents tar = Finished(*sink);
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_EQ(tar.Paths(), (std::vector<std::string>{"d", "d/a", "d/l", "d/h", "p", "c"}));

  const TarEntry* d = tar.Find("d");
  EXPECT_EQ(d->filetype, AE_IFDIR);
  EXPECT_EQ(d->perm, 0750u);
  EXPECT_EQ(d->uid, 1234);
  EXPECT_EQ(d->gid, 5678);
  const TarEntry* a = tar.Find("d/a");
  EXPECT_EQ(a->filetype, AE_IFREG);
  EXPECT_EQ(a->perm, 04755u);
  EXPECT_EQ(a->uid, 4000000);
  EXPECT_EQ(a->content, "hello");
  EXPECT_EQ(a->mtime_sec, 1500000000);
  EXPECT_EQ(a->mtime_nsec, 987654321);
  EXPECT_EQ(tar.Find("d/l")->filetype, AE_IFLNK);
  EXPECT_EQ(tar.Find("d/l")->symlink, "../elsewhere");
  EXPECT_EQ(tar.Find("d/h")->hardlink, "d/a");
  EXPECT_EQ(tar.Find("p")->filetype, AE_IFIFO);
  EXPECT_EQ(tar.Find("c")->filetype, AE_IFCHR);
  EXPECT_EQ(tar.Find("c")->rdev, makedev(1, 3));
}

TEST_F(TarSinkTest, ByDefaultStoresNoDeviceNodesNoSetuidBitsAndNoPrivilegedXattrs) {
  TarOptions options;
  options.safety.xattrs = XattrScope::kUser;
  auto sink = Open("out.tar", options);
  Record file = testing::FileRecord("su", "x", 0106755);
  const auto blob = EncodeXattrs({{"user.k", "v"}, {"security.capability", "cap"}});
  file.xattrs = blob;
  const Status st = sink->OnRecord(file);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(sink->OnRecord(HardlinkRecord("su2", "su")).ok());
  ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 1, 4)).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 0, Bytes("abcd")).ok());
  ASSERT_TRUE(sink->OnRecord(SpecialRecord("sda", S_IFBLK | 0666, makedev(8, 0))).ok());
  ASSERT_TRUE(sink->OnRecord(SpecialRecord("p", S_IFIFO | 0600)).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  const TarContents tar = Finished(*sink);
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_EQ(tar.Paths(), (std::vector<std::string>{"su", "su2", "p", "big"}));
  EXPECT_EQ(tar.Find("su")->perm, 0755u);
  EXPECT_EQ(tar.Find("su2")->perm & 06000, 0u);
  using Xattrs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(tar.Find("su")->xattrs, (Xattrs{{"user.k", "v"}}));
  const Withheld& w = sink->report().withheld;
  EXPECT_EQ(w.devices, 1u);
  EXPECT_EQ(w.first_device, "/sda");
  EXPECT_EQ(w.setuid, 1u);  // the hard link is the same file: counted once
  EXPECT_EQ(w.xattrs, 1u);
  EXPECT_TRUE(sink->report().problems.empty());
}

TEST_F(TarSinkTest, CountsWhatItStores) {
  auto sink = Open();
  ASSERT_TRUE(sink->OnRecord(DirRecord("d")).ok());
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("d/a", "12345")).ok());
  ASSERT_TRUE(sink->OnRecord(StreamRecord("d/big", 1, 1000)).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  ASSERT_TRUE(sink->OnRecord(SymlinkRecord("s", "d")).ok());
  ASSERT_TRUE(sink->OnRecord(HardlinkRecord("h", "d/a")).ok());
  ASSERT_TRUE(sink->OnRecord(SpecialRecord("p", S_IFIFO | 0600)).ok());
  ASSERT_TRUE(sink->Finish().ok());
  const TarStats& s = sink->stats();
  EXPECT_EQ(s.files, 2u);
  EXPECT_EQ(s.dirs, 1u);
  EXPECT_EQ(s.symlinks, 1u);
  EXPECT_EQ(s.hardlinks, 1u);
  EXPECT_EQ(s.specials, 1u);
  EXPECT_EQ(s.bytes, 1005u);
}

TEST_F(TarSinkTest, KeepsTimesBefore1970AndRawNonUtf8Names) {
  auto sink = Open();
  const std::string name = "caf\xc3\xa9-\xff\xfe";
  Record file = testing::FileRecord(name, "x");
  file.meta.mtime_ns = -1500000000;  // 1969-12-31T23:59:58.5Z
  ASSERT_TRUE(sink->OnRecord(file).ok());
  const std::string long_name = std::string(150, 'a') + "/" + std::string(120, 'b');
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord(long_name, "y")).ok());
  const TarContents tar = Finished(*sink);
  ASSERT_TRUE(tar.ok) << tar.error;
  const TarEntry* e = tar.Find(name);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->mtime_sec, -2);
  EXPECT_EQ(e->mtime_nsec, 500000000);
  ASSERT_NE(tar.Find(long_name), nullptr);
  EXPECT_EQ(tar.Find(long_name)->content, "y");
}

TEST_F(TarSinkTest, MarksOnlyNamesThatAreNotUtf8AsBinary) {
  for (const std::string name : {"caf\xc3\xa9", "bad\xff"}) {
    auto sink = Open();
    ASSERT_TRUE(sink->OnRecord(testing::FileRecord(name, "x")).ok());
    const TarContents tar = Finished(*sink);
    ASSERT_TRUE(tar.ok) << tar.error;
    EXPECT_EQ(tar.Paths(), std::vector<std::string>{name});
    const bool binary =
        ReadFile(scratch_ / "out.tar").find("hdrcharset=BINARY") != std::string::npos;
    EXPECT_EQ(binary, name == "bad\xff") << name;
  }
}

class TarCompressionTest : public TarSinkTest,
                           public ::testing::WithParamInterface<std::pair<const char*, int>> {};

TEST_P(TarCompressionTest, CompressesByExtension) {
  const auto [name, filter] = GetParam();
  auto sink = Open(name);
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("f", std::string(100000, 'z'))).ok());
  const TarContents tar = Finished(*sink, name);
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_EQ(tar.filter, filter);
  ASSERT_EQ(tar.entries.size(), 1u);
  EXPECT_EQ(tar.entries[0].content, std::string(100000, 'z'));
}

INSTANTIATE_TEST_SUITE_P(Extensions, TarCompressionTest,
                         ::testing::Values(std::pair("out.tar", ARCHIVE_FILTER_NONE),
                                           std::pair("out.tar.gz", ARCHIVE_FILTER_GZIP),
                                           std::pair("out.tar.zst", ARCHIVE_FILTER_ZSTD)));

TEST_F(TarSinkTest, RefusesUnknownExtensionsWithoutCreatingAnything) {
  for (const char* name : {"out.zip", "out.tar.bz2", "out.tgz", "out", "out.tar.gz.bak"}) {
    auto sink = TarSink::Open(scratch_ / name, {});
    ASSERT_FALSE(sink.ok()) << name;
    EXPECT_EQ(sink.status().code(), Code::kInvalidArgument);
    EXPECT_NE(sink.status().message().find(".tar.zst"), std::string::npos);
  }
  EXPECT_TRUE(testing::ListDir(scratch_.path()).empty());
}

TEST_F(TarSinkTest, WritesToPartialAndRenamesOnFinish) {
  auto sink = Open();
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("f", "x")).ok());
  EXPECT_TRUE(Exists(scratch_ / "out.tar.partial"));
  EXPECT_FALSE(Exists(scratch_ / "out.tar"));
  ASSERT_TRUE(sink->Finish().ok());
  EXPECT_FALSE(Exists(scratch_ / "out.tar.partial"));
  EXPECT_TRUE(Exists(scratch_ / "out.tar"));
  EXPECT_EQ(sink->OnRecord(testing::FileRecord("g", "y")).code(), Code::kFailedPrecondition);
}

TEST_F(TarSinkTest, RemovesPartialAndKeepsOldArchiveWhenNotFinished) {
  testing::WriteFile(scratch_ / "out.tar", "old archive");
  {
    auto sink = Open();
    ASSERT_TRUE(sink->OnRecord(testing::FileRecord("f", "x")).ok());
    ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 1, 10)).ok());
  }
  EXPECT_EQ(testing::ListDir(scratch_.path()), std::vector<std::string>{"out.tar"});
  EXPECT_EQ(ReadFile(scratch_ / "out.tar"), "old archive");
}

// OpenStream: the archive goes to a descriptor the caller keeps (standard output).
class TarStreamTest : public TarSinkTest {
 protected:
  // A descriptor on `name` in the scratch directory, as a shell's `> name` would give.
  int OpenOutput(const std::string& name) {
    const int fd = ::open((scratch_ / name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    return fd;
  }
};

TEST_F(TarStreamTest, WritesTheArchiveToTheDescriptorWithTheCompressionAsked) {
  const int fd = OpenOutput("stream.out");
  auto sink = TarSink::OpenStream(fd, "standard output", TarCompression::kZstd, {});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->OnRecord(testing::FileRecord("f", std::string(100000, 'z'))).ok());
  ASSERT_TRUE((*sink)->Finish().ok());
  EXPECT_EQ(::fcntl(fd, F_GETFD), 0) << "the caller's descriptor stays open";
  ::close(fd);
  EXPECT_EQ(testing::ListDir(scratch_.path()), std::vector<std::string>{"stream.out"});
  const TarContents tar = ReadTar(scratch_ / "stream.out");
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_EQ(tar.filter, ARCHIVE_FILTER_ZSTD);
  ASSERT_EQ(tar.entries.size(), 1u);
  EXPECT_EQ(tar.entries[0].content, std::string(100000, 'z'));
}

TEST_F(TarStreamTest, AnAbandonedStreamGetsNoEndOfArchive) {
  const int fd = OpenOutput("stream.out");
  {
    auto sink = TarSink::OpenStream(fd, "standard output", TarCompression::kNone, {});
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    // Past libarchive's 64 KiB block, so that part of it reaches the descriptor.
    ASSERT_TRUE((*sink)->OnRecord(testing::FileRecord("f", std::string(200000, 'z'))).ok());
    ASSERT_TRUE((*sink)->OnRecord(StreamRecord("never-ends", 1, 10)).ok());
  }
  ::close(fd);
  struct stat st {};
  ASSERT_EQ(::stat((scratch_ / "stream.out").c_str(), &st), 0);
  EXPECT_GT(st.st_size, 0);
  // The entry is cut short and no end-of-archive blocks follow: a reader sees the break.
  const TarContents tar = ReadTar(scratch_ / "stream.out");
  EXPECT_FALSE(tar.ok);
}

TEST_F(TarStreamTest, AReaderThatWentAwayIsAnErrorNotASignal) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);  // SIGPIPE's default action would end this test binary here
  auto sink = TarSink::OpenStream(fds[1], "standard output", TarCompression::kGzip, {});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  Status st = (*sink)->OnRecord(testing::FileRecord("f", std::string(300000, 'q')));
  if (st.ok()) st = (*sink)->Finish();
  ::close(fds[1]);
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.message(),
            "standard output: the reader went away (broken pipe); the archive is incomplete");
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0) << "the SIGPIPE was consumed";
}

TEST_F(TarSinkTest, FinishFailsAndLeavesNothingWhenAStreamNeverEnded) {
  {
    auto sink = Open();
    ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 1, 10)).ok());
    const Status st = sink->Finish();
    EXPECT_EQ(st.code(), Code::kProtocolError);
    EXPECT_NE(st.message().find("big"), std::string::npos);
    EXPECT_EQ(sink->Finish().code(), Code::kProtocolError);  // failed for good
  }
  EXPECT_TRUE(testing::ListDir(scratch_.path()).empty());
}

TEST_F(TarSinkTest, StreamFileIsWrittenAtItsEndAfterRecordsThatCameMeanwhile) {
  auto sink = Open();
  const uint64_t size = 3 * kMiB;
  const std::string head(100000, 'h'), tail(5000, 't');
  ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 7, size)).ok());
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("after", "small")).ok());
  ASSERT_TRUE(sink->OnRecord(HardlinkRecord("link", "big")).ok());  // waits for "big"
  ASSERT_TRUE(sink->OnStreamData(7, 0, Bytes(head)).ok());
  ASSERT_TRUE(sink->OnStreamData(7, size - tail.size(), Bytes(tail)).ok());
  ASSERT_TRUE(sink->OnStreamEnd(7).ok());
  const TarContents tar = Finished(*sink);
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_EQ(tar.Paths(), (std::vector<std::string>{"after", "big", "link"}));
  std::string expected(size, '\0');
  expected.replace(0, head.size(), head);
  expected.replace(size - tail.size(), tail.size(), tail);
  const TarEntry* big = tar.Find("big");
  EXPECT_EQ(big->size, static_cast<int64_t>(size));
  EXPECT_TRUE(big->content == expected);
  EXPECT_EQ(tar.Find("link")->hardlink, "big");
  if (HolesSupported(scratch_.path())) {
    EXPECT_LT(StoredBytes(*big), size / 2);
  }
}

TEST_F(TarSinkTest, StreamFilesMayInterleaveAndComeInAnyOrder) {
  auto sink = Open();
  ASSERT_TRUE(sink->OnRecord(StreamRecord("one", 1, 6)).ok());
  ASSERT_TRUE(sink->OnRecord(StreamRecord("two", 2, 6)).ok());
  ASSERT_TRUE(sink->OnStreamData(2, 3, Bytes("def")).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 3, Bytes("456")).ok());
  ASSERT_TRUE(sink->OnStreamData(2, 0, Bytes("abc")).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 0, Bytes("123")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(2).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  const TarContents tar = Finished(*sink);
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_EQ(tar.Paths(), (std::vector<std::string>{"two", "one"}));
  EXPECT_EQ(tar.Find("one")->content, "123456");
  EXPECT_EQ(tar.Find("two")->content, "abcdef");
}

TEST_F(TarSinkTest, AllHoleAndShortStreamFilesReadBackAsZeros) {
  auto sink = Open();
  ASSERT_TRUE(sink->OnRecord(StreamRecord("empty", 1, 2 * kMiB)).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  ASSERT_TRUE(sink->OnRecord(StreamRecord("short", 2, 300000)).ok());
  ASSERT_TRUE(sink->OnStreamData(2, 0, Bytes("begin")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(2).ok());  // the read failed; an error record follows
  ASSERT_TRUE(sink->OnRecord(ErrorRecord("short", EIO, "short: Input/output error")).ok());
  const TarContents tar = Finished(*sink);
  ASSERT_TRUE(tar.ok) << tar.error;
  EXPECT_TRUE(tar.Find("empty")->content == std::string(2 * kMiB, '\0'));
  std::string expected(300000, '\0');
  expected.replace(0, 5, "begin");
  EXPECT_TRUE(tar.Find("short")->content == expected);
  ASSERT_EQ(sink->report().source_errors.items().size(), 1u);
}

TEST_F(TarSinkTest, WritesHolesAsZerosWhenSparseIsOff) {
  TarOptions options;
  options.sparse = false;
  auto sink = Open("out.tar", options);
  ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 1, 2 * kMiB)).ok());
  ASSERT_TRUE(sink->OnStreamData(1, 2 * kMiB - 1, Bytes("!")).ok());
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  const TarContents tar = Finished(*sink);
  ASSERT_TRUE(tar.ok) << tar.error;
  const TarEntry* big = tar.Find("big");
  EXPECT_EQ(StoredBytes(*big), 2 * kMiB);
  EXPECT_EQ(big->content.back(), '!');
}

TEST_F(TarSinkTest, ReportsErrorsAndSocketsInsteadOfStoringThem) {
  auto sink = Open();
  ASSERT_TRUE(sink->OnRecord(ErrorRecord("secret", EACCES, "secret: Permission denied")).ok());
  ASSERT_TRUE(sink->OnRecord(SpecialRecord("sock", S_IFSOCK | 0755)).ok());
  ASSERT_TRUE(sink->OnRecord(testing::FileRecord("ok", "fine")).ok());
  ASSERT_TRUE(sink->Finish().ok());
  const TarContents tar = ReadTar(scratch_ / "out.tar");
  EXPECT_EQ(tar.Paths(), std::vector<std::string>{"ok"});
  const WriteReport& report = sink->report();
  ASSERT_EQ(report.source_errors.items().size(), 1u);
  EXPECT_EQ(report.source_errors.items()[0].path, "secret");
  EXPECT_EQ(report.source_errors.items()[0].errno_value, EACCES);
  ASSERT_EQ(report.problems.items().size(), 1u);
  EXPECT_EQ(report.problems.items()[0].path, "sock");
  EXPECT_NE(report.problems.items()[0].message.find("socket"), std::string::npos);
}

TEST_F(TarSinkTest, StoresXattrsOnlyWhenAsked) {
  const std::vector<uint8_t> blob = EncodeXattrs({{"user.note", std::string("v\0x", 3)}});
  for (bool wanted : {false, true}) {
    TarOptions options;
    options.safety.xattrs = wanted ? XattrScope::kUser : XattrScope::kNone;
    auto sink = Open("out.tar", options);
    Record file = testing::FileRecord("f", "x");
    file.xattrs = blob;
    ASSERT_TRUE(sink->OnRecord(file).ok());
    const TarContents tar = Finished(*sink);
    ASSERT_TRUE(tar.ok) << tar.error;
    using Xattrs = std::vector<std::pair<std::string, std::string>>;
    const Xattrs expected = wanted ? Xattrs{{"user.note", std::string("v\0x", 3)}} : Xattrs{};
    EXPECT_EQ(tar.Find("f")->xattrs, expected) << wanted;
  }
}

TEST_F(TarSinkTest, RefusesWhatNoHonestSourceSends) {
  auto sink = Open();
  EXPECT_EQ(sink->OnRecord(testing::FileRecord("../escape", "x")).code(), Code::kProtocolError);
  EXPECT_EQ(sink->OnRecord(HardlinkRecord("h", "/etc/passwd")).code(), Code::kProtocolError);
  EXPECT_EQ(sink->OnRecord(SymlinkRecord("s", std::string_view("a\0b", 3))).code(),
            Code::kProtocolError);
  EXPECT_EQ(sink->OnStreamData(9, 0, Bytes("x")).code(), Code::kProtocolError);
  EXPECT_EQ(sink->OnStreamEnd(9).code(), Code::kProtocolError);
  ASSERT_TRUE(sink->OnRecord(StreamRecord("big", 1, 10)).ok());
  EXPECT_EQ(sink->OnRecord(StreamRecord("again", 1, 10)).code(), Code::kProtocolError);
  EXPECT_EQ(sink->OnStreamData(1, 8, Bytes("xyz")).code(), Code::kProtocolError);
  EXPECT_EQ(sink->OnStreamData(1, UINT64_MAX, Bytes("x")).code(), Code::kProtocolError);
  ASSERT_TRUE(sink->OnStreamEnd(1).ok());
  EXPECT_EQ(sink->OnRecord(StreamRecord("reused", 1, 10)).code(), Code::kProtocolError);
  ASSERT_TRUE(sink->Finish().ok());  // refused records do not break the archive
  EXPECT_EQ(ReadTar(scratch_ / "out.tar").Paths(), std::vector<std::string>{"big"});
}

TEST_F(TarSinkTest, RefusesTooManyStreamFilesInFlight) {
  auto sink = Open();
  std::vector<std::string> names;
  for (size_t i = 0; i < TarSink::kMaxPendingStreams + 1; ++i)
    names.push_back("f" + std::to_string(i));
  for (size_t i = 0; i < TarSink::kMaxPendingStreams; ++i) {
    ASSERT_TRUE(sink->OnRecord(StreamRecord(names[i], i, 1)).ok()) << i;
  }
  const uint64_t last = TarSink::kMaxPendingStreams;
  EXPECT_EQ(sink->OnRecord(StreamRecord(names[last], last, 1)).code(), Code::kProtocolError);
}

TEST_F(TarSinkTest, FailsWhenTheDirectoryDoesNotExist) {
  auto sink = TarSink::Open(scratch_ / "missing/out.tar", {});
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().code(), Code::kNotFound);
  EXPECT_NE(sink.status().message().find("out.tar.partial"), std::string::npos);
}

}  // namespace
}  // namespace diskferry
