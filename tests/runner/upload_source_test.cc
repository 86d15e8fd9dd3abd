// UploadSource: renaming the top component of an upload and applying mode/owner overrides.
#include "runner/upload_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <deque>

namespace diskferry {
namespace {

class FakeSource : public TreeSource {
 public:
  void Add(RecordType type, std::string path, uint32_t mode, std::string target = "") {
    SourceEntry e;
    e.meta.type = type;
    e.meta.mode = mode;
    e.meta.uid = 5;
    e.meta.gid = 6;
    e.path = std::move(path);
    e.target = std::move(target);
    entries_.push_back(std::move(e));
  }
  Result<std::optional<SourceEntry>> Next() override {
    if (entries_.empty()) return std::optional<SourceEntry>();
    SourceEntry e = std::move(entries_.front());
    entries_.pop_front();
    return std::optional<SourceEntry>(std::move(e));
  }

 private:
  std::deque<SourceEntry> entries_;
};

std::vector<SourceEntry> Drain(TreeSource* source) {
  std::vector<SourceEntry> out;
  for (;;) {
    auto next = source->Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

void AddTree(FakeSource* inner) {
  inner->Add(RecordType::kDirectory, "conf", S_IFDIR | 0755);
  inner->Add(RecordType::kFile, "conf/a.ini", S_IFREG | 0644);
  inner->Add(RecordType::kSymlink, "conf/link", S_IFLNK | 0777, "a.ini");
  inner->Add(RecordType::kHardlink, "conf/hard", S_IFREG | 0644, "conf/a.ini");
  inner->Add(RecordType::kError, "conf/secret", 0, "Permission denied");
}

TEST(UploadSourceTest, RenamesTheTopComponentAndHardLinkTargetsOnly) {
  FakeSource inner;
  AddTree(&inner);
  UploadSource source(&inner, "conf", "app", {});
  auto got = Drain(&source);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].path, "app");
  EXPECT_EQ(got[1].path, "app/a.ini");
  EXPECT_EQ(got[2].target, "a.ini");
  EXPECT_EQ(got[3].target, "app/a.ini");
  EXPECT_EQ(got[1].meta.mode, S_IFREG | 0644u);
  EXPECT_EQ(got[1].meta.uid, 5u);
}

TEST(UploadSourceTest, ModeAppliesToRegularFilesAndOwnerToEveryEntry) {
  FakeSource inner;
  AddTree(&inner);
  UploadSource source(&inner, "conf", "conf", {.mode = 0600, .uid = 1000, .gid = 1001});
  auto got = Drain(&source);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].meta.mode, S_IFDIR | 0755u);
  EXPECT_EQ(got[1].meta.mode, S_IFREG | 0600u);
  EXPECT_EQ(got[2].meta.mode, S_IFLNK | 0777u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(got[i].meta.uid, 1000u) << got[i].path;
    EXPECT_EQ(got[i].meta.gid, 1001u) << got[i].path;
  }
  EXPECT_EQ(got[4].meta.uid, 5u) << "an error entry was given an owner";
}

TEST(UploadSourceTest, EmptyNewNameDropsTheTopEntryForTheRoot) {
  FakeSource inner;
  AddTree(&inner);
  UploadSource source(&inner, "conf", "", {});
  auto got = Drain(&source);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].path, "a.ini");
  EXPECT_EQ(got[2].path, "hard");
  EXPECT_EQ(got[2].target, "a.ini");
}

TEST(UploadSourceTest, EntryOutsideTheTopIsAnInternalError) {
  FakeSource inner;
  inner.Add(RecordType::kFile, "confx/a", S_IFREG | 0644);
  UploadSource source(&inner, "conf", "app", {});
  auto next = source.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), Code::kInternal);
}

}  // namespace
}  // namespace diskferry
