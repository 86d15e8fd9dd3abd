#include "jobs/shards.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "jobs/validator.h"
#include "tests/jobs/case_files.h"

namespace diskferry {
namespace {

HostFileKind AllFiles(const std::string& path) {
  return path.ends_with(".img") ? HostFileKind::kFile : HostFileKind::kMissing;
}

ManifestSpec SpecOf(const std::string& yaml) {
  ValidateOptions options;
  options.probe = AllFiles;
  options.clock = CaseClock;
  Diagnostics diagnostics;
  Result<ManifestSpec> spec = LoadManifest("/m/m.yaml", yaml, options, &diagnostics);
  EXPECT_TRUE(spec.ok()) << diagnostics.ToString();
  return spec.ok() ? *spec : ManifestSpec{};
}

// Extract jobs named j0, j1, ... each reading jN.img into out/jN.
std::string Extracts(size_t count) {
  std::string yaml = "version: 1\ndefaults: {format: raw}\njobs:\n";
  for (size_t i = 0; i < count; ++i) {
    const std::string n = "j" + std::to_string(i);
    yaml += "  - {name: " + n + ", kind: extract, source: " + n + ".img, output: {dir: out/" + n +
            "}}\n";
  }
  return yaml;
}

// Sizes by image name ("/m/j0.img" -> sizes[0]); nullopt past the end.
FileSizeProbe Sizes(std::vector<std::optional<uint64_t>> sizes) {
  return [sizes](const std::string& path) -> std::optional<uint64_t> {
    const size_t at = path.rfind("/j");
    const size_t i = std::stoul(path.substr(at + 2));
    return i < sizes.size() ? sizes[i] : std::nullopt;
  };
}

std::vector<std::vector<std::string>> Divide(const ManifestSpec& spec, int count,
                                             const FileSizeProbe& size) {
  Result<ShardPlan> plan = DivideShards(spec, count, size);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? plan->Division(spec) : std::vector<std::vector<std::string>>{};
}

TEST(ShardsTest, HeaviestFirstOnTheLightestShard) {
  const ManifestSpec spec = SpecOf(Extracts(6));
  const Result<ShardPlan> plan = DivideShards(spec, 3, Sizes({100, 90, 50, 40, 30, 20}));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->basis, ShardBasis::kImageSize);
  // 100 | 90 | 50, then 40 joins 50 (90), 30 the shard of 90 with fewer jobs, 20 the 90.
  EXPECT_EQ(plan->Division(spec),
            (std::vector<std::vector<std::string>>{{"j0"}, {"j1", "j4"}, {"j2", "j3", "j5"}}));
  EXPECT_EQ(plan->shards[0].weight, 100u);
  EXPECT_EQ(plan->shards[1].weight, 120u);
  EXPECT_EQ(plan->shards[2].weight, 110u);
}

TEST(ShardsTest, SameManifestAndSizesGiveTheSameShardsEveryTime) {
  const ManifestSpec spec = SpecOf(Extracts(40));
  std::mt19937 rng(7);
  std::vector<std::optional<uint64_t>> sizes;
  for (int i = 0; i < 40; ++i) sizes.push_back(rng() % 5 == 0 ? 1000 : rng() % 100000);
  const auto once = Divide(spec, 7, Sizes(sizes));
  EXPECT_EQ(Divide(SpecOf(Extracts(40)), 7, Sizes(sizes)), once);
  EXPECT_NE(Divide(spec, 6, Sizes(sizes)), once);
}

TEST(ShardsTest, EveryJobIsInExactlyOneShardAndNoShardExceedsTheMeanByMoreThanOneJob) {
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    const size_t jobs = 1 + rng() % 30;
    const int count = 1 + static_cast<int>(rng() % 8);
    std::vector<std::optional<uint64_t>> sizes;
    uint64_t total = 0, heaviest = 0;
    for (size_t i = 0; i < jobs; ++i) {
      sizes.push_back(1 + rng() % (1u << 30));
      total += *sizes.back();
      heaviest = std::max(heaviest, *sizes.back());
    }
    const ManifestSpec spec = SpecOf(Extracts(jobs));
    const Result<ShardPlan> plan = DivideShards(spec, count, Sizes(sizes));
    ASSERT_TRUE(plan.ok());
    ASSERT_EQ(plan->shards.size(), static_cast<size_t>(count));
    std::multiset<size_t> seen;
    for (const Shard& s : plan->shards) {
      seen.insert(s.jobs.begin(), s.jobs.end());
      EXPECT_LE(s.weight, total / static_cast<uint64_t>(count) + heaviest) << "round " << round;
    }
    std::multiset<size_t> all;
    for (size_t i = 0; i < jobs; ++i) all.insert(i);
    EXPECT_EQ(seen, all) << "round " << round;
  }
}

