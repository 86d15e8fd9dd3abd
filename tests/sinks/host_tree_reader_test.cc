#include "sinks/host_tree_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/sinks/tree_test_support.h"

namespace diskferry {
namespace {

using testing::WriteFile;

// Every entry of a walk; regular files' descriptors are read into `content` and closed.
struct Walked {
  SourceEntry entry;
  std::string content;
};

std::vector<Walked> WalkAll(std::vector<std::string> sources, HostReaderOptions options = {},
                            CappedList<FileProblem>* problems = nullptr) {
  auto reader = HostTreeReader::Open(std::move(sources), options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<Walked> out;
  if (!reader.ok()) return out;
  for (;;) {
    auto next = (*reader)->Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) break;
    Walked w{std::move(**next), {}};
    if (w.entry.fd >= 0) {
      w.content.resize(w.entry.meta.size);
      EXPECT_EQ(pread(w.entry.fd, w.content.data(), w.content.size(), 0),
                static_cast<ssize_t>(w.content.size()));
      close(w.entry.fd);
    }
    out.push_back(std::move(w));
  }
  if (problems != nullptr) *problems = (*reader)->problems();
  return out;
}

std::vector<std::string> Paths(const std::vector<Walked>& walked) {
  std::vector<std::string> paths;
  for (const Walked& w : walked) paths.push_back(w.entry.path);
  return paths;
}

const Walked* Find(const std::vector<Walked>& walked, std::string_view path) {
  for (const Walked& w : walked) {
    if (w.entry.path == path) return &w;
  }
  ADD_FAILURE() << "no entry " << path;
  return nullptr;
}

class HostTreeReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(mkdir(src_.c_str(), 0755), 0); }
  testing::ScratchDir scratch_;
  std::string src_ = scratch_ / "src";
};

TEST_F(HostTreeReaderTest, WalksParentsFirstWithChildrenInNameOrder) {
  ASSERT_EQ(mkdir((src_ + "/b").c_str(), 0755), 0);
  WriteFile(src_ + "/b/y", "y");
  WriteFile(src_ + "/b/x", "x");
  WriteFile(src_ + "/a", "a");
  WriteFile(src_ + "/c", "c");
  const auto walked = WalkAll({src_});
  EXPECT_EQ(Paths(walked),
            (std::vector<std::string>{"src", "src/a", "src/b", "src/b/x", "src/b/y", "src/c"}));
  EXPECT_EQ(walked[0].entry.meta.type, RecordType::kDirectory);
  EXPECT_EQ(walked[3].entry.meta.type, RecordType::kFile);
  EXPECT_EQ(walked[3].content, "x");
}

TEST_F(HostTreeReaderTest, NamesEachSourceByItsLastComponent) {
  WriteFile(scratch_ / "file", "f");
  const auto walked = WalkAll({src_ + "/", scratch_ / "file"});
  EXPECT_EQ(Paths(walked), (std::vector<std::string>{"src", "file"}));
}

TEST_F(HostTreeReaderTest, NamesDotByTheDirectoryItIs) {
  ASSERT_EQ(mkdir((src_ + "/sub").c_str(), 0755), 0);
  const auto walked = WalkAll({src_ + "/sub/.", src_ + "/sub/.."});
  EXPECT_EQ(Paths(walked), (std::vector<std::string>{"sub", "src", "src/sub"}));
}

