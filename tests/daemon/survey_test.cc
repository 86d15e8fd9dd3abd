// The Survey op over Serve against scratch sysroots: counts and weights, checkpoint
// placement and thinning, the extraction's walk order and naming, errors, confinement.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "daemon/guest_tree_reader.h"
#include "protocol/walk_order.h"
#include "tests/daemon/serve_fixture.h"
#include "tests/daemon/tree_samples.h"

namespace diskferry::daemon::testing {
namespace {

struct Checkpoint {
  std::string path;
  uint64_t weight, files, bytes;
  bool operator==(const Checkpoint&) const = default;
};

class SurveyTest : public ScratchServeTest {
 protected:
  static flatbuffers::DetachedBuffer SurveyRequest(const std::string& path, uint64_t step,
                                                   uint64_t entry_weight,
                                                   const SelectPatterns& select = {}) {
    return BuildRequest(1, proto::Op::Survey, [&](flatbuffers::FlatBufferBuilder& fbb) {
      return proto::CreateSurveyRequest(fbb, fbb.CreateString(path), step, entry_weight,
                                        fbb.CreateVectorOfStrings(select.include),
                                        fbb.CreateVectorOfStrings(select.exclude))
          .Union();
    });
  }

  // The reply to a Survey that must succeed (null, and a test failure, otherwise).
  const proto::SurveyReply* Survey(const std::string& path, uint64_t step, uint64_t entry_weight,
                                   const SelectPatterns& select = {}) {
    const proto::Response* response = CallOk(SurveyRequest(path, step, entry_weight, select));
    return response == nullptr ? nullptr : response->reply_as_Survey();
  }

  static std::vector<Checkpoint> Checkpoints(const proto::SurveyReply* reply) {
    std::vector<Checkpoint> out;
    for (const proto::SurveyCheckpoint* c : *reply->checkpoints()) {
      out.push_back({std::string(View(c->path())), c->weight(), c->files(), c->bytes()});
    }
    return out;
  }

  // The entry paths an extraction of `start` gives, in its order.
  std::vector<std::string> ExtractionWalk(const std::string& start) {
    OpResult<std::unique_ptr<GuestTreeReader>> reader =
        GuestTreeReader::Create(root(), {start}, false);
    EXPECT_TRUE(reader.ok());
    std::vector<std::string> paths;
    for (;;) {
      Result<std::optional<SourceEntry>> next = (*reader)->Next();
      if (!next.ok() || !next->has_value()) break;
      if ((*next)->fd >= 0) ::close((*next)->fd);
      paths.push_back((*next)->path);
    }
    return paths;
  }

  void Put(const std::string& path, size_t size) {
    std::ofstream(Host(path)) << std::string(size, 'x');
  }
  void Mkdir(const std::string& path) { ASSERT_EQ(::mkdir(Host(path).c_str(), 0755), 0); }
};

// /s: a 100, b 0, h1 1000 (hard-linked as sub/h2), l -> a, fifo, sub/, sub/c 50.
class SurveyCountsTest : public SurveyTest {
 protected:
  void SetUp() override {
    SurveyTest::SetUp();
    Mkdir("/s");
    Mkdir("/s/sub");
    Put("/s/a", 100);
    Put("/s/b", 0);
    Put("/s/h1", 1000);
    Put("/s/sub/c", 50);
    ASSERT_EQ(::link(Host("/s/h1").c_str(), Host("/s/sub/h2").c_str()), 0);
    ASSERT_EQ(::symlink("a", Host("/s/l").c_str()), 0);
    ASSERT_EQ(::mkfifo(Host("/s/fifo").c_str(), 0644), 0);
  }
};

TEST_F(SurveyCountsTest, CountsEachKindAndTheBytesOfEachInodeOnce) {
  const proto::SurveyReply* s = Survey("/s", 0, 0);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->files(), 5u) << "a b h1 sub/c sub/h2";
  EXPECT_EQ(s->directories(), 2u);
  EXPECT_EQ(s->others(), 2u) << "l fifo";
  EXPECT_EQ(s->bytes(), 1150u) << "h1 once";
  EXPECT_EQ(s->weight(), 1150u);
  EXPECT_EQ(s->errors(), 0u);
  EXPECT_EQ(s->checkpoints()->size(), 0u) << "checkpoint weight 0: none";
  s = Survey("/s/", 0, 10);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->weight(), 1150u + 9 * 10) << "nine entries";
}

