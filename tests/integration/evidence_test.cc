// `evidence: true` end to end (sinks/evidence.h): real appliances on ext4 images made
// by mke2fs -d; the report's hashes against sha256sum and md5sum; one record per disk and
// backing file; and an image changed from outside while the job runs, which fails it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/fs_images.h"

namespace diskferry::testing {
namespace {

using Json = nlohmann::json;

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

// The first word of `tool FILE`'s output (sha256sum, md5sum).
std::string Sum(const std::string& tool, const std::string& file) {
  std::string out;
  EXPECT_EQ(RunShell(tool + " " + Quoted(file), &out), 0) << out;
  return out.substr(0, out.find(' '));
}

std::vector<Json> ReportRecords(const std::string& path, const std::string& record) {
  std::vector<Json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_object() && j.value("record", "") == record) out.push_back(j);
  }
  return out;
}

// The evidence record whose path ends in `name`.
Json RecordFor(const std::vector<Json>& records, const std::string& name) {
  for (const Json& r : records) {
    const std::string path = r.value("path", "");
    if (path.size() >= name.size() &&
        path.compare(path.size() - name.size(), name.size(), name) == 0) {
      return r;
    }
  }
  return Json();
}

// `diskferry run --json` with an archive on stdout: events on stderr (read as they come,
// `on_event` called for each), stdout drained only when `on_event` has returned true once.
struct PipedRun {
  int exit_code = -1;
  std::vector<Json> events;
  uint64_t stdout_bytes = 0;
};

PipedRun RunPiped(const std::string& dir, const std::vector<std::string>& args,
                  const std::function<bool(const Json&)>& until) {
  PipedRun run;
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) return run;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    const std::string prog = BuiltProgram("diskferry");
    std::vector<char*> argv{const_cast<char*>(prog.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(prog.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  FILE* events = ::fdopen(err[0], "r");
  char* line = nullptr;
  size_t cap = 0;
  auto next_event = [&]() -> bool {
    if (::getline(&line, &cap, events) <= 0) return false;
    // Only a launch's own notice can stand among the events (a template that could not be
    // used: appliance/appliance_template.cc); it is not what the test is about.
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded()) run.events.push_back(j);
    return true;
  };
  // Until the awaited event: the job cannot finish meanwhile, since its archive is larger
  // than the pipe holds and nothing reads stdout yet.
  bool reached = false;
  for (size_t seen = 0; !reached && next_event();) {
    while (!reached && seen < run.events.size()) reached = until(run.events[seen++]);
  }
  EXPECT_TRUE(reached) << "the awaited event never came";
  char buf[65536];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    run.stdout_bytes += static_cast<uint64_t>(n);
  }
  ::close(out[0]);
  while (next_event()) {
  }
  std::free(line);
  std::fclose(events);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

class EvidenceRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeScratchDir("evidence");
    tree_ = dir_ + "/tree";
    MakeSourceTree(tree_, {});
  }
  void TearDown() override { RemoveTree(dir_); }

  // An ext4 filesystem of `fs_mib` MiB at the start of a raw file of `file_mib` MiB: the
  // bytes after the filesystem are never read by it.
  void MakeRaw(const std::string& name, int file_mib, int fs_mib) {
    std::string out;
    ASSERT_EQ(RunShell("cd " + Quoted(dir_) + " && truncate -s " + std::to_string(file_mib) + "M " +
                           name + " && mke2fs -q -F -t ext4 -d tree " + name + " " +
                           std::to_string(fs_mib) + "M",
                       &out),
              0)
        << out;
  }

  int Run(const std::string& yaml, const std::string& flags, std::string* out) {
    std::ofstream(dir_ + "/m.yaml") << yaml;
    return RunShell(
        "cd " + Quoted(dir_) + " && " + Diskferry("run m.yaml --report run.jsonl " + flags), out);
  }

  std::string dir_, tree_;
};