TEST_F(HostTreeReaderTest, OpenRefusesMissingDuplicateAndRootSources) {
  EXPECT_EQ(HostTreeReader::Open({scratch_ / "missing"}, {}).status().code(), Code::kNotFound);
  ASSERT_EQ(mkdir((scratch_ / "other").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((scratch_ / "other/src").c_str(), 0755), 0);
  auto dup = HostTreeReader::Open({src_, scratch_ / "other/src"}, {});
  EXPECT_EQ(dup.status().code(), Code::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("same name \"src\""), std::string::npos);
  EXPECT_EQ(HostTreeReader::Open({"/"}, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HostTreeReader::Open({}, {}).status().code(), Code::kInvalidArgument);
}

TEST_F(HostTreeReaderTest, ReportsHardLinksByTheFirstPath) {
  WriteFile(src_ + "/a", "shared");
  ASSERT_EQ(link((src_ + "/a").c_str(), (src_ + "/b").c_str()), 0);
  WriteFile(scratch_ / "elsewhere", "e");
  ASSERT_EQ(link((scratch_ / "elsewhere").c_str(), (src_ + "/c").c_str()), 0);
  const auto walked = WalkAll({src_});
  const Walked* b = Find(walked, "src/b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->entry.meta.type, RecordType::kHardlink);
  EXPECT_EQ(b->entry.target, "src/a");
  EXPECT_EQ(b->entry.fd, -1);
  // Its other name is outside the walk: this one is the first the walk sees.
  EXPECT_EQ(Find(walked, "src/c")->entry.meta.type, RecordType::kFile);
}

TEST_F(HostTreeReaderTest, HardLinksAcrossSourcesPointAtTheEarlierSource) {
  WriteFile(src_ + "/a", "shared");
  ASSERT_EQ(mkdir((scratch_ / "two").c_str(), 0755), 0);
  ASSERT_EQ(link((src_ + "/a").c_str(), (scratch_ / "two/b").c_str()), 0);
  const auto walked = WalkAll({src_, scratch_ / "two"});
  const Walked* b = Find(walked, "two/b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->entry.meta.type, RecordType::kHardlink);
  EXPECT_EQ(b->entry.target, "src/a");
}

TEST_F(HostTreeReaderTest, NeverFollowsSymlinks) {
  ASSERT_EQ(mkdir((scratch_ / "real").c_str(), 0755), 0);
  WriteFile(scratch_ / "real/inside", "x");
  ASSERT_EQ(symlink((scratch_ / "real").c_str(), (src_ + "/to_dir").c_str()), 0);
  ASSERT_EQ(symlink("../real/inside", (src_ + "/rel").c_str()), 0);
  ASSERT_EQ(symlink("nowhere", (scratch_ / "link_source").c_str()), 0);
  const auto walked = WalkAll({src_, scratch_ / "link_source"});
  EXPECT_EQ(Paths(walked),
            (std::vector<std::string>{"src", "src/rel", "src/to_dir", "link_source"}));
  EXPECT_EQ(walked[1].entry.meta.type, RecordType::kSymlink);
  EXPECT_EQ(walked[1].entry.target, "../real/inside");
  EXPECT_EQ(walked[2].entry.target, scratch_ / "real");
  EXPECT_EQ(walked[3].entry.meta.type, RecordType::kSymlink);
  EXPECT_EQ(walked[3].entry.target, "nowhere");
}

TEST_F(HostTreeReaderTest, SparseFileKeepsItsSizeAndAnOpenDescriptor) {
  const std::string path = src_ + "/sparse";
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "end", 3, (16 << 20) - 3), 3);
  close(fd);
  const auto walked = WalkAll({path});
  ASSERT_EQ(walked.size(), 1u);
  EXPECT_EQ(walked[0].entry.meta.type, RecordType::kFile);
  EXPECT_EQ(walked[0].entry.meta.size, 16u << 20);
  EXPECT_EQ(walked[0].content.substr((16 << 20) - 3), "end");
}

TEST_F(HostTreeReaderTest, PassesAnyNameThroughUnchanged) {
  const std::vector<std::string> names = {"caf\xc3\xa9", "new\nline", "with space",
                                          "\xff\xfe",    "tab\there", "-dash"};
  for (const std::string& name : names) WriteFile(src_ + "/" + name, name);
  const auto walked = WalkAll({src_});
  ASSERT_EQ(walked.size(), names.size() + 1);
  for (const std::string& name : names) {
    const Walked* w = Find(walked, "src/" + name);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->content, name);
    EXPECT_TRUE(ValidateRelativePath(w->entry.path).ok());
  }
}

TEST_F(HostTreeReaderTest, FifosAreSpecialEntries) {
  ASSERT_EQ(mkfifo((src_ + "/fifo").c_str(), 0640), 0);
  const auto walked = WalkAll({src_});
  const Walked* w = Find(walked, "src/fifo");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->entry.meta.type, RecordType::kSpecial);
  EXPECT_TRUE(S_ISFIFO(w->entry.meta.mode));
  EXPECT_EQ(w->entry.fd, -1);
}

