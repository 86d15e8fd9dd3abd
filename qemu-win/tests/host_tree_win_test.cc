// The Windows halves of the host tree writer and reader (qemu-win/host_tree.cmake) in a
// scratch directory: a tree written and read back, times, names Windows cannot hold,
// paths leaving DEST, what Windows cannot create, replacing entries, and reparse points
// (skipped with the reason where the system cannot make one, as under wine).
#include <gtest/gtest.h>
#include <windows.h>
#include <winioctl.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sinks/beneath_dir.h"
#include "sinks/host_tree_reader.h"
#include "sinks/host_tree_writer.h"
#include "protocol/source_file.h"
#include "qemu-win/files_win.h"
#include "qemu-win/host_tree_nt_win.h"

namespace diskferry {
namespace {

namespace fs = std::filesystem;

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Record Make(RecordType type, std::string_view path, uint32_t mode) {
  Record r;
  r.meta.type = type;
  r.meta.mode = mode;
  r.meta.nlink = 1;
  r.meta.atime_ns = 1'500'000'000'000'000'000;
  r.meta.mtime_ns = 1'500'000'000'000'000'000;
  r.path = path;
  return r;
}
Record FileRecord(std::string_view path, std::string_view data) {
  Record r = Make(RecordType::kFile, path, 0100644);
  r.meta.size = data.size();
  r.data = Bytes(data);
  return r;
}
Record DirRecord(std::string_view path) { return Make(RecordType::kDirectory, path, 040755); }
Record LinkRecord(RecordType type, std::string_view path, std::string_view target) {
  Record r = Make(type, path, type == RecordType::kSymlink ? 0120777 : 0100644);
  r.target = target;
  return r;
}
Record StreamRecord(std::string_view path, uint64_t file_id, uint64_t size) {
  Record r = Make(RecordType::kStreamFile, path, 0100644);
  r.meta.file_id = file_id;
  r.meta.size = size;
  return r;
}

// A scratch directory holding DEST and, beside it, "outside" (what must stay untouched).
class HostTreeWinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wchar_t tmp[MAX_PATH + 1];
    ASSERT_GT(::GetTempPathW(MAX_PATH + 1, tmp), 0u);
    root_ = fs::path(tmp) / ("df_host_tree_" + std::to_string(::GetCurrentProcessId()) + "_" +
                             std::to_string(::GetTickCount64()));
    fs::create_directories(root_ / "dest");
    fs::create_directories(root_ / "outside");
    dest_ = internal::WideToUtf8((root_ / "dest").wstring());
  }
  void TearDown() override {
    // Junctions first, so that removing the tree cannot reach through one.
    for (const std::wstring& link : links_) ::RemoveDirectoryW(link.c_str());
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<HostTreeWriter> OpenWriter(HostWriterOptions options = {}) {
    auto writer = HostTreeWriter::Open(dest_, options);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? std::move(*writer) : nullptr;
  }
  std::string Dest(const std::string& rel) const { return dest_ + "\\" + rel; }
  static std::string Problems(const HostTreeWriter& w) {
    std::string all;
    for (const FileProblem& p : w.report().problems.items())
      all += p.path + ": " + p.message + "\n";
    return all;
  }
  // Every entry the reader yields for `sources`, by path; file contents read whole.
  struct Seen {
    RecordMeta meta;
    std::string target;
    std::string content;
  };
  std::map<std::string, Seen> ReadBack(std::vector<std::string> sources,
                                       std::vector<std::string>* order = nullptr,
                                       std::string* problems = nullptr) {
    std::map<std::string, Seen> seen;
    auto reader = HostTreeReader::Open(std::move(sources), {});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return seen;
    for (;;) {
      auto next = (*reader)->Next();
      EXPECT_TRUE(next.ok());
      if (!next.ok() || !next->has_value()) break;
      SourceEntry& e = **next;
      Seen s{e.meta, e.target, {}};
      if (e.fd >= 0) {
        s.content.resize(e.meta.size);
        EXPECT_EQ(ReadSourceAt(e.fd, 0, reinterpret_cast<uint8_t*>(s.content.data()), e.meta.size),
                  static_cast<int64_t>(e.meta.size));
        CloseSourceFd(&e.fd);
      }
      if (order != nullptr) order->push_back(e.path);
      seen[e.path] = std::move(s);
    }
    if (problems != nullptr) {
      for (const FileProblem& p : (*reader)->problems().items())
        *problems += p.path + ": " + p.message + "\n";
    }
    return seen;
  }
  static std::vector<std::string> List(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
      names.push_back(internal::WideToUtf8(e.path().filename().wstring()));
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  // A junction `link` -> `target`: an NTFS mount point reparse point. False where the
  // system cannot make one (wine).
  bool MakeJunction(const fs::path& link, const fs::path& target, std::string* why) {
    if (!::CreateDirectoryW(link.c_str(), nullptr)) {
      *why = "CreateDirectoryW failed";
      return false;
    }
    links_.push_back(link.wstring());
    internal::UniqueHandle h(
        ::CreateFileW(link.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                      FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    const std::wstring sub = L"\\??\\" + target.wstring();
    const size_t bytes = sub.size() * sizeof(wchar_t);
    std::vector<unsigned char> buf(8 + 8 + 2 * (bytes + sizeof(wchar_t)));
    auto put16 = [&](size_t at, size_t v) { buf[at] = v & 0xff, buf[at + 1] = (v >> 8) & 0xff; };
    const DWORD tag = IO_REPARSE_TAG_MOUNT_POINT;
    std::memcpy(buf.data(), &tag, 4);
    put16(4, buf.size() - 8);
    put16(8, 0);                         // substitute name offset
    put16(10, bytes);                    // substitute name length
    put16(12, bytes + sizeof(wchar_t));  // print name offset
    put16(14, bytes);                    // print name length
    std::memcpy(buf.data() + 16, sub.data(), bytes);
    std::memcpy(buf.data() + 16 + bytes + sizeof(wchar_t), sub.data(), bytes);
    DWORD returned = 0;
    if (!h || !::DeviceIoControl(h.get(), FSCTL_SET_REPARSE_POINT, buf.data(),
                                 static_cast<DWORD>(buf.size()), nullptr, 0, &returned, nullptr)) {
      *why = "FSCTL_SET_REPARSE_POINT failed with Win32 error " + std::to_string(::GetLastError());
      return false;
    }
    const DWORD attributes = ::GetFileAttributesW(link.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0) {
      *why = "FSCTL_SET_REPARSE_POINT claimed success but made no reparse point";
      return false;
    }
    return true;
  }

  fs::path root_;
  std::string dest_;
  std::vector<std::wstring> links_;
};

TEST_F(HostTreeWinTest, WritesATreeAndReadsItBack) {
  auto w = OpenWriter();
  const std::string big_head = "head", big_tail = "tail";
  const uint64_t big_size = 3 << 20;
  ASSERT_TRUE(w->OnRecord(DirRecord("d")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("d/a.txt", "hello")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("d/\xC3\xBCn\xC3\xAF \xE2\x98\x83.txt", "snow")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("d/empty", "")).ok());
  ASSERT_TRUE(w->OnRecord(StreamRecord("d/big", 7, big_size)).ok());
  ASSERT_TRUE(w->OnStreamData(7, (2 << 20), Bytes(big_tail)).ok());
  ASSERT_TRUE(w->OnStreamData(7, 0, Bytes(big_head)).ok());
  ASSERT_TRUE(w->OnStreamEnd(7).ok());
  ASSERT_TRUE(w->OnRecord(LinkRecord(RecordType::kHardlink, "d/link", "d/a.txt")).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Problems(*w), "");
  EXPECT_EQ(w->stats().files, 4u);
  EXPECT_EQ(w->stats().dirs, 1u);
  EXPECT_EQ(w->stats().hardlinks, 1u);
  EXPECT_FALSE(w->preserves_owner());

  std::vector<std::string> order;
  auto seen = ReadBack({Dest("d")}, &order);
  EXPECT_EQ(order, (std::vector<std::string>{"d", "d/a.txt", "d/big", "d/empty", "d/link",
                                             "d/\xC3\xBCn\xC3\xAF \xE2\x98\x83.txt"}));
  EXPECT_EQ(seen["d"].meta.type, RecordType::kDirectory);
  EXPECT_EQ(seen["d"].meta.mode, 040755u);
  EXPECT_EQ(seen["d/a.txt"].meta.mode, 0100644u);
  EXPECT_EQ(seen["d/a.txt"].content, "hello");
  EXPECT_EQ(seen["d/a.txt"].meta.nlink, 2u);
  EXPECT_EQ(seen["d/link"].meta.type, RecordType::kHardlink);
  EXPECT_EQ(seen["d/link"].target, "d/a.txt");
  EXPECT_EQ(seen["d/\xC3\xBCn\xC3\xAF \xE2\x98\x83.txt"].content, "snow");
  const std::string& big = seen["d/big"].content;
  ASSERT_EQ(big.size(), big_size);
  EXPECT_EQ(big.substr(0, 4), big_head);
  EXPECT_EQ(big.substr(2 << 20, 4), big_tail);
  EXPECT_EQ(big.find_first_not_of('\0', 4), size_t{2 << 20});
}

TEST_F(HostTreeWinTest, SetsFileAndDirectoryTimes) {
  auto w = OpenWriter();
  Record dir = DirRecord("d");
  dir.meta.mtime_ns = 1'234'567'890'123'456'700;
  Record file = FileRecord("d/f", "x");
  file.meta.atime_ns = 1'111'111'111'000'000'000;
  file.meta.mtime_ns = 1'600'000'000'987'654'300;
  Record old = FileRecord("d/old", "x");
  old.meta.mtime_ns = -1'000'000'000;  // 1969: before the Unix epoch, after 1601
  Record ancient = FileRecord("d/ancient", "x");
  // 1920: NTFS goes back to 1601, but under wine the Linux filesystem behind it keeps times
  // from 1901 only.
  ancient.meta.mtime_ns = -1'577'836'799'999'999'900;
  ASSERT_TRUE(w->OnRecord(dir).ok());
  ASSERT_TRUE(w->OnRecord(file).ok());
  ASSERT_TRUE(w->OnRecord(old).ok());
  ASSERT_TRUE(w->OnRecord(ancient).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Problems(*w), "");
  auto seen = ReadBack({Dest("d")});
  EXPECT_EQ(seen["d"].meta.mtime_ns, dir.meta.mtime_ns);
  EXPECT_EQ(seen["d/f"].meta.mtime_ns, file.meta.mtime_ns);
  EXPECT_EQ(seen["d/f"].meta.atime_ns, file.meta.atime_ns);
  EXPECT_EQ(seen["d/old"].meta.mtime_ns, old.meta.mtime_ns);
  EXPECT_EQ(seen["d/ancient"].meta.mtime_ns, ancient.meta.mtime_ns);
}

TEST(HostTreeNtWinTest, FileTimesRoundTripInHundredsOfNanoseconds) {
  for (int64_t ns : {int64_t{0}, int64_t{-100}, int64_t{1'700'000'000'123'456'700},
                     INT64_MIN / 100 * 100, INT64_MAX / 100 * 100}) {
    EXPECT_EQ(internal::NsFromFileTime(internal::FileTimeFromNs(ns)), ns) << ns;
  }
  EXPECT_EQ(internal::NsFromFileTime(internal::FileTimeFromNs(199)), 100);  // rounded down
  EXPECT_EQ(internal::NsFromFileTime(internal::FileTimeFromNs(-199)), -200);
  const FILETIME epoch = internal::FileTimeFromNs(0);
  EXPECT_EQ((uint64_t{epoch.dwHighDateTime} << 32) | epoch.dwLowDateTime, 116444736000000000u);
  const FILETIME year_1601 = {0, 0};
  EXPECT_EQ(internal::NsFromFileTime(year_1601), INT64_MIN);  // clamped
}

TEST(HostTreeNtWinTest, KnowsWhichNamesWindowsCannotHold) {
  for (const char* ok : {"a", "CONSOLE", "con_", "COM10", "LPT", "COMx", ".hidden", "a.b.c",
                         "\xC3\xBC", "nul-", "auxiliary.txt"}) {
    EXPECT_EQ(internal::WindowsNameProblem(ok), std::nullopt) << ok;
  }
  const std::pair<std::string, std::string> bad[] = {
      {"CON", "\"CON\" is a reserved device name on Windows"},
      {"con.txt", "\"con.txt\" is a reserved device name on Windows"},
      {"NUL.tar.gz", "reserved device name"},
      {"Aux .c", "reserved device name"},
      {"com1", "reserved device name"},
      {"LPT9.log", "reserved device name"},
      {"COM\xC2\xB9", "reserved device name"},
      {"CONOUT$", "reserved device name"},
      {"dot.", "\"dot.\" ends in a dot or a space, which Windows drops"},
      {"space ", "ends in a dot or a space"},
      {"a:b", "\"a:b\" holds ':', which Windows names cannot"},
      {"C:\\Windows", "holds ':'"},
      {"back\\slash", "holds '\\'"},
      {"q?", "holds '?'"},
      {"s*", "holds '*'"},
      {"p|", "holds '|'"},
      {"<", "holds '<'"},
      {">", "holds '>'"},
      {"\"", "holds '\"'"},
      {"ctl\x01", "\"ctl\\x01\" holds a control character"},
      {"\xff\xfe", "is not valid UTF-8"},
      {std::string(256, 'x'), "longer than the 255 UTF-16 units"},
  };
  for (const auto& [name, want] : bad) {
    const auto problem = internal::WindowsNameProblem(name);
    ASSERT_TRUE(problem.has_value()) << name;
    EXPECT_NE(problem->find(want), std::string::npos) << name << ": " << *problem;
  }
  EXPECT_EQ(internal::WindowsPathProblem("a/b/c.txt"), std::nullopt);
  EXPECT_EQ(internal::WindowsPathProblem("a/prn/c.txt").value_or(""),
            "\"prn\" is a reserved device name on Windows");
}

TEST_F(HostTreeWinTest, RefusesNamesWindowsCannotHoldPerFileNamingTheGuestPath) {
  auto w = OpenWriter();
  const std::vector<std::string> bad = {"CON", "aux.txt", "dot.", "a:stream", "C:\\Windows\\x"};
  for (const std::string& name : bad) ASSERT_TRUE(w->OnRecord(FileRecord(name, "x")).ok()) << name;
  ASSERT_TRUE(w->OnRecord(DirRecord("NUL")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("NUL/child", "x")).ok());
  ASSERT_TRUE(w->OnRecord(StreamRecord("lpt1", 3, 10)).ok());
  ASSERT_TRUE(w->OnStreamData(3, 0, Bytes("0123456789")).ok());  // dropped quietly
  ASSERT_TRUE(w->OnStreamEnd(3).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("fine", "x")).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Problems(*w),
            "CON: not created: \"CON\" is a reserved device name on Windows\n"
            "aux.txt: not created: \"aux.txt\" is a reserved device name on Windows\n"
            "dot.: not created: \"dot.\" ends in a dot or a space, which Windows drops\n"
            "a:stream: not created: \"a:stream\" holds ':', which Windows names cannot\n"
            "C:\\Windows\\x: not created: \"C:\\Windows\\x\" holds ':', which Windows names "
            "cannot\n"
            "NUL: not created: \"NUL\" is a reserved device name on Windows\n"
            "NUL/child: not created: \"NUL\" is a reserved device name on Windows\n"
            "lpt1: not created: \"lpt1\" is a reserved device name on Windows\n");
  EXPECT_EQ(List(root_ / "dest"), std::vector<std::string>{"fine"});
  EXPECT_TRUE(List(root_ / "outside").empty());
}

TEST_F(HostTreeWinTest, RefusesPathsLeavingDest) {
  auto w = OpenWriter();
  for (const char* bad : {"../x", "/abs", "a/../../x", "", "a//b"}) {
    EXPECT_EQ(w->OnRecord(FileRecord(bad, "x")).code(), Code::kProtocolError) << bad;
  }
  EXPECT_EQ(w->OnRecord(LinkRecord(RecordType::kHardlink, "h", "../outside/x")).code(),
            Code::kProtocolError);
  EXPECT_TRUE(List(root_ / "dest").empty());
  EXPECT_TRUE(List(root_ / "outside").empty());
  BeneathDir::Parent parent;
  auto dir = BeneathDir::Open(dest_);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->OpenParent("../outside/x", &parent), EINVAL);
  EXPECT_EQ(dir->OpenParent("CON/x", &parent), EINVAL);
}

TEST_F(HostTreeWinTest, BeneathDirOpensParentsAndRefusesFilesOnTheWay) {
  fs::create_directories(root_ / "dest" / "a" / "b");
  { std::ofstream(root_ / "dest" / "a" / "file") << "x"; }
  auto dir = BeneathDir::Open(dest_);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  BeneathDir::Parent parent;
  ASSERT_EQ(dir->OpenParent("a/b/name", &parent), 0);
  EXPECT_EQ(parent.name, "name");
  BY_HANDLE_FILE_INFORMATION info;
  ASSERT_EQ(internal::QueryFile(internal::HandleOfFd(parent.dir.get()), &info), 0);
  EXPECT_TRUE(internal::IsPlainDirectory(info));
  ASSERT_EQ(dir->OpenParent("a/b/again", &parent), 0);  // from the cache
  EXPECT_EQ(dir->OpenParent("a/file/x", &parent), ENOTDIR);
  EXPECT_EQ(dir->OpenParent("a/missing/x", &parent), ENOENT);
  UniqueFd fd;
  EXPECT_EQ(dir->OpenDirectory("a/b", &fd), 0);
  EXPECT_EQ(dir->OpenDirectory("a/file", &fd), ENOTDIR);
  EXPECT_EQ(BeneathDir::Open(Dest("a/file")).status().code(), Code::kIoError);
  EXPECT_EQ(BeneathDir::Open(Dest("missing")).status().code(), Code::kNotFound);
}

TEST_F(HostTreeWinTest, ReportsSymlinksAndSpecialFilesItCannotCreate) {
  auto w = OpenWriter({});
  ASSERT_TRUE(w->OnRecord(LinkRecord(RecordType::kSymlink, "s", "/etc/passwd")).ok());
  ASSERT_TRUE(w->OnRecord(Make(RecordType::kSpecial, "fifo", 010644)).ok());
  ASSERT_TRUE(w->OnRecord(Make(RecordType::kSpecial, "sock", 0140644)).ok());
  ASSERT_TRUE(w->OnRecord(Make(RecordType::kSpecial, "dev", 020644)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Problems(*w),
            "s: symlink to \"/etc/passwd\" not created: Windows needs a privilege to create "
            "symlinks\n"
            "fifo: fifo not created: Windows has no such files\n"
            "sock: socket not created: Windows has no such files\n");
  EXPECT_EQ(w->report().withheld.devices, 1u);  // the safe default, before Windows is asked
  EXPECT_TRUE(List(root_ / "dest").empty());
}

TEST_F(HostTreeWinTest, ADeviceNodeAskedForIsAProblemOnWindows) {
  HostWriterOptions options;
  options.safety.devices = true;
  auto w = OpenWriter(options);
  ASSERT_TRUE(w->OnRecord(Make(RecordType::kSpecial, "dev", 020644)).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(Problems(*w), "dev: device node not created: Windows has no such files\n");
}

TEST_F(HostTreeWinTest, ReplacesExistingFilesEvenReadOnlyAndKeepsWhenAsked) {
  const fs::path f = root_ / "dest" / "f";
  { std::ofstream(f) << "old"; }
  ASSERT_TRUE(::SetFileAttributesW(f.c_str(), FILE_ATTRIBUTE_READONLY));
  fs::create_directories(root_ / "dest" / "full");
  { std::ofstream(root_ / "dest" / "full" / "x") << "x"; }
  {
    HostWriterOptions keep;
    keep.on_exists = OnExists::kKeep;
    auto w = OpenWriter(keep);
    ASSERT_TRUE(w->OnRecord(FileRecord("f", "new")).ok());
    ASSERT_TRUE(w->Finish().ok());
    EXPECT_EQ(Problems(*w), "f: exists, kept: " + std::string(std::strerror(EEXIST)) + "\n");
  }
  auto w = OpenWriter();
  ASSERT_TRUE(w->OnRecord(FileRecord("f", "new")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("full", "x")).ok());
  ASSERT_TRUE(w->Finish().ok());
  auto seen = ReadBack({Dest("f")});
  EXPECT_EQ(seen["f"].content, "new");
  EXPECT_EQ(Problems(*w), "full: not replaced: " + std::string(std::strerror(ENOTEMPTY)) + "\n");
}

TEST_F(HostTreeWinTest, HardLinkAlreadyInPlaceIsKeptEvenUnderANameDifferingInCase) {
  for (int run = 0; run < 2; ++run) {  // the second run is a re-extraction into DEST
    auto w = OpenWriter();
    ASSERT_TRUE(w->OnRecord(FileRecord("a.txt", "data")).ok());
    ASSERT_TRUE(w->OnRecord(LinkRecord(RecordType::kHardlink, "b.txt", "a.txt")).ok());
    // NTFS finds "A.TXT" as "a.txt": replacing it would delete the link's own target.
    ASSERT_TRUE(w->OnRecord(LinkRecord(RecordType::kHardlink, "A.TXT", "a.txt")).ok());
    ASSERT_TRUE(w->Finish().ok());
    EXPECT_EQ(Problems(*w), "") << run;
    EXPECT_EQ(w->stats().hardlinks, 2u) << run;
  }
  auto seen = ReadBack({dest_});
  EXPECT_EQ(seen["dest/a.txt"].content, "data");
  EXPECT_EQ(seen["dest/a.txt"].meta.nlink, 2u);
  EXPECT_EQ(seen["dest/b.txt"].meta.type, RecordType::kHardlink);
}

TEST_F(HostTreeWinTest, StreamFilesPastTheOpenLimitAreReopenedAndUnfinishedOnesRemoved) {
  auto w = OpenWriter();
  constexpr int kFiles = 70;  // more than kMaxOpenStreams
  std::vector<std::string> names;
  for (int i = 0; i < kFiles; ++i) names.push_back("s" + std::to_string(100 + i));
  for (int i = 0; i < kFiles; ++i) ASSERT_TRUE(w->OnRecord(StreamRecord(names[i], i, 4)).ok());
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_TRUE(w->OnStreamData(i, 0, Bytes(names[i])).ok());
    if (i != 5) {
      ASSERT_TRUE(w->OnStreamEnd(i).ok());
    }
  }
  EXPECT_EQ(w->RemoveUnfinished(), 1u);
  EXPECT_EQ(Problems(*w), "");
  auto seen = ReadBack({dest_});
  EXPECT_EQ(seen.size(), size_t{kFiles});  // DEST and all but s105
  EXPECT_EQ(seen.count("dest/s105"), 0u);
  EXPECT_EQ(seen["dest/s169"].content, "s169");
}

TEST_F(HostTreeWinTest, ReaderNamesSourcesAndRefusesMissingDuplicateAndRootOnes) {
  { std::ofstream(root_ / "dest" / "ro") << "r"; }
  ASSERT_TRUE(::SetFileAttributesW((root_ / "dest" / "ro").c_str(), FILE_ATTRIBUTE_READONLY));
  auto seen = ReadBack({Dest("ro"), dest_ + "\\"});
  EXPECT_EQ(seen["ro"].meta.mode, 0100444u);
  EXPECT_EQ(seen.count("dest"), 1u);
  EXPECT_EQ(seen.count("dest/ro"), 1u);
  EXPECT_EQ(HostTreeReader::Open({Dest("missing")}, {}).status().code(), Code::kNotFound);
  EXPECT_EQ(HostTreeReader::Open({Dest("ro"), dest_ + "/ro"}, {}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(HostTreeReader::Open({"C:\\"}, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HostTreeReader::Open({}, {}).status().code(), Code::kInvalidArgument);
}

TEST_F(HostTreeWinTest, NeverFollowsAJunctionWhenWritingOrReading) {
  std::string why;
  if (!MakeJunction(root_ / "dest" / "j", root_ / "outside", &why)) {
    GTEST_SKIP() << "cannot make a junction here (" << why
                 << "); wine 8 has no NTFS reparse points, so this runs on Windows only";
  }
  auto w = OpenWriter();
  ASSERT_TRUE(w->OnRecord(FileRecord("j/x", "escaped")).ok());
  ASSERT_TRUE(w->OnRecord(DirRecord("j/sub")).ok());
  EXPECT_NE(Problems(*w).find("j/x: not created: a parent is a symlink or not a directory"),
            std::string::npos)
      << Problems(*w);
  EXPECT_TRUE(List(root_ / "outside").empty());
  std::string problems;
  auto seen = ReadBack({dest_}, nullptr, &problems);
  EXPECT_EQ(seen.count("dest/j"), 0u);
  EXPECT_EQ(problems,
            "dest/j: skipped: a reparse point (symlink, junction or mount point), not followed\n");
  // A directory record at the junction's path replaces the junction, never its target.
  { std::ofstream(root_ / "outside" / "keep") << "k"; }
  ASSERT_TRUE(w->OnRecord(DirRecord("j")).ok());
  ASSERT_TRUE(w->OnRecord(FileRecord("j/y", "inside")).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(List(root_ / "outside"), std::vector<std::string>{"keep"});
  EXPECT_EQ(List(root_ / "dest" / "j"), std::vector<std::string>{"y"});
}

}  // namespace
}  // namespace diskferry