TEST_F(SurveyCountsTest, CheckpointsSitWhereTheWeightSinceTheLastReachesTheStep) {
  // Walk: s(10) a(110) b(10) fifo(10) h1(1010) l(10) sub(10) sub/c(60) sub/h2(10).
  const proto::SurveyReply* s = Survey("/s", 30, 10);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Checkpoints(s),
            (std::vector<Checkpoint>{
                {"s/a", 120, 1, 100}, {"s/h1", 1150, 3, 1100}, {"s/sub/c", 1230, 4, 1150}}));
  EXPECT_EQ(s->weight(), 1240u);
}

TEST_F(SurveyCountsTest, StartsThatAreNoDirectoryCountAsOneEntry) {
  const proto::SurveyReply* s = Survey("/s/l", 1, 1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->others(), 1u) << "a symlink start is not followed";
  EXPECT_EQ(Checkpoints(s), (std::vector<Checkpoint>{{"l", 1, 0, 0}}));
  s = Survey("/s/h1", 1, 1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Checkpoints(s), (std::vector<Checkpoint>{{"h1", 1001, 1, 1000}}));
}

TEST_F(SurveyCountsTest, MissingStartIsOneErrorAndStartsThatNameNoEntryAreEinval) {
  const proto::SurveyReply* s = Survey("/nope", 1, 7);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->errors(), 1u);
  EXPECT_EQ(s->weight(), 7u);
  EXPECT_EQ(s->files() + s->directories() + s->others(), 0u);
  EXPECT_EQ(CallError(SurveyRequest("/s/..", 1, 1)), "EINVAL");
  EXPECT_EQ(CallError(SurveyRequest("s", 1, 1)), "EINVAL");
  EXPECT_EQ(CallError(SurveyRequest("", 1, 1)), "EINVAL");
}

