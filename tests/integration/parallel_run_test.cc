// `diskferry run` over a pool of appliances: several jobs at once, a split job, an
// appliance killed mid-job, an interrupted run resumed, memory on a large tree. Real
// appliances on real ext4 images; the run is watched through its --json events.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>

#include "tests/integration/fs_images.h"
#include "tests/integration/tree_compare.h"

namespace diskferry::testing {
namespace {

using Json = nlohmann::json;

// Writes `count` files of `size` bytes (distinct content) under root/dir.
void AddFiles(const std::string& root, const std::string& dir, int count, size_t size) {
  ::mkdir((root + "/" + dir).c_str(), 0755);
  std::string content(size, '\0');
  for (int i = 0; i < count; ++i) {
    for (size_t j = 0; j < size; j += 512) content[j] = static_cast<char>('a' + (i + j / 512) % 26);
    content[0] = static_cast<char>(i);
    std::ofstream(root + "/" + dir + "/f" + std::to_string(i), std::ios::binary) << content;
  }
}

// A run of `diskferry run ... --json` whose events are read as they come. `on_event` may
// act on the run (kill an appliance, interrupt it); it returns nothing.
struct WatchedRun {
  int exit_code = -1;
  std::vector<Json> events;
  std::string stderr_text;
};

WatchedRun RunWatched(const std::string& dir, const std::string& args,
                      const std::function<void(const Json&, pid_t)>& on_event) {
  WatchedRun run;
  int out[2];
  if (::pipe(out) != 0) return run;
  const std::string err_path = dir + "/stderr.txt";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    const std::string cmd = "exec '" + BuiltProgram("diskferry") + "' " + args + " --json 2>'" + err_path + "'";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  FILE* in = ::fdopen(out[0], "r");
  char* line = nullptr;
  size_t cap = 0;
  while (::getline(&line, &cap, in) > 0) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << "not JSON on stdout: " << line;
      continue;
    }
    run.events.push_back(j);
    if (on_event) on_event(j, pid);
  }
  std::free(line);
  std::fclose(in);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream e(err_path);
  run.stderr_text.assign(std::istreambuf_iterator<char>(e), {});
  return run;
}

// Paths of the report's file records of `job`, with how often each appears.
std::map<std::string, int> RecordCounts(const std::string& report, const std::string& job) {
  std::map<std::string, int> counts;
  std::ifstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_object() && j.value("record", "") == "file" && j.value("job", "") == job) {
      ++counts[j.value("path", "")];
    }
  }
  return counts;
}

// The run's events but progress, one per line: what a failing test shows.
std::string Events(const WatchedRun& run) {
  std::string text;
  for (const Json& e : run.events) {
    if (e.value("event", "") != "progress") text += e.dump() + "\n";
  }
  return text;
}

int CountEvents(const WatchedRun& run, const std::string& event, const std::string& what = "") {
  int n = 0;
  for (const Json& e : run.events) {
    if (e.value("event", "") == event && (what.empty() || e.value("what", "") == what)) ++n;
  }
  return n;
}

class ParallelRunTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeScratchDir("parallel"); }
  void TearDown() override { RemoveTree(dir_); }

  void WriteManifest(const std::string& yaml) { std::ofstream(dir_ + "/m.yaml") << yaml; }

  // Every regular file of `tree` is in `out` with the same bytes, and in the report once.
  void ExpectCompleteAndUnique(const std::string& tree, const std::string& out,
                               const std::string& job) {
    CompareOptions options;
    options.hardlinks = false;
    options.mtime_precision_ns = 1000000000;  // mke2fs -d keeps whole seconds
    EXPECT_EQ(CompareTrees(tree, out, options), std::vector<std::string>{});
    for (const auto& [path, n] : RecordCounts(dir_ + "/run.jsonl", job)) {
      EXPECT_EQ(n, 1) << path << " reported " << n << " times";
    }
    auto counts = RecordCounts(dir_ + "/run.jsonl", job);
    counts.erase("lost+found");  // mke2fs's, not in the source tree
    EXPECT_EQ(counts.size(), ListTree(tree).size());
  }

  std::string dir_;
};