TEST_F(EvidenceRunTest, TheReportsHashesEqualSha256sumAndMd5sumBeforeAndAfter) {
  MakeRaw("src.img", 40, 40);
  std::string out;
  ASSERT_EQ(Run("version: 1\ncase:\n  id: C-17\n  examiner: A. Smith\njobs:\n"
                "  - name: pull\n    kind: extract\n    source: src.img\n    format: raw\n"
                "    evidence: true\n    output: {dir: out}\n",
                "", &out),
            0)
      << out;
  const std::vector<Json> evidence = ReportRecords(dir_ + "/run.jsonl", "evidence");
  ASSERT_EQ(evidence.size(), 1u) << out;
  const Json& e = evidence[0];
  const std::string sha256 = Sum("sha256sum", dir_ + "/src.img");
  const std::string md5 = Sum("md5sum", dir_ + "/src.img");
  EXPECT_EQ(e["job"], "pull");
  EXPECT_EQ(e["size"], 40u << 20);
  EXPECT_EQ(e["before"]["sha256"], sha256);
  EXPECT_EQ(e["before"]["md5"], md5);
  EXPECT_EQ(e["after"]["sha256"], sha256);
  EXPECT_EQ(e["after"]["md5"], md5);
  EXPECT_EQ(e["match"], true);
  const std::vector<Json> runs = ReportRecords(dir_ + "/run.jsonl", "run");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["case"], (Json{{"id", "C-17"}, {"examiner", "A. Smith"}}));
}

TEST_F(EvidenceRunTest, EveryDiskAndBackingFileGetsOneRecord) {
  MakeRaw("base.raw", 32, 32);
  MakeRaw("data.raw", 24, 24);
  std::string out;
  ASSERT_EQ(RunShell("cd " + Quoted(dir_) +
                         " && qemu-img create -q -f qcow2 -b base.raw -F raw top.qcow2",
                     &out),
            0)
      << out;
  // --evidence on the command line, for a job that does not ask for it.
  ASSERT_EQ(Run("version: 1\ncase: {id: C-9}\njobs:\n  - name: inv\n    kind: list\n"
                "    source: [top.qcow2, data.raw]\n    format: [qcow2, raw]\n"
                "    backing: [[base.raw], []]\n    filesystem: /dev/sdb\n"
                "    report: inventory.jsonl\n",
                "--evidence", &out),
            0)
      << out;
  // The case heads the inventory and is in the job's record.
  std::ifstream inventory(dir_ + "/inventory.jsonl");
  std::string first;
  std::getline(inventory, first);
  EXPECT_EQ(first, "{\"record\":\"case\",\"id\":\"C-9\"}");
  const std::vector<Json> jobs = ReportRecords(dir_ + "/run.jsonl", "job");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["case"], (Json{{"id", "C-9"}}));
  const std::vector<Json> evidence = ReportRecords(dir_ + "/run.jsonl", "evidence");
  ASSERT_EQ(evidence.size(), 3u) << out;
  for (const std::string name : {"top.qcow2", "base.raw", "data.raw"}) {
    const Json e = RecordFor(evidence, name);
    ASSERT_TRUE(e.is_object()) << name << " has no record";
    EXPECT_EQ(e["before"]["sha256"], Sum("sha256sum", dir_ + "/" + name)) << name;
    EXPECT_EQ(e["after"]["md5"], Sum("md5sum", dir_ + "/" + name)) << name;
    EXPECT_EQ(e["match"], true) << name;
  }
}

// A block device (a read-only loop device over an image file) is hashed the same way, its
// size from BLKGETSIZE64. Needs root and a free loop device.
TEST_F(EvidenceRunTest, ABlockDeviceSourceIsHashedWhole) {
  MakeRaw("src.img", 20, 20);
  std::string device;
  if (::geteuid() != 0 ||
      RunShell("losetup -f --show -r " + Quoted(dir_ + "/src.img"), &device) != 0) {
    GTEST_SKIP() << "no loop device: " << device;
  }
  device.erase(device.find_last_not_of('\n') + 1);
  std::string out;
  const int rc = Run("version: 1\njobs:\n  - name: dev\n    kind: list\n    source: " + device +
                         "\n    evidence: true\n",
                     "", &out);
  std::string detach;
  RunShell("losetup -d " + Quoted(device), &detach);
  ASSERT_EQ(rc, 0) << out;
  const std::vector<Json> evidence = ReportRecords(dir_ + "/run.jsonl", "evidence");
  ASSERT_EQ(evidence.size(), 1u) << out;
  EXPECT_EQ(evidence[0]["path"], device);
  EXPECT_EQ(evidence[0]["size"], 20u << 20);
  EXPECT_EQ(evidence[0]["before"]["sha256"], Sum("sha256sum", dir_ + "/src.img"));
  EXPECT_EQ(evidence[0]["after"]["md5"], Sum("md5sum", dir_ + "/src.img"));
}

