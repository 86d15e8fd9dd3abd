// GlobWalkRoot: where a glob delete starts walking (the rest needs a VM:
// tests/integration/inject_steps_test.cc).
#include "runner/guest_delete.h"

#include <gtest/gtest.h>

#include "host/file_mode.h"

namespace diskferry {
namespace {

TEST(GlobWalkRootTest, StopsAtTheFirstWildcardAndNeverIncludesTheLastComponent) {
  EXPECT_EQ(GlobWalkRoot("/etc/*.conf"), "/etc");
  EXPECT_EQ(GlobWalkRoot("/var/log/**/*.gz"), "/var/log");
  EXPECT_EQ(GlobWalkRoot("/var/**/x"), "/var");
  EXPECT_EQ(GlobWalkRoot("/a/b"), "/a");
  EXPECT_EQ(GlobWalkRoot("/*"), "/");
  EXPECT_EQ(GlobWalkRoot("/x"), "/");
  EXPECT_EQ(GlobWalkRoot("/a/[bc]/d"), "/a");
  EXPECT_EQ(GlobWalkRoot("/a/b\\*/c"), "/a") << "escapes are not unescaped here";
}

}  // namespace
}  // namespace diskferry

namespace diskferry {
namespace {

DirEntryInfo Entry(std::string name, uint32_t mode) {
  DirEntryInfo e;
  e.name = std::move(name);
  e.stat.mode = mode;
  return e;
}

// A guest whose every directory holds one more directory "d" and a file "f", for ever.
struct EndlessGuest {
  GuestDeleteOps Ops() {
    return {[](const std::string&) -> Result<FileStat> {
              FileStat st;
              st.mode = kModeDirectory | 0755;
              return st;
            },
            [this](const std::string& dir) -> Result<std::vector<DirEntryInfo>> {
              ++reads;
              deepest = dir.size();
              return std::vector<DirEntryInfo>{Entry("d", kModeDirectory | 0755),
                                               Entry("f", kModeRegular | 0644)};
            },
            [this](const std::string&) {
              ++unlinks;
              return Status::Ok();
            },
            [this](const std::string&) {
              ++rmdirs;
              return Status::Ok();
            }};
  }
  size_t reads = 0, unlinks = 0, rmdirs = 0, deepest = 0;
};

void ExpectMisbehaved(const Status& st, std::string_view fragment) {
  EXPECT_EQ(st.code(), Code::kProtocolError) << st.ToString();
  EXPECT_EQ(st.message().rfind(kMisbehavedPrefix, 0), 0u) << st.message();
  EXPECT_NE(st.message().find(fragment), std::string::npos) << st.message();
}

TEST(GuestWalkTest, AnEndlessChainOfDirectoriesStopsAtThePathLimit) {
  EndlessGuest guest;
  size_t visited = 0;
  Status st = WalkGuestTree("/x", guest.Ops().read_dir,
                            [&](const std::string&, const DirEntryInfo&) -> Result<bool> {
                              ++visited;
                              return true;
                            });
  ExpectMisbehaved(st, "longer than 4096 bytes");
  EXPECT_LE(guest.deepest, kMaxGuestPathBytes);
  EXPECT_EQ(guest.reads, (kMaxGuestPathBytes - 2) / 2 + 1);
}

TEST(GuestWalkTest, VisitsInPreOrderAndLeavesDirectoriesAfterTheirEntries) {
  std::vector<std::string> calls;
  auto read_dir = [](const std::string& dir) -> Result<std::vector<DirEntryInfo>> {
    if (dir == "/r")
      return std::vector<DirEntryInfo>{Entry("a", kModeDirectory | 0755), Entry("b", kModeRegular)};
    return std::vector<DirEntryInfo>{Entry("x", kModeRegular)};
  };
  Status st = WalkGuestTree(
      "/r", read_dir,
      [&](const std::string& path, const DirEntryInfo&) -> Result<bool> {
        calls.push_back(path);
        return true;
      },
      [&](const std::string& dir) {
        calls.push_back("leave " + dir);
        return Status::Ok();
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, (std::vector<std::string>{"/r/a", "/r/a/x", "leave /r/a", "/r/b", "leave /r"}));
}

TEST(GuestWalkTest, RefusesEntryNamesThatAreNotOneComponent) {
  for (std::string bad : {"", ".", "..", "a/b"}) {
    auto read_dir = [&](const std::string&) -> Result<std::vector<DirEntryInfo>> {
      return std::vector<DirEntryInfo>{Entry(bad, kModeRegular)};
    };
    Status st = WalkGuestTree(
        "/r", read_dir,
        [](const std::string&, const DirEntryInfo&) -> Result<bool> { return false; });
    ExpectMisbehaved(st, "lists an entry named");
  }
}

TEST(GuestWalkTest, HoldsAtMostTheBudgetOfWaitingEntries) {
  auto read_dir = [](const std::string&) -> Result<std::vector<DirEntryInfo>> {
    return std::vector<DirEntryInfo>(100, Entry("n", kModeRegular));
  };
  Status st = WalkGuestTree(
      "/r", read_dir, [](const std::string&, const DirEntryInfo&) -> Result<bool> { return false; },
      nullptr, {.records = 50});
  ExpectMisbehaved(st, "more than 50 directory entries");
}

TEST(GuestDeleteTest, RecursiveDeleteOfAnEndlessTreeStopsWithoutHostRecursion) {
  EndlessGuest guest;
  Status st = DeleteGuestPath(guest.Ops(), "/x", /*recursive=*/true);
  ExpectMisbehaved(st, "longer than 4096 bytes");
  EXPECT_EQ(guest.rmdirs, 0u) << "nothing removed that was not emptied";
}

TEST(GuestDeleteTest, GlobDeleteOfAnEndlessTreeStopsAtThePathLimit) {
  EndlessGuest guest;
  auto glob = Glob::Compile("/x/**/f");
  ASSERT_TRUE(glob.ok());
  Result<uint64_t> deleted = DeleteGuestGlob(guest.Ops(), *glob, /*recursive=*/true);
  ExpectMisbehaved(deleted.status(), "longer than 4096 bytes");
  EXPECT_EQ(guest.unlinks, 0u) << "matches are deleted only after the walk";
}

}  // namespace
}  // namespace diskferry