TEST_F(ParallelRunTest, FourJobsOverTwoAppliancesFinishWithCorrectOutput) {
  MakeSourceTree(dir_ + "/a", {});
  MakeSourceTree(dir_ + "/b", {});
  AddFiles(dir_ + "/b", "many", 300, 3000);
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/a", dir_ + "/a.img").ok());
  ASSERT_TRUE(MakeImage("ext4", dir_ + "/b", dir_ + "/b.img").ok());
  WriteManifest(
      "version: 1\nrun:\n  max_parallel: 2\n"
      "defaults:\n  format: raw\n  hashes: [sha256]\njobs:\n"
      "  - {name: a-dir, kind: extract, source: a.img, output: {dir: out-a}}\n"
      "  - {name: b-dir, kind: extract, source: b.img, output: {dir: out-b}}\n"
      "  - {name: a-tar, kind: extract, source: a.img, output: {tar: a.tar}}\n"
      "  - {name: b-list, kind: list, source: b.img}\n");
  WatchedRun run = RunWatched(dir_, "run m.yaml --report run.jsonl", nullptr);
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  ExpectCompleteAndUnique(dir_ + "/a", dir_ + "/out-a", "a-dir");
  ExpectCompleteAndUnique(dir_ + "/b", dir_ + "/out-b", "b-dir");
  std::string out;
  RunShell("tar -tf '" + dir_ + "/a.tar' | wc -l", &out);
  EXPECT_EQ(std::stoul(out), ListTree(dir_ + "/a").size() + 1);  // + lost+found
  int listed = 0;
  for (const Json& e : run.events) listed += e.value("event", "") == "output";
  EXPECT_EQ(listed, static_cast<int>(ListTree(dir_ + "/b").size()) + 1);
  // Two appliances at most, and the jobs sharing an image shared them.
  EXPECT_LE(CountEvents(run, "appliance", "launched"), 2 + CountEvents(run, "appliance", "closed"));
  EXPECT_GE(CountEvents(run, "appliance", "reused"), 1) << Events(run);
  EXPECT_EQ(CountEvents(run, "job_finished"), 4);
  EXPECT_FALSE(::access((dir_ + "/run.jsonl.journal").c_str(), F_OK) == 0) << "journal left";
}

TEST_F(ParallelRunTest, AKilledApplianceIsReplacedAndNoFileIsLostOrReportedTwice) {
  const std::string tree = dir_ + "/tree";
  MakeSourceTree(tree, {});
  // Small files keep a guest busy for seconds even on a fast host; they come first in the
  // walk, so the first part is still running when the kill comes.
  AddFiles(tree, "a-small", 20000, 1000);
  AddFiles(tree, "z-big", 12, 8 << 20);
  ASSERT_TRUE(MakeImage("ext4", tree, dir_ + "/src.img").ok());
  WriteManifest("version: 1\nrun:\n  max_parallel: 2\n  retries: 2\njobs:\n"
                "  - {name: all, kind: extract, source: src.img, format: raw, hashes: [sha256],"
                " output: {dir: out}}\n");
  std::map<int, int64_t> pids;  // slot -> QEMU
  bool killed = false;
  std::string kill_result;
  WatchedRun run = RunWatched(dir_, "run m.yaml --min-part 64 --report run.jsonl", [&](const Json& e, pid_t) {
    if (e.value("event", "") == "appliance" && e.value("what", "") == "launched") {
      pids[e.value("slot", 0)] = e.value("pid", int64_t{0});
    }
    // At the first tick after the split: the first part (on slot 0, which surveyed) has
    // just started and has thousands of files to go.
    if (!killed && e.value("event", "") == "progress" && e.value("parts_total", 0) == 2 &&
        !pids.empty()) {
      kill_result = "kill " + std::to_string(pids.begin()->second) + " at " + e.dump() + ": " +
                    std::to_string(::kill(static_cast<pid_t>(pids.begin()->second), SIGKILL));
      killed = true;
    }
  });
  ASSERT_TRUE(killed) << "the run ended before an appliance could be killed";
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  EXPECT_NE(run.stderr_text.find("retrying"), std::string::npos) << run.stderr_text << Events(run) << kill_result;
  ExpectCompleteAndUnique(tree, dir_ + "/out", "all");
  std::string out;
  EXPECT_EQ(RunShell("cd '" + dir_ + "/out' && sha256sum --quiet -c ../out.sha256", &out), 0) << out;
}