TEST_F(SurveyCountsTest, OnlySelectedEntriesCount) {
  // /s is walked on the way to /s/sub and counts for nothing; h2 weighs its size, since
  // its other path h1 is not selected (an extraction sends it as a file).
  const proto::SurveyReply* s = Survey("/s", 1, 1, {{"/s/sub/**"}, {}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->files(), 2u) << "sub/c sub/h2";
  EXPECT_EQ(s->directories(), 1u) << "sub";
  EXPECT_EQ(s->others(), 0u);
  EXPECT_EQ(s->bytes(), 1050u);
  EXPECT_EQ(s->weight(), 1053u);
  EXPECT_EQ(Checkpoints(s),
            (std::vector<Checkpoint>{
                {"s/sub", 1, 0, 0}, {"s/sub/c", 52, 1, 50}, {"s/sub/h2", 1053, 2, 1050}}));
  s = Survey("/s", 0, 0, {{}, {"/s/sub", "/s/l"}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->files(), 3u) << "a b h1";
  EXPECT_EQ(s->directories(), 1u) << "s";
  EXPECT_EQ(s->others(), 1u) << "fifo";
  EXPECT_EQ(s->bytes(), 1100u);
  s = Survey("/", 0, 0, {{"/elsewhere/**"}, {}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->files() + s->directories() + s->others() + s->errors(), 0u);
  EXPECT_EQ(CallError(SurveyRequest("/s", 1, 1, {{"s/**"}, {}})), "EINVAL");
  EXPECT_EQ(CallError(SurveyRequest("/s", 1, 1, {{}, {"/s/[a"}})), "EINVAL");
}

TEST_F(SurveyTest, CheckpointPathsAreTheExtractionWalk) {
  Mkdir("/tree");
  if (!BuildSampleTree(Host("/tree"))) GTEST_SKIP() << "no user xattrs on this host";
  for (const std::string start : {"/tree", "/"}) {
    const proto::SurveyReply* s = Survey(start, 1, 1);
    ASSERT_NE(s, nullptr);
    std::vector<std::string> paths;
    for (const Checkpoint& c : Checkpoints(s)) paths.push_back(c.path);
    EXPECT_EQ(paths, ExtractionWalk(start)) << start;
    EXPECT_EQ(s->weight(), paths.size() + s->bytes());
  }
}

TEST_F(SurveyTest, PastTheCapEveryOtherCheckpointGoesAndTheStepDoubles) {
  Mkdir("/many");
  for (int i = 0; i < 5000; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/many/f%04d", i);
    Put(name, 0);
  }
  const proto::SurveyReply* s = Survey("/many", 1, 1);
  ASSERT_NE(s, nullptr);
  // 5001 entries of weight 1: one checkpoint each until the 4097th, then the even ones
  // are kept (2, 4, ... 4096) and one comes every second entry (4098 ... 5000).
  const std::vector<Checkpoint> checkpoints = Checkpoints(s);
  ASSERT_EQ(checkpoints.size(), 2500u);
  for (size_t k = 0; k < checkpoints.size(); ++k) {
    const uint64_t weight = 2 * (k + 1);
    char name[32];
    std::snprintf(name, sizeof name, "many/f%04d", static_cast<int>(weight - 2));
    ASSERT_EQ(checkpoints[k], (Checkpoint{name, weight, weight - 1, 0})) << k;
  }
}

TEST_F(SurveyTest, LongCheckpointPathsAreThinnedBeforeTheCountCap) {
  const std::string name(250, 'd');
  std::string dir;
  for (int i = 0; i < 5; ++i) {
    dir += "/" + name;
    Mkdir(dir);
  }
  for (int i = 0; i < 3600; ++i) Put(dir + "/f" + std::to_string(i), 0);
  const proto::SurveyReply* s = Survey("/", 1, 1);
  ASSERT_NE(s, nullptr);
  size_t bytes = 0;
  for (const Checkpoint& c : Checkpoints(s)) {
    bytes += c.path.size();
    EXPECT_EQ(c.weight % 2, 0u) << "thinned once: the step is 2";
  }
  EXPECT_LE(bytes, kMaxSurveyCheckpointPathBytes);
  EXPECT_LT(s->checkpoints()->size(), 2000u) << "3605 entries, thinned";
  EXPECT_GT(s->checkpoints()->size(), 1000u);
}

TEST_F(SurveyTest, PathsTooLongToExtractAreErrorsAndNeverCheckpoints) {
  // 17 levels of 250-byte names under "x": the deepest passes kMaxRecordPath.
  Mkdir("/x");
  const std::string name(250, 'n');
  int dir = ::open(Host("/x").c_str(), O_RDONLY | O_DIRECTORY);
  for (int i = 0; i < 17; ++i) {
    ASSERT_EQ(::mkdirat(dir, name.c_str(), 0755), 0);
    const int next = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(dir);
    dir = next;
  }
  ::close(dir);
  const proto::SurveyReply* s = Survey("/x", 1, 1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->errors(), 1u);
  EXPECT_EQ(s->directories(), 17u);
  EXPECT_EQ(s->weight(), 18u);
  for (const Checkpoint& c : Checkpoints(s)) EXPECT_LE(c.path.size(), kMaxRecordPath);
  EXPECT_EQ(s->checkpoints()->size(), 17u);
  std::filesystem::remove_all(Host("/x/" + name));
}

TEST_F(SurveyTest, SymlinksOutOfTheSysrootAreNotFollowed) {
  const std::string outside = MakeTempDir("df-survey-outside");
  std::ofstream(outside + "/secret") << std::string(4096, 's');
  ASSERT_EQ(::symlink(outside.c_str(), Host("/out").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../..", Host("/up").c_str()), 0);
  const proto::SurveyReply* s = Survey("/", 1, 1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->others(), 2u);
  EXPECT_EQ(s->files() + s->directories() + s->bytes(), 0u);
  s = Survey("/out", 1, 1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->others(), 1u) << "the start symlink itself";
  EXPECT_EQ(s->bytes(), 0u);
  // Inside the sysroot, "up" resolves to its root: the outside directory is not there.
  s = Survey("/up" + outside, 1, 1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->errors(), 1u);
  EXPECT_EQ(s->bytes(), 0u);
  std::filesystem::remove_all(outside);
}

}  // namespace
}  // namespace diskferry::daemon::testing
