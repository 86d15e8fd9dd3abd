// examples/slurm on a real single-node Slurm cluster (tests/scaleout/slurm_cluster.sh: its
// own munged, slurmctld and slurmd under the test's scratch directory): a manifest of six
// jobs run as a three-task job array of backup.sbatch, the shard reports merged by
// merge.sbatch submitted with afterok, and the merged report compared with a single-host
// run of the same manifest. Skipped, with the check that failed and its log, where the
// cluster cannot start.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

using Json = nlohmann::json;

constexpr int kShards = 3;
constexpr int kSkipped = 77;  // slurm_cluster.sh start: a daemon cannot start here

// The records of a JSON Lines report, by "record".
std::map<std::string, std::vector<Json>> ReadReport(const std::string& path) {
  std::map<std::string, std::vector<Json>> records;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::string line;
  while (std::getline(in, line)) {
    Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(record.is_object()) << path << ": " << line;
    if (record.is_object()) records[record.value("record", "")].push_back(record);
  }
  return records;
}

// Each record reduced to `keys` (those it has), as text: what a single-host run and the
// merged shards must agree on, whatever their order, times and hosts.
std::multiset<std::string> Project(const std::vector<Json>& records,
                                   const std::vector<std::string>& keys) {
  std::multiset<std::string> out;
  for (const Json& record : records) {
    Json kept = Json::object();
    for (const std::string& key : keys) {
      if (record.contains(key)) kept[key] = record[key];
    }
    out.insert(kept.dump());
  }
  return out;
}

// The lines in one set and not the other, for a failure message.
std::string Difference(const std::multiset<std::string>& single,
                       const std::multiset<std::string>& merged) {
  std::string out;
  for (const std::string& s : single) {
    if (merged.count(s) != single.count(s)) out += "  single-host only or more often: " + s + "\n";
  }
  for (const std::string& s : merged) {
    if (merged.count(s) != single.count(s)) out += "  merged only or more often: " + s + "\n";
  }
  return out;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class SlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("slurm");
    ASSERT_FALSE(dir_.empty());
    cluster_ = dir_ + "/cluster";
  }
  void TearDown() override {
    if (started_) {
      std::string out;
      EXPECT_EQ(RunShell(Cluster("stop"), &out), 0) << out;
    }
    RemoveTree(dir_);
  }

  // tests/scaleout/slurm_cluster.sh ACTION on this test's cluster.
  std::string Cluster(const std::string& action, const std::string& args = "") {
    return "'" + std::string(DF_SLURM_CLUSTER) + "' " + action + " '" + cluster_ + "' " + args;
  }

  // Slurm's client commands run against this test's cluster, from the scratch directory.
  std::string InCluster(const std::string& command) {
    return "cd '" + dir_ + "' && SLURM_CONF='" + cluster_ + "/slurm.conf' " + command;
  }

  // Six ext4 images of different trees and sizes (so the shards' weights differ), and a
  // manifest of extracts to directories with hashes, extracts to tar, and lists.
  void MakeManifest() {
    std::string script = "cd '" + dir_ + "'";
    for (int i = 0; i < 6; ++i) {
      const std::string tree = "tree" + std::to_string(i);
      script += " && mkdir -p " + tree + "/etc " + tree + "/srv/data && echo host" +
                std::to_string(i) + " > " + tree + "/etc/hostname && head -c " +
                std::to_string(4096 * (i + 1) + i) + " /dev/urandom > " + tree +
                "/srv/data/blob && echo notes > " + tree + "/srv/notes.txt && chmod 0600 " + tree +
                "/etc/hostname && mke2fs -q -t ext4 -d " + tree + " img" + std::to_string(i) +
                ".img " + std::to_string(12 + 4 * i) + "M";
    }
    std::string out;
    ASSERT_EQ(RunShell(script, &out), 0) << out;
    std::ofstream manifest(dir_ + "/manifest.yaml");
    manifest << "version: 1\n"
                "vars:\n"
                "  out: {type: path, default: out}\n"
                "defaults:\n"
                "  format: raw\n"
                "  hashes: [sha256]\n"
                "jobs:\n";
    const char* kinds[] = {"dir", "tar", "list"};
    for (int i = 0; i < 6; ++i) {
      const std::string kind = kinds[i % 3];
      const std::string name = kind + std::to_string(i);
      manifest << "  - name: " << name << "\n    source: img" << i << ".img\n";
      if (kind == "list") {
        manifest << "    kind: list\n";
      } else if (kind == "dir") {
        manifest << "    kind: extract\n    output: {dir: \"${out}/" << name << "\"}\n";
      } else {
        manifest << "    kind: extract\n    output: {tar: \"${out}/" << name << ".tar\"}\n";
      }
    }
  }

  // Submits `args` with sbatch; its job id, or "" (with a failure).
  std::string Submit(const std::string& args) {
    std::string out;
    const int rc = RunShell(InCluster("DISKFERRY='" + BuiltProgram("diskferry") +
                                      "' DISKFERRY_MANIFEST=manifest.yaml "
                                      "DISKFERRY_REPORTS=reports sbatch --parsable " +
                                      args),
                            &out);
    const std::vector<std::string> lines = Lines(out);
    EXPECT_EQ(rc, 0) << out;
    if (rc != 0 || lines.empty()) return "";
    const std::string id = lines.back().substr(0, lines.back().find(';'));
    EXPECT_EQ(id.find_first_not_of("0123456789"), std::string::npos) << out;
    return id;
  }

  std::string dir_;
  std::string cluster_;
  bool started_ = false;
};

