// Selection in the guest, over Serve through both lanes: an extraction with include and
// exclude patterns sends only the selected entries and the directories on the way to
// them, never opens an unselected file and never lists a directory below which nothing
// can be selected (inotify sees every open, whatever the caller's privileges); entry
// paths map to guest paths for several start paths, a file as start path and ranges; bad
// patterns are refused before a transfer starts.
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "tests/daemon/transfer_fixture.h"

namespace diskferry::daemon::testing {
namespace {

// The events `mask` of one directory and of the entries directly in it, as inotify queued
// them: the kernel queues an event during the call itself (open: IN_OPEN; reading a file
// or listing a directory: IN_ACCESS), so every one made before Opened() is there.
class OpenWatch {
 public:
  explicit OpenWatch(const std::string& dir, uint32_t mask = IN_OPEN | IN_ACCESS)
      : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    EXPECT_GE(fd_, 0);
    EXPECT_GE(::inotify_add_watch(fd_, dir.c_str(), mask), 0) << dir;
  }
  ~OpenWatch() { ::close(fd_); }
  OpenWatch(const OpenWatch&) = delete;
  OpenWatch& operator=(const OpenWatch&) = delete;

  // The names of the events since the last call; "." for the directory itself.
  std::multiset<std::string> Opened() {
    std::multiset<std::string> names;
    alignas(inotify_event) char buf[64 << 10];
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
        names.insert(e->len == 0 ? "." : std::string(e->name));
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
    return names;
  }

 private:
  int fd_;
};

std::vector<std::string> Paths(const Extracted& x) {
  std::vector<std::string> paths;
  for (const DecodedRecord& r : x.records) paths.push_back(r.path);
  return paths;
}

class SelectTransferTest : public TransferTest {
 protected:
  void SetUp() override {
    TransferTest::SetUp();
    for (const char* dir : {"/data", "/data/keep", "/data/skip", "/data/skip/sub", "/other"}) {
      ASSERT_EQ(::mkdir(Host(dir).c_str(), 0755), 0) << dir;
    }
    for (const char* file : {"/data/keep/a.txt", "/data/keep/z.txt", "/data/skip/b.txt",
                             "/data/skip/sub/c.txt", "/other/o.txt"}) {
      WriteFile(file, std::string("bytes of ") + file);
    }
  }

