// A manifest run as shards (`run --shard I/N`, one after another on this host, as a job
// array's tasks would run on several) and merged (`report merge`), against the same
// manifest run whole: the same file and job records. Then a second night with another
// shard count: the incremental job finds its baseline wherever its job landed, and a verify
// job checks against the inventory a shard wrote. Images are made by mke2fs -d.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "sinks/file_record_json.h"
#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

constexpr const char* kManifest = R"(version: 1
vars:
  out: {type: path, default: out}
  night: one
defaults:
  format: raw
  hashes: [sha256]
jobs:
  - name: web
    kind: extract
    source: web.img
    output: {dir: "${out}/${night}/web"}
    incremental: {since: "${out}/last/web.json"}
  - name: db
    kind: extract
    source: db.img
    output: {tar: "${out}/${night}/db.tar"}
  - name: mail
    kind: list
    source: mail.img
    report: "${out}/${night}/mail-inventory.jsonl"
  - name: files
    kind: extract
    source: files.img
    output: {dir: "${out}/${night}/files", on_exists: overwrite}
  - name: files-etc
    kind: extract
    source: files.img
    select: {include: [/etc/**]}
    output: {dir: "${out}/${night}/files/etc-copy", on_exists: overwrite}
)";

std::vector<Json> Records(const std::string& path, const std::string& kind) {
  std::ifstream in(path);
  std::vector<Json> out;
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line);
    if (j["record"] == kind) out.push_back(std::move(j));
  }
  return out;
}

// The fields of each file and job record that a run on any host must agree on.
std::multiset<std::string> Comparable(const std::string& report) {
  std::multiset<std::string> out;
  for (const Json& f : Records(report, "file")) {
    Json k = Json::object();
    for (const char* key : {"job", "path", "type", "size", "mode", "uid", "gid", "mtime_ns",
                            "target", "hashes", "status"}) {
      if (f.contains(key)) k[key] = f[key];
    }
    out.insert(k.dump());
  }
  for (const Json& j : Records(report, "job")) {
    Json k = Json::object();
    for (const char* key : {"job", "kind", "status", "message", "files", "bytes", "errors"}) {
      if (j.contains(key)) k[key] = j[key];
    }
    out.insert(k.dump());
  }
  return out;
}

class ShardRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("shard-run");
    std::string out;
    // Four images of different sizes, so that the shards are balanced by size.
    ASSERT_EQ(RunShell("set -e; cd '" + dir_ +
                           "'; for n in web:8 db:12 mail:16 files:20; do name=${n%:*}; "
                           "mkdir -p t/$name/etc t/$name/data; echo $name >t/$name/etc/hostname; "
                           "head -c $((${n#*:} * 20000)) /dev/urandom >t/$name/data/blob; "
                           "for i in 1 2 3 4 5; do echo $i >t/$name/data/f$i; done; "
                           "mke2fs -q -F -t ext4 -d t/$name $name.img ${n#*:}M; done",
                       &out),
              0)
        << out;
    std::ofstream(dir_ + "/m.yaml") << kManifest;
  }
  void TearDown() override { RemoveTree(dir_); }

  int Sh(const std::string& args, std::string* out) {
    return RunShell("cd '" + dir_ + "' && " + Diskferry(args), out);
  }

  // Runs every shard of `count`, one after another, then merges them into `merged`.
  void RunShards(int count, const std::string& vars, const std::string& prefix,
                 const std::string& merged) {
    std::string out, reports;
    for (int i = 0; i < count; ++i) {
      ASSERT_EQ(Sh("run m.yaml " + vars + " -j 1 --shard " + std::to_string(i) + "/" +
                       std::to_string(count) + " --report '" + prefix + "-{shard}.jsonl'",
                   &out),
                0)
          << out;
      reports += " " + prefix + "-" + std::to_string(i) + ".jsonl";
    }
    ASSERT_EQ(Sh("report merge" + reports + " -o " + merged, &out), 0) << out;
    EXPECT_NE(out.find(std::to_string(count) + " shards, 5 jobs merged"), std::string::npos) << out;
  }

  std::string dir_;
};

TEST_F(ShardRunTest, ThreeShardsMergeIntoTheRecordsOfOneRun) {
  std::string out;
  ASSERT_EQ(Sh("plan m.yaml --shards 3", &out), 0) << out;
  EXPECT_NE(out.find("5 jobs in 3 shards, balanced by image size"), std::string::npos) << out;
  EXPECT_NE(out.find("one shard for files and files-etc: both use out/one/files"),
            std::string::npos)
      << out;

  ASSERT_EQ(Sh("run m.yaml -j 2 --var out=single --report single.jsonl", &out), 0) << out;
  RunShards(3, "--var out=sharded", "night", "merged.jsonl");

  EXPECT_EQ(Comparable(dir_ + "/merged.jsonl"), Comparable(dir_ + "/single.jsonl"));
  // Every job ran in exactly one shard; the two sharing a directory in the same one.
  std::multiset<std::string> ran;
  for (int i = 0; i < 3; ++i) {
    const std::string report = dir_ + "/night-" + std::to_string(i) + ".jsonl";
    const std::vector<Json> shard = Records(report, "shard");
    ASSERT_EQ(shard.size(), 1u);
    EXPECT_EQ(shard[0]["index"], i);
    std::set<std::string> jobs;
    for (const Json& j : Records(report, "job")) jobs.insert(j["job"].get<std::string>());
    EXPECT_FALSE(jobs.empty()) << report;
    EXPECT_EQ(jobs.count("files"), jobs.count("files-etc")) << report;
    ran.insert(jobs.begin(), jobs.end());
  }
  EXPECT_EQ(ran, (std::multiset<std::string>{"db", "files", "files-etc", "mail", "web"}));
  // The merged report weighs the next division by what each job moved.
  ASSERT_EQ(Sh("plan m.yaml --shards 2 --weights merged.jsonl", &out), 0) << out;
  EXPECT_NE(out.find("5 jobs in 2 shards, balanced by what merged.jsonl measured\n"),
            std::string::npos)
      << out;
  // A survey counts what each job selects, for run --shard --weights.
  ASSERT_EQ(Sh("plan m.yaml --shards 2 --survey survey.jsonl", &out), 0) << out;
  EXPECT_NE(out.find("5 jobs in 2 shards, balanced by what survey.jsonl measured\n"),
            std::string::npos)
      << out;
  for (const Json& j : Records(dir_ + "/survey.jsonl", "job")) {
    const std::string name = j["job"];
    EXPECT_EQ(j["status"], "ok") << j.dump();
    // The survey counts the regular files and bytes that the run moved, per job.
    for (const Json& ran : Records(dir_ + "/single.jsonl", "job")) {
      if (ran["job"] != name) continue;
      EXPECT_EQ(j["files"], ran["files"]) << name;
      EXPECT_EQ(j["bytes"], ran["bytes"]) << name;
    }
  }
  const std::vector<Json> run = Records(dir_ + "/merged.jsonl", "run");
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(run[0]["shards"], 3);
  EXPECT_EQ(run[0]["status"], "complete");
  // The outputs are the single run's: the tar of db holds the same names.
  std::string single, sharded;
  ASSERT_EQ(RunShell("tar -tf '" + dir_ + "/single/one/db.tar' | sort", &single), 0);
  ASSERT_EQ(RunShell("tar -tf '" + dir_ + "/sharded/one/db.tar' | sort", &sharded), 0);
  EXPECT_EQ(sharded, single);
}

TEST_F(ShardRunTest, TheNextNightFindsBaselinesAndVerifiesAgainstAShardsInventory) {
  RunShards(3, "--var out=o", "first", "first.jsonl");
  // Another shard count: jobs move between shards, their baselines stay where they are.
  RunShards(2, "--var out=o --var night=two", "second", "second.jsonl");
  for (const Json& j : Records(dir_ + "/second.jsonl", "job")) {
    if (j["job"] != "web") continue;
    EXPECT_EQ(j["status"], "ok") << j.dump();
    EXPECT_FALSE(j.contains("message")) << "the baseline was not found: " << j.dump();
    EXPECT_EQ(j["files"], 0) << "nothing changed, so nothing is copied: " << j.dump();
  }
  std::ofstream(dir_ + "/v.yaml") << "version: 1\njobs:\n  - name: check\n    kind: verify\n"
                                     "    source: mail.img\n    format: raw\n"
                                     "    against: o/one/mail-inventory.jsonl\n";
  std::string out;
  EXPECT_EQ(Sh("run v.yaml --shard 0/1 --report verify-{shard}.jsonl", &out), 0) << out;
  const std::vector<Json> check = Records(dir_ + "/verify-0.jsonl", "job");
  ASSERT_EQ(check.size(), 1u);
  EXPECT_EQ(check[0]["status"], "ok") << check[0].dump();
}

TEST_F(ShardRunTest, MistakesAreOneLineThatSaysWhatToChange) {
  std::string out;
  EXPECT_EQ(Sh("run m.yaml --shard 0/3 --report night.jsonl", &out), 64) << out;
  EXPECT_EQ(out,
            "diskferry: --report night.jsonl: every shard writes its own report: put {shard} in "
            "its name (reports/night-{shard}.jsonl)\n");
  EXPECT_EQ(Sh("run m.yaml --shard auto", &out), 64) << out;
  EXPECT_EQ(out,
            "diskferry: --shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor "
            "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard I/N\n");

  ASSERT_EQ(Sh("run m.yaml -j 1 --var out=o --shard 0/2 --report r-{shard}.jsonl", &out), 0) << out;
  EXPECT_EQ(Sh("report merge r-0.jsonl -o all.jsonl", &out), 65) << out;
  EXPECT_EQ(out,
            "diskferry: report merge: shard 1/2 is missing: run it with: diskferry run m.yaml "
            "--shard 1/2 --var out=... --report r-1.jsonl, then merge its report too\n"
            "diskferry: report merge: nothing written to all.jsonl\n");
  EXPECT_FALSE(std::ifstream(dir_ + "/all.jsonl").good());
}

}  // namespace
}  // namespace diskferry::testing