TEST_F(EvidenceRunTest, CopyOutEvidencePrintsTheHashesOfSha256sumAndMd5sumAndTheCase) {
  MakeRaw("src.img", 24, 24);
  std::string out;
  ASSERT_EQ(RunShell("cd " + Quoted(dir_) + " && mkdir out && " +
                         Diskferry("copy-out -q --evidence --case-id C-17 --examiner 'A. Smith' "
                                   "src.img:/etc out"),
                     &out),
            0)
      << out;
  EXPECT_NE(out.find("diskferry: case: id C-17, examiner A. Smith\n"), std::string::npos) << out;
  EXPECT_NE(out.find("diskferry: evidence: src.img (25165824 bytes): sha256 " +
                     Sum("sha256sum", dir_ + "/src.img") + ", md5 " +
                     Sum("md5sum", dir_ + "/src.img") + ", the same before and after the copy\n"),
            std::string::npos)
      << out;
}

class EvidenceTamperTest : public EvidenceRunTest {
 protected:
  void SetUp() override {
    EvidenceRunTest::SetUp();
    // A file larger than any pipe buffer: the job cannot finish before stdout is read.
    std::string big(6 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
    std::ofstream(tree_ + "/data/large.bin", std::ios::binary) << big;
    // 48 MiB of filesystem in a 50 MiB file: the last 2 MiB are never read by it.
    MakeRaw("src.img", 50, 48);
    std::ofstream(dir_ + "/m.yaml")
        << "version: 1\njobs:\n  - name: stream\n    kind: extract\n    source: src.img\n"
           "    format: raw\n    evidence: true\n    output: {tar: \"-\"}\n";
    original_sha256_ = Sum("sha256sum", dir_ + "/src.img");
  }

  // Runs the manifest; once the "before" hash of src.img is reported, `change` runs, then
  // the archive is read.
  PipedRun RunChanging(const std::function<void()>& change) {
    return RunPiped(dir_, {"run", "m.yaml", "--json", "--report", "run.jsonl"}, [&](const Json& e) {
      if (e.value("event", "") != "evidence" || e.value("stage", "") != "before") {
        return false;
      }
      EXPECT_EQ(e["hashes"]["sha256"], original_sha256_);
      change();
      return true;
    });
  }

  std::string Message(const PipedRun& run) {
    for (const Json& e : run.events) {
      if (e.value("event", "") == "job_finished") return e.value("message", "");
    }
    return "(no job_finished event)";
  }

  std::string original_sha256_;
};

TEST_F(EvidenceTamperTest, AnImageChangedWhileTheJobRunsFailsTheJob) {
  std::string changed_sha256;
  const PipedRun run = RunChanging([&] {
    const int fd = ::open((dir_ + "/src.img").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const char byte = 'X';
    ASSERT_EQ(::pwrite(fd, &byte, 1, (50 << 20) - 1), 1);
    ::close(fd);
    changed_sha256 = Sum("sha256sum", dir_ + "/src.img");
  });
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_GT(run.stdout_bytes, 6u << 20);
  ASSERT_NE(changed_sha256, original_sha256_);
  const std::string message = Message(run);
  const std::string tail = "src.img changed while the job ran: sha256 before " + original_sha256_ +
                           ", after " + changed_sha256;
  EXPECT_TRUE(message.size() >= tail.size() &&
              message.compare(message.size() - tail.size(), tail.size(), tail) == 0)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  const std::vector<Json> evidence = ReportRecords(dir_ + "/run.jsonl", "evidence");
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_EQ(evidence[0]["match"], false);
  EXPECT_EQ(evidence[0]["before"]["sha256"], original_sha256_);
  EXPECT_EQ(evidence[0]["after"]["sha256"], changed_sha256);
  const std::vector<Json> jobs = ReportRecords(dir_ + "/run.jsonl", "job");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["status"], "failed");
}

TEST_F(EvidenceTamperTest, TheSameRunWithoutAChangePasses) {
  const PipedRun run = RunChanging([] {});
  EXPECT_EQ(run.exit_code, 0) << Message(run);
  EXPECT_GT(run.stdout_bytes, 6u << 20);
  const std::vector<Json> evidence = ReportRecords(dir_ + "/run.jsonl", "evidence");
  ASSERT_EQ(evidence.size(), 1u);
  EXPECT_EQ(evidence[0]["match"], true);
  EXPECT_EQ(evidence[0]["after"]["sha256"], original_sha256_);
}

}  // namespace
}  // namespace diskferry::testing