  void WriteFile(const std::string& path, const std::string& content) {
    const int fd = ::open(Host(path).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
  }

  // A chain of directories under `dir` whose deepest path passes kMaxRecordPath: a walk
  // that reaches it reports an error on the last directory it could name.
  void MakeTooDeep(const std::string& dir) {
    const std::string name(250, 'd');
    int fd = ::open(Host(dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t length = dir.size(); length <= kMaxRecordPath; length += name.size() + 1) {
      ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
      const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      ::close(fd);
      fd = next;
    }
    ::close(fd);
  }
};

INSTANTIATE_TEST_SUITE_P(Lanes, SelectTransferTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Shm" : "Socket"; });

TEST_P(SelectTransferTest, ExcludedFilesAreNeverOpenedNorExcludedDirectoriesListed) {
  OpenWatch keep(Host("/data/keep")), skip(Host("/data/skip")), sub(Host("/data/skip/sub")),
      other(Host("/other"));
  const Extracted x = ExtractAll({"/"}, 256 << 10, true, {}, {{"/data/**"}, {"/data/skip"}});
  EXPECT_EQ(Paths(x),
            (std::vector<std::string>{"data", "data/keep", "data/keep/a.txt", "data/keep/z.txt"}));
  ASSERT_NE(x.Find("data/keep/a.txt"), nullptr);
  EXPECT_EQ(x.Find("data/keep/a.txt")->data, "bytes of /data/keep/a.txt");
  // What was selected was listed and opened: the watches see opens.
  const std::multiset<std::string> kept = keep.Opened();
  EXPECT_TRUE(kept.contains(".") && kept.contains("a.txt") && kept.contains("z.txt"));
  EXPECT_EQ(skip.Opened(), std::multiset<std::string>{});
  EXPECT_EQ(sub.Opened(), std::multiset<std::string>{});
  EXPECT_EQ(other.Opened(), std::multiset<std::string>{});
}

TEST_P(SelectTransferTest, WhatLiesUnderAnExcludedPathGivesNoErrorRecord) {
  MakeTooDeep("/data/skip/sub");
  ASSERT_EQ(::chmod(Host("/data/skip/sub").c_str(), 0), 0);
  ASSERT_EQ(::chmod(Host("/data/skip/b.txt").c_str(), 0), 0);
  const Extracted all = ExtractAll({"/data"}, 256 << 10, false);
  const auto errors = [](const Extracted& x) {
    return std::count_if(x.records.begin(), x.records.end(),
                         [](const DecodedRecord& r) { return r.meta.type == RecordType::kError; });
  };
  EXPECT_GE(errors(all), 1);  // the path too long, at least (and mode 000 when not root)
  const Extracted selected = ExtractAll({"/data"}, 256 << 10, false, {}, {{}, {"/data/skip"}});
  EXPECT_EQ(errors(selected), 0);
  EXPECT_EQ(Paths(selected),
            (std::vector<std::string>{"data", "data/keep", "data/keep/a.txt", "data/keep/z.txt"}));
  ASSERT_EQ(::chmod(Host("/data/skip/sub").c_str(), 0755), 0);
}

TEST_P(SelectTransferTest, DirectoriesOnTheWayComeButNotTheirUnselectedEntries) {
  OpenWatch keep(Host("/data/keep"));
  const Extracted x = ExtractAll({"/"}, 256 << 10, true, {}, {{"/data/keep/a.txt"}, {}});
  EXPECT_EQ(Paths(x), (std::vector<std::string>{"data", "data/keep", "data/keep/a.txt"}));
  EXPECT_EQ(x.Find("data")->meta.type, RecordType::kDirectory);
  const std::multiset<std::string> opened = keep.Opened();
  EXPECT_TRUE(opened.contains("a.txt"));
  EXPECT_FALSE(opened.contains("z.txt"));
}

TEST_P(SelectTransferTest, ADirectorySelectedAloneIsSentButNotListed) {
  OpenWatch listed(Host("/data"), IN_ACCESS);
  ExtractAll({"/data"}, 256 << 10, true);
  EXPECT_TRUE(listed.Opened().contains("."));
  const Extracted x = ExtractAll({"/"}, 256 << 10, true, {}, {{"/data"}, {}});
  EXPECT_EQ(Paths(x), (std::vector<std::string>{"data"}));
  EXPECT_FALSE(listed.Opened().contains("."));
}

TEST_P(SelectTransferTest, PatternsMatchGuestPathsWhateverTheStartPaths) {
  // Entry paths are relative to each start path's parent: "keep/a.txt" is /data/keep/a.txt
  // and "o.txt" (a file as start path) is /other/o.txt.
  const Extracted x = ExtractAll({"/data/keep", "/other/o.txt", "/data/skip"}, 256 << 10, true, {},
                                 {{"/data/keep/a.txt", "/other/**"}, {}});
  EXPECT_EQ(Paths(x), (std::vector<std::string>{"keep", "keep/a.txt", "o.txt"}));
  EXPECT_EQ(x.Find("o.txt")->data, "bytes of /other/o.txt");
  // A start path the selection leaves out, and one inside an excluded directory.
  EXPECT_TRUE(ExtractAll({"/other"}, 256 << 10, true, {}, {{"/data/**"}, {}}).records.empty());
  EXPECT_TRUE(
      ExtractAll({"/data/skip/sub"}, 256 << 10, true, {}, {{}, {"/data/skip"}}).records.empty());
}

TEST_P(SelectTransferTest, RangesOfASelectiveWalkCarryItExactlyOnce) {
  const SelectPatterns select{{"/data/**", "/other/o.txt"}, {"/data/skip/sub"}};
  const Extracted whole = ExtractAll({"/"}, 256 << 10, true, {}, select);
  EXPECT_EQ(Paths(whole),
            (std::vector<std::string>{"data", "data/keep", "data/keep/a.txt", "data/keep/z.txt",
                                      "data/skip", "data/skip/b.txt", "other", "other/o.txt"}));
  for (const std::string cut : {"data/keep", "data/keep/z.txt", "data/skip/sub", "other"}) {
    std::vector<std::string> got;
    for (const WalkRange& range : {WalkRange{"", cut}, WalkRange{cut, ""}}) {
      for (const DecodedRecord& r : ExtractAll({"/"}, 256 << 10, true, range, select).records) {
        if (InWalkRange(range, r.path)) got.push_back(r.path);
      }
    }
    EXPECT_EQ(got, Paths(whole)) << cut;
  }
}

TEST_P(SelectTransferTest, AHardLinkWhoseOtherPathIsNotSelectedComesAsAFile) {
  ASSERT_EQ(::link(Host("/data/skip/b.txt").c_str(), Host("/data/keep/b-link").c_str()), 0);
  const Extracted all = ExtractAll({"/"}, 256 << 10, false);
  ASSERT_NE(all.Find("data/skip/b.txt"), nullptr);
  EXPECT_EQ(all.Find("data/skip/b.txt")->meta.type, RecordType::kHardlink);
  const Extracted y = ExtractAll({"/"}, 256 << 10, false, {}, {{}, {"/data/keep/b-link"}});
  ASSERT_NE(y.Find("data/skip/b.txt"), nullptr);
  EXPECT_EQ(y.Find("data/skip/b.txt")->meta.type, RecordType::kFile);
  EXPECT_EQ(y.Find("data/skip/b.txt")->data, "bytes of /data/skip/b.txt");
}

TEST_P(SelectTransferTest, BadPatternsAreRefusedBeforeATransferStarts) {
  auto start = [&](const SelectPatterns& select) {
    return CallError(ExtractStartRequest({"/"}, 1024, false, shm(), {}, select));
  };
  EXPECT_EQ(start({{"data/**"}, {}}), "EINVAL");
  EXPECT_EQ(start({{}, {"/data/"}}), "EINVAL");
  EXPECT_EQ(start({{"/[z-a]"}, {}}), "EINVAL");
  EXPECT_EQ(start({{"/" + std::string(kMaxGlobBytes, 'a')}, {}}), "EINVAL");
  EXPECT_EQ(start({std::vector<std::string>(kMaxSelectPatterns + 1, "/data"), {}}), "EINVAL");
  EXPECT_EQ(start({{}, std::vector<std::string>(kMaxSelectPatterns + 1, "/data")}), "EINVAL");
  // At the limits, a transfer starts (and the daemon is still serving).
  const Extracted x = ExtractAll({"/"}, 1024, false, {},
                                 {std::vector<std::string>(kMaxSelectPatterns, "/other/o.txt"),
                                  {"/" + std::string(kMaxGlobBytes - 1, 'a')}});
  EXPECT_EQ(Paths(x), (std::vector<std::string>{"other", "other/o.txt"}));
}

}  // namespace
}  // namespace diskferry::daemon::testing