TEST_F(HostTreeReaderTest, CarriesMetadataInNanoseconds) {
  WriteFile(src_ + "/f", "abc", 0640);
  testing::SetTimes(src_ + "/f", 1600000000123456789, 1500000000987654321);
  const auto walked = WalkAll({src_});
  const RecordMeta& m = Find(walked, "src/f")->entry.meta;
  EXPECT_EQ(m.mode, 0100640u);
  EXPECT_EQ(m.size, 3u);
  EXPECT_EQ(m.mtime_ns, 1500000000987654321);
  EXPECT_EQ(m.atime_ns, 1600000000123456789);
  EXPECT_EQ(m.uid, geteuid());
}

TEST_F(HostTreeReaderTest, ReadsXattrsOnlyWhenAsked) {
  WriteFile(src_ + "/f", "x");
  ASSERT_EQ(setxattr((src_ + "/f").c_str(), "user.df", "v", 1, 0), 0) << strerror(errno);
  const auto without = WalkAll({src_ + "/f"});
  EXPECT_TRUE(without[0].entry.xattrs.empty());
  HostReaderOptions options;
  options.xattrs = true;
  const auto with = WalkAll({src_ + "/f"}, options);
  auto decoded = DecodeXattrs(with[0].entry.xattrs);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], (std::pair<std::string, std::string>{"user.df", "v"}));
}

TEST_F(HostTreeReaderTest, WalksBelowPathMaxAndSkipsPathsTooLongForARecord) {
  // Built relative to descriptors: the host path passes PATH_MAX on the way down.
  std::string rel = "src";
  const std::string name(250, 'n');
  int dir = open(src_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  while (rel.size() <= kMaxRecordPath) {
    ASSERT_EQ(mkdirat(dir, name.c_str(), 0755), 0) << rel.size();
    const int next = openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    close(dir);
    dir = next;
    rel += "/" + name;
  }
  close(dir);
  CappedList<FileProblem> problems;
  const auto walked = WalkAll({src_}, {}, &problems);
  ASSERT_FALSE(walked.empty());
  EXPECT_EQ(walked.size(), 1 + kMaxRecordPath / 251);
  for (const Walked& w : walked) {
    EXPECT_LE(w.entry.path.size(), kMaxRecordPath);
    EXPECT_EQ(w.entry.meta.type, RecordType::kDirectory) << w.entry.target;
  }
  ASSERT_EQ(problems.total(), 1u);
  EXPECT_NE(problems.items()[0].message.find("path longer than"), std::string::npos);
}

TEST_F(HostTreeReaderTest, UnreadableFilesAndDirectoriesBecomeErrorEntries) {
  ASSERT_EQ(chmod(scratch_.path().c_str(), 0755), 0);
  WriteFile(src_ + "/readable", "r", 0644);
  WriteFile(src_ + "/secret", "s", 0600);
  ASSERT_EQ(mkdir((src_ + "/closed").c_str(), 0700), 0);
  WriteFile(src_ + "/closed/inside", "i");
  // As uid 65534 (or ourselves when not root, where 0000 achieves the same).
  if (geteuid() != 0) {
    ASSERT_EQ(chmod((src_ + "/secret").c_str(), 0), 0);
    ASSERT_EQ(chmod((src_ + "/closed").c_str(), 0), 0);
  }
  const int code = testing::RunUnprivileged([&] {
    auto reader = HostTreeReader::Open({src_}, {});
    if (!reader.ok()) return 10;
    std::string seen;
    for (auto next = (*reader)->Next(); next.ok() && next->has_value(); next = (*reader)->Next()) {
      const SourceEntry& e = **next;
      if (e.fd >= 0) close(e.fd);
      const bool error = e.meta.type == RecordType::kError;
      seen += e.path + (error && e.meta.errno_value == EACCES ? "!" : "") + " ";
    }
    return seen == "src src/closed! src/readable src/secret! " ? 0 : 1;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace diskferry