TEST(ShardsTest, WithoutImageSizesShardsAreBalancedByJobCount) {
  const ManifestSpec spec = SpecOf(Extracts(7));
  const Result<ShardPlan> plan = DivideShards(spec, 3, Sizes({}));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->basis, ShardBasis::kJobCount);
  EXPECT_EQ(plan->Division(spec), (std::vector<std::vector<std::string>>{
                                      {"j0", "j3", "j6"}, {"j1", "j4"}, {"j2", "j5"}}));
  EXPECT_NE(FormatShards(spec, *plan).find("balanced by job count"), std::string::npos);
}

TEST(ShardsTest, AJobWhoseImageCannotBeReadWeighsTheMeanOfTheOthers) {
  const ManifestSpec spec = SpecOf(Extracts(4));
  const Result<ShardPlan> plan = DivideShards(spec, 2, Sizes({100, 300, std::nullopt}));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->basis, ShardBasis::kPartlyImageSize);
  // j2 and j3 have no size: each weighs (100 + 300) / 2.
  EXPECT_EQ(plan->weights, (std::vector<uint64_t>{100, 300, 200, 200}));
}

TEST(ShardsTest, WhatAnEarlierRunMeasuredReplacesImageSizes) {
  const ManifestSpec spec = SpecOf(Extracts(4));
  const Result<ShardPlan> plan =
      DivideShardsByMeasure(spec, 2, {{"j0", 10}, {"j1", 1000}, {"j3", 30}}, "last.jsonl");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->basis, ShardBasis::kPartlyMeasured);
  EXPECT_EQ(plan->weights, (std::vector<uint64_t>{10, 1000, 346, 30}));
  EXPECT_EQ(plan->Division(spec),
            (std::vector<std::vector<std::string>>{{"j1"}, {"j0", "j2", "j3"}}));
  EXPECT_NE(FormatShards(spec, *plan)
                .find("balanced by what last.jsonl measured (jobs it lacks "
                      "count as the mean)"),
            std::string::npos);
}

TEST(ShardsTest, JobsThatShareAnOutputStayInOneShard) {
  const ManifestSpec spec = SpecOf(
      "version: 1\ndefaults: {format: raw}\njobs:\n"
      "  - {name: a, kind: extract, source: j0.img, output: {dir: out/web}}\n"
      "  - {name: b, kind: extract, source: j1.img, output: {dir: out/web/etc}}\n"
      "  - {name: c, kind: extract, source: j2.img, output: {dir: out/c}}\n"
      "  - {name: d, kind: extract, source: j3.img, output: {dir: out/d}}\n");
  const Result<ShardPlan> plan = DivideShards(spec, 4, Sizes({10, 10, 10, 10}));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->Division(spec),
            (std::vector<std::vector<std::string>>{{"a", "b"}, {"c"}, {"d"}, {}}));
  ASSERT_EQ(plan->ties.size(), 1u);
  EXPECT_EQ(plan->ties[0].path, "/m/out/web");
  const std::string text = FormatShards(spec, *plan);
  EXPECT_NE(text.find("one shard for a and b: both use /m/out/web\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shard 3/4: no jobs\n"), std::string::npos) << text;
}

TEST(ShardsTest, AnImageWrittenInPlaceStaysWithTheJobsThatReadIt) {
  const ManifestSpec spec = SpecOf(
      "version: 1\ndefaults: {format: raw}\njobs:\n"
      "  - {name: read, kind: list, source: j0.img}\n"
      "  - {name: other, kind: list, source: j1.img}\n"
      "  - name: write\n    kind: inject\n    target: j0.img\n    in_place: true\n"
      "    steps: [{mkdir: {path: /x}}]\n");
  const Result<ShardPlan> plan = DivideShards(spec, 3, Sizes({10, 10}));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->Division(spec),
            (std::vector<std::vector<std::string>>{{"read", "write"}, {"other"}, {}}));
}

TEST(ShardsTest, TwoJobsReadingOneImageMayRunInDifferentShards) {
  const ManifestSpec spec = SpecOf(
      "version: 1\ndefaults: {format: raw, source: j0.img}\njobs:\n"
      "  - {name: a, kind: list}\n  - {name: b, kind: list}\n");
  const Result<ShardPlan> plan = DivideShards(spec, 2, Sizes({10}));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->ties.empty());
  EXPECT_EQ(plan->Division(spec), (std::vector<std::vector<std::string>>{{"a"}, {"b"}}));
}

TEST(ShardsTest, AnArchiveOnStandardOutputCannotBeSharded) {
  const ManifestSpec spec = SpecOf(
      "version: 1\njobs:\n  - {name: t, kind: extract, source: j0.img, format: raw, "
      "output: {tar: \"-\"}}\n");
  const Result<ShardPlan> plan = DivideShards(spec, 2, Sizes({10}));
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("job 't' writes its archive to standard output"),
            std::string::npos);
}