TEST_F(ParallelRunTest, AnInterruptedRunResumesWithoutRedoingFinishedWork) {
  const std::string tree = dir_ + "/tree";
  MakeSourceTree(tree, {});
  // The small files come first in the walk, so they are written and spooled in order
  // while the big ones are still to come.
  AddFiles(tree, "a-small", 20000, 1000);
  AddFiles(tree, "z-big", 4, 8 << 20);
  ASSERT_TRUE(MakeImage("ext4", tree, dir_ + "/src.img").ok());
  WriteManifest("version: 1\njobs:\n"
                "  - {name: first, kind: extract, source: src.img, format: raw,"
                " select: {include: [/etc/**]}, output: {dir: first}}\n"
                "  - {name: second, kind: extract, source: src.img, format: raw,"
                " hashes: [sha256], output: {dir: out}}\n");
  // The second job's spool: what it has written and reported, flushed every few hundred
  // files. The run is interrupted at the first tick after some of it reached the disk, so
  // the resume always has finished files to continue after.
  const std::string spool = dir_ + "/run.jsonl.journal/second.0.jsonl";
  bool interrupted = false;
  WatchedRun run =
      RunWatched(dir_, "run m.yaml -j 1 --report run.jsonl", [&](const Json& e, pid_t pid) {
        if (!interrupted && e.value("event", "") == "progress" && e.value("job", "") == "second" &&
            !RecordCounts(spool, "second").empty()) {
          ::kill(pid, SIGINT);
          interrupted = true;
        }
      });
  ASSERT_TRUE(interrupted) << "the run ended before it could be interrupted\n"
                           << run.stderr_text << Events(run);
  ASSERT_EQ(run.exit_code, 130) << run.stderr_text;
  ASSERT_EQ(::access((dir_ + "/run.jsonl.journal").c_str(), F_OK), 0);
  struct stat before;
  ASSERT_EQ(::stat((dir_ + "/first/etc/hostname").c_str(), &before), 0);
  ASSERT_FALSE(RecordCounts(spool, "second").empty());

  WatchedRun resumed = RunWatched(dir_, "run m.yaml -j 1 --resume run.jsonl", nullptr);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.stderr_text;
  EXPECT_NE(resumed.stderr_text.find("continuing after /"), std::string::npos)
      << resumed.stderr_text;
  struct stat after;
  ASSERT_EQ(::stat((dir_ + "/first/etc/hostname").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "the finished job ran again";
  for (const Json& e : resumed.events) {
    EXPECT_NE(e.value("job", ""), "first") << e.dump();
  }
  ExpectCompleteAndUnique(tree, dir_ + "/out", "second");
  EXPECT_EQ(RecordCounts(dir_ + "/run.jsonl", "first").size(), 4u);  // etc and its three entries
  std::string out;
  EXPECT_EQ(RunShell("cd '" + dir_ + "/out' && sha256sum --quiet -c ../out.sha256", &out), 0) << out;
  EXPECT_NE(::access((dir_ + "/run.jsonl.journal").c_str(), F_OK), 0);
}

// The host's peak anonymous memory, as the run summary records it.
uint64_t PeakRssAnonKib(const std::string& report) {
  std::ifstream in(report);
  std::string line;
  uint64_t peak = 0;
  while (std::getline(in, line)) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_object() && j.value("record", "") == "run") peak = j.value("peak_rss_anon_kib", uint64_t{0});
  }
  return peak;
}

TEST_F(ParallelRunTest, HostMemoryDoesNotGrowWithTheNumberOfFiles) {
  const std::string tree = dir_ + "/tree";
  ::mkdir(tree.c_str(), 0755);
  AddFiles(tree, "few", 2000, 100);
  AddFiles(tree, "many", 20000, 100);
  ASSERT_TRUE(MakeImage("ext4", tree, dir_ + "/src.img").ok());
  uint64_t peak[2] = {0, 0};
  const char* dirs[2] = {"/few/**", "/many/**"};
  for (int i = 0; i < 2; ++i) {
    WriteManifest(std::string("version: 1\njobs:\n  - {name: x, kind: extract, source: src.img,"
                              " format: raw, hashes: [sha256], select: {include: [") +
                  dirs[i] + "]}, output: {dir: out" + std::to_string(i) + "}}\n");
    WatchedRun run = RunWatched(dir_, "run m.yaml -j 1 --report r" + std::to_string(i) + ".jsonl", nullptr);
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    peak[i] = PeakRssAnonKib(dir_ + "/r" + std::to_string(i) + ".jsonl");
  }
  ASSERT_GT(peak[0], 0u);
  // Ten times the files: a per-file cost of even 100 bytes would add 1.7 MiB; allow noise.
  EXPECT_LT(peak[1], peak[0] + 8192) << "2 000 files: " << peak[0] << " KiB; 20 000 files: "
                                     << peak[1] << " KiB";
}

}  // namespace
}  // namespace diskferry::testing