TEST_F(SlurmTest, AJobArrayOfShardsMergesIntoTheSingleHostRunsReport) {
  const auto start = std::chrono::steady_clock::now();
  std::string out;
  const int rc = RunShell(Cluster("start"), &out);
  started_ = true;
  if (rc == kSkipped) GTEST_SKIP() << out;
  ASSERT_EQ(rc, 0) << out;
  const double cluster_seconds = SecondsSince(start);

  MakeManifest();
  auto phase = std::chrono::steady_clock::now();
  ASSERT_EQ(RunShell("cd '" + dir_ + "' && " +
                         Diskferry("run manifest.yaml --var out=single --report single.jsonl -j 1"),
                     &out),
            0)
      << out;
  const double single_seconds = SecondsSince(phase);

  // As examples/slurm/README.md submits them, on one CPU per task (the node has two).
  phase = std::chrono::steady_clock::now();
  const std::string examples = std::string(DF_EXAMPLES_DIR) + "/slurm/";
  const std::string array =
      Submit("--array=0-" + std::to_string(kShards - 1) + " --cpus-per-task=1 '" + examples +
             "backup.sbatch' --var out=slurm");
  ASSERT_FALSE(array.empty());
  const std::string merge =
      Submit("--dependency=afterok:" + array + " '" + examples + "merge.sbatch'");
  ASSERT_FALSE(merge.empty());
  std::string array_out, merge_out, logs;
  const int array_rc = RunShell(Cluster("wait", array), &array_out);
  const double array_seconds = SecondsSince(phase);
  RunShell("cd '" + dir_ + "' && tail -n 30 diskferry-*.log", &logs);
  ASSERT_EQ(array_rc, 0) << array_out << logs;
  phase = std::chrono::steady_clock::now();
  const int merge_rc = RunShell(Cluster("wait", merge), &merge_out);
  const double merge_seconds = SecondsSince(phase);
  RunShell("cd '" + dir_ + "' && tail -n 30 diskferry-merge-*.log", &logs);
  ASSERT_EQ(merge_rc, 0) << merge_out << logs;
  std::printf(
      "slurm phases: cluster start %.1f s, single-host run %.1f s, %d-task array %.1f s "
      "(submission to the last task's end), merge %.1f s (from there to the merge's end)\n"
      "slurm tasks (job id, task, state, exit code, run time):\n%s%s",
      cluster_seconds, single_seconds, kShards, array_seconds, merge_seconds, array_out.c_str(),
      merge_out.c_str());

  // Each shard ran a nonempty part of the jobs, no job twice, and all of them together.
  std::set<std::string> all_jobs;
  for (int i = 0; i < kShards; ++i) {
    const std::string path = dir_ + "/reports/shard-" + std::to_string(i) + ".jsonl";
    auto shard = ReadReport(path);
    ASSERT_EQ(shard["run"].size(), 1u) << path;
    EXPECT_EQ(shard["run"][0]["shard"]["index"], i) << path;
    EXPECT_EQ(shard["run"][0]["shard"]["count"], kShards) << path;
    EXPECT_FALSE(shard["job"].empty()) << path;
    for (const Json& job : shard["job"]) {
      EXPECT_TRUE(all_jobs.insert(job["job"].get<std::string>()).second)
          << job["job"] << " in two shards";
    }
  }

  auto single = ReadReport(dir_ + "/single.jsonl");
  auto merged = ReadReport(dir_ + "/reports/run.jsonl");
  ASSERT_EQ(single["job"].size(), 6u);
  EXPECT_EQ(all_jobs.size(), 6u);
  ASSERT_EQ(merged["run"].size(), 1u);
  EXPECT_EQ(merged["run"][0]["shards"], kShards);
  EXPECT_EQ(merged["run"][0]["status"], "complete");
  const std::vector<std::string> file_keys = {"job",  "path", "path_b64", "type",
                                              "size", "mode", "hashes",   "status"};
  const std::vector<std::string> job_keys = {"job", "kind", "status", "files", "bytes"};
  const auto single_files = Project(single["file"], file_keys);
  const auto merged_files = Project(merged["file"], file_keys);
  EXPECT_GT(single_files.size(), 6u * 4);
  EXPECT_TRUE(single_files == merged_files) << Difference(single_files, merged_files);
  const auto single_jobs = Project(single["job"], job_keys);
  const auto merged_jobs = Project(merged["job"], job_keys);
  EXPECT_TRUE(single_jobs == merged_jobs) << Difference(single_jobs, merged_jobs);
}

}  // namespace
}  // namespace diskferry::testing