TEST(ShardsTest, ShardCountOutsideItsRangeIsRefused) {
  const ManifestSpec spec = SpecOf(Extracts(2));
  EXPECT_FALSE(DivideShards(spec, 0, Sizes({})).ok());
  EXPECT_FALSE(DivideShards(spec, kMaxShards + 1, Sizes({})).ok());
}

TEST(ShardsTest, ShardOfKeepsOnlyThatShardsJobsInManifestOrder) {
  const ManifestSpec spec = SpecOf(Extracts(5));
  const Result<ShardPlan> plan = DivideShards(spec, 2, Sizes({}));
  ASSERT_TRUE(plan.ok());
  const ManifestSpec one = ShardOf(spec, *plan, 0);
  ASSERT_EQ(one.jobs.size(), 3u);
  EXPECT_EQ(one.jobs[0].name, "j0");
  EXPECT_EQ(one.jobs[1].name, "j2");
  EXPECT_EQ(one.jobs[2].name, "j4");
  EXPECT_EQ(one.file, spec.file);
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::string Error(std::string_view arg, int shards, const EnvLookup& env) {
  Result<ShardIndex> r = ResolveShard(arg, shards, env);
  return r.ok() ? "ok" : r.status().message();
}

TEST(ResolveShardTest, ExplicitIndexOfCount) {
  Result<ShardIndex> r = ResolveShard("2/3", 0, Env({}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->index, 2);
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(Error("3/3", 0, Env({})), "--shard 3/3: shard 3 of 3 does not exist (shards are 0..2)");
  EXPECT_EQ(Error("1-3", 0, Env({})),
            "--shard: expected I/N (0-based: 0/3, 1/3, 2/3) or auto, not '1-3'");
  EXPECT_EQ(Error("1/x", 0, Env({})),
            "--shard: expected I/N (0-based: 0/3, 1/3, 2/3) or auto, not '1/x'");
  EXPECT_EQ(Error("1/3", 4, Env({})), "--shards 4 but --shard 1/3: leave --shards out");
}

TEST(ResolveShardTest, AutoInASlurmArrayCountsFromItsFirstTask) {
  const EnvLookup env = Env({{"SLURM_ARRAY_TASK_ID", "6"},
                             {"SLURM_ARRAY_TASK_MIN", "4"},
                             {"SLURM_ARRAY_TASK_COUNT", "3"},
                             {"JOB_COMPLETION_INDEX", "0"}});
  Result<ShardIndex> r = ResolveShard("auto", 0, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->index, 2);
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(Error("auto", 4, env),
            "--shards 4 but the job array has 3 tasks (SLURM_ARRAY_TASK_COUNT): make them agree "
            "or leave --shards out");
}

TEST(ResolveShardTest, AutoInASlurmArrayWithAStep) {
  Result<ShardIndex> r = ResolveShard("auto", 0,
                                      Env({{"SLURM_ARRAY_TASK_ID", "4"},
                                           {"SLURM_ARRAY_TASK_MIN", "0"},
                                           {"SLURM_ARRAY_TASK_STEP", "2"},
                                           {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->index, 2);
  EXPECT_EQ(Error("auto", 0, Env({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "3"}})),
            "--shard auto: shard 7 of 3 does not exist (shards are 0..2); submit the array as "
            "--array=0-2");
  EXPECT_EQ(Error("auto", 0, Env({{"SLURM_ARRAY_TASK_ID", "1"}})),
            "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give "
            "--shard I/N");
}

TEST(ResolveShardTest, AutoInAKubernetesIndexedJobNeedsTheShardCount) {
  Result<ShardIndex> r = ResolveShard("auto", 3, Env({{"JOB_COMPLETION_INDEX", "1"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->index, 1);
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(Error("auto", 0, Env({{"JOB_COMPLETION_INDEX", "1"}})),
            "--shard auto in a Kubernetes Indexed Job needs --shards N, N being the Job's "
            "completions");
  EXPECT_EQ(Error("auto", 3, Env({{"JOB_COMPLETION_INDEX", "3"}})),
            "--shard auto: shard 3 of 3 does not exist (shards are 0..2)");
  EXPECT_EQ(Error("auto", 3, Env({})),
            "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor "
            "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard I/N");
}

TEST(ResolveShardTest, ShardTemplateTakesTheIndex) {
  EXPECT_EQ(ExpandShardTemplate("r/{shard}/night-{shard}.jsonl", 2), "r/2/night-2.jsonl");
  EXPECT_EQ(ExpandShardTemplate("plain.jsonl", 2), "plain.jsonl");
  EXPECT_EQ(ExpandShardTemplate("{shar}{shard", 2), "{shar}{shard");
}

}  // namespace
}  // namespace diskferry
