// examples/k8s checked as far as this machine allows: no cluster and no container engine
// run here, and kubectl's dry runs need an API server, so the Jobs are read as YAML and
// held against what the shard logic reads (completions, parallelism and --shards agree;
// the merge names every shard's report; the disks are read-only; the manifest is the
// ConfigMap's), the ConfigMap's manifest goes through the built `diskferry validate`, the
// shard pod's script runs against a stand-in diskferry, and the Dockerfile is held against
// the package this build makes and the packages Debian 12 has.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sinks/run_report.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

const std::string kDir = DF_K8S_EXAMPLE_DIR;
const std::string kDiskferry = DF_DISKFERRY_BINARY;
constexpr uint64_t kShmRegionMib = 256;  // appliance.h, kDefaultShmSize

struct Ran {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// `command` through sh, unquoted: its words are scratch paths (temp_directory_path() and
// digits) and names from the example, none with spaces or shell characters.
Ran Shell(const std::string& command) {
  Ran ran;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return ran;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) ran.output.append(buffer, n);
  const int status = ::pclose(pipe);
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

// yaml-cpp 0.7's LoadAll can loop forever on malformed input (jobs/README.md), so the
// documents are split at their "---" lines and loaded one at a time. Throws
// YAML::ParserException on a document that does not parse.
std::vector<YAML::Node> LoadDocuments(const std::string& name) {
  std::vector<YAML::Node> docs;
  std::istringstream in(ReadWholeFile(kDir + "/" + name));
  std::string line, text;
  auto add = [&] {
    YAML::Node doc = YAML::Load(text);
    if (!doc.IsNull()) docs.push_back(doc);
    text.clear();
  };
  while (std::getline(in, line)) {
    if (line == "---") {
      add();
    } else {
      text += line + "\n";
    }
  }
  add();
  return docs;
}

YAML::Node Find(const std::string& file, const std::string& kind, const std::string& name) {
  for (const YAML::Node& doc : LoadDocuments(file)) {
    if (doc["kind"].as<std::string>() == kind &&
        doc["metadata"]["name"].as<std::string>() == name) {
      return doc;
    }
  }
  ADD_FAILURE() << file << " has no " << kind << " " << name;
  return YAML::Node();
}

YAML::Node ShardsJob() { return Find("diskferry-shards.yaml", "Job", "diskferry-shards"); }
YAML::Node MergeJob() { return Find("diskferry-merge.yaml", "Job", "diskferry-merge"); }
YAML::Node ConfigMap() { return Find("configmap.yaml", "ConfigMap", "diskferry-manifest"); }
YAML::Node PodSpec(const YAML::Node& job) { return job["spec"]["template"]["spec"]; }

std::vector<std::string> CommandOf(const YAML::Node& job) {
  std::vector<std::string> command;
  const YAML::Node container = PodSpec(job)["containers"][0];
  for (const char* key : {"command", "args"}) {
    for (const YAML::Node& arg : container[key]) command.push_back(arg.as<std::string>());
  }
  return command;
}

// The shard pod runs `sh -c SCRIPT`.
std::string ShardScript() {
  const std::vector<std::string> command = CommandOf(ShardsJob());
  for (size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] == "sh" && command[i + 1] == "-c" && i + 2 < command.size()) {
      return command[i + 2];
    }
  }
  ADD_FAILURE() << "the shards Job runs no sh -c script";
  return "";
}

// The first capture of `pattern` in `text`, or "" (with a failure).
std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch match;
  if (std::regex_search(text, match, std::regex(pattern))) return match[1];
  ADD_FAILURE() << "no match for " << pattern << " in:\n" << text;
  return "";
}

std::string ShardedReport(std::string pattern, const std::string& index) {
  const size_t at = pattern.find("{shard}");
  EXPECT_NE(at, std::string::npos) << pattern;
  return at == std::string::npos ? pattern : pattern.replace(at, 7, index);
}

// The mount that holds `path` (the deepest mountPath at or above it) and its volume.
struct Mount {
  YAML::Node mount;
  YAML::Node volume;
};
Mount MountOf(const YAML::Node& job, const std::string& path) {
  Mount found;
  size_t depth = 0;
  for (const YAML::Node& m : PodSpec(job)["containers"][0]["volumeMounts"]) {
    const std::string at = m["mountPath"].as<std::string>();
    if ((path == at || path.starts_with(at + "/")) && at.size() > depth) {
      depth = at.size();
      found.mount = m;
    }
  }
  if (!found.mount) {
    ADD_FAILURE() << "nothing is mounted at or above " << path;
    return found;
  }
  for (const YAML::Node& v : PodSpec(job)["volumes"]) {
    if (v["name"].as<std::string>() == found.mount["name"].as<std::string>()) found.volume = v;
  }
  EXPECT_TRUE(found.volume) << "no volume " << found.mount["name"].as<std::string>();
  return found;
}

YAML::Node Manifest() { return YAML::Load(ConfigMap()["data"]["backup.yaml"].as<std::string>()); }

TEST(K8sExampleTest, EveryYamlDocumentParsesAndSaysWhatItIs) {
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".yaml")) continue;
    ++files;
    SCOPED_TRACE(name);
    std::vector<YAML::Node> docs;
    try {
      docs = LoadDocuments(name);
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_FALSE(docs.empty());
    for (const YAML::Node& doc : docs) {
      EXPECT_TRUE(doc["apiVersion"].IsScalar() && doc["kind"].IsScalar() &&
                  doc["metadata"]["name"].IsScalar())
          << YAML::Dump(doc);
    }
  }
  EXPECT_EQ(files, 4u);  // pvc, configmap, the shards Job and the merge Job
}

TEST(K8sExampleTest, CompletionsParallelismAndShardsAgree) {
  const YAML::Node job = ShardsJob();
  const std::string script = ShardScript();
  EXPECT_EQ(job["apiVersion"].as<std::string>(), "batch/v1");
  EXPECT_EQ(job["spec"]["completionMode"].as<std::string>(), "Indexed");
  const int shards = std::stoi(Capture(script, R"(--shards (\d+))"));
  EXPECT_EQ(job["spec"]["completions"].as<int>(), shards);
  EXPECT_EQ(job["spec"]["parallelism"].as<int>(), shards);
  EXPECT_NE(script.find("diskferry run "), std::string::npos);
  EXPECT_NE(script.find("--shard auto"), std::string::npos);
  EXPECT_NE(Capture(script, R"(--report '?([^'\s]+)'?)").find("{shard}"), std::string::npos);
  // backoffLimitPerIndex and podFailurePolicy are refused with any other restartPolicy.
  EXPECT_EQ(PodSpec(job)["restartPolicy"].as<std::string>(), "Never");
  EXPECT_GE(job["spec"]["backoffLimitPerIndex"].as<int>(), 1);
}

TEST(K8sExampleTest, MergeListsOneReportPerShardOfTheSamePattern) {
  const std::string script = ShardScript();
  const int shards = std::stoi(Capture(script, R"(--shards (\d+))"));
  const std::string pattern = Capture(script, R"(--report '?([^'\s]+)'?)");
  std::vector<std::string> expected;
  for (int i = 0; i < shards; ++i) expected.push_back(ShardedReport(pattern, std::to_string(i)));

  const std::vector<std::string> command = CommandOf(MergeJob());
  const auto merge = std::find(command.begin(), command.end(), "merge");
  const auto out = std::find(command.begin(), command.end(), "-o");
  ASSERT_TRUE(merge != command.end() && out != command.end() && merge < out);
  EXPECT_EQ(std::vector<std::string>(merge + 1, out), expected);

  // The merge reads them where the shards wrote them: the same claim and subPath.
  const Mount wrote = MountOf(ShardsJob(), expected[0]);
  const Mount reads = MountOf(MergeJob(), expected[0]);
  ASSERT_TRUE(wrote.volume && reads.volume);
  EXPECT_EQ(YAML::Dump(wrote.volume["persistentVolumeClaim"]["claimName"]),
            YAML::Dump(reads.volume["persistentVolumeClaim"]["claimName"]));
  EXPECT_EQ(wrote.mount["mountPath"].as<std::string>(), reads.mount["mountPath"].as<std::string>());
  EXPECT_EQ(YAML::Dump(wrote.mount["subPath"]), YAML::Dump(reads.mount["subPath"]));
}

// The script's own test for a finished or interrupted shard looks at the report the
// --report pattern names for its index.
TEST(K8sExampleTest, ScriptLooksAtItsOwnIndexsReport) {
  const std::string script = ShardScript();
  const std::string pattern = Capture(script, R"(--report '?([^'\s]+)'?)");
  EXPECT_EQ(Capture(script, R"(report=(\S+))"), ShardedReport(pattern, "$JOB_COMPLETION_INDEX"));
}

TEST(K8sExampleTest, DisksAreMountedReadOnly) {
  const YAML::Node manifest = Manifest();
  const std::string disks = manifest["vars"]["disks"]["default"].as<std::string>();
  for (const YAML::Node& job : manifest["jobs"]) {
    EXPECT_TRUE(job["source"].as<std::string>().starts_with("${disks}/")) << YAML::Dump(job);
  }
  const Mount m = MountOf(ShardsJob(), disks);
  ASSERT_TRUE(m.volume);
  EXPECT_TRUE(m.mount["readOnly"] && m.mount["readOnly"].as<bool>()) << YAML::Dump(m.mount);
  const YAML::Node claim = m.volume["persistentVolumeClaim"];
  ASSERT_TRUE(claim) << YAML::Dump(m.volume);
  EXPECT_TRUE(claim["readOnly"] && claim["readOnly"].as<bool>()) << YAML::Dump(claim);
}

TEST(K8sExampleTest, TheRunsManifestIsTheConfigMaps) {
  const std::string path = Capture(ShardScript(), R"(diskferry run (\S+))");
  const Mount m = MountOf(ShardsJob(), path);
  ASSERT_TRUE(m.volume);
  ASSERT_TRUE(m.volume["configMap"]) << YAML::Dump(m.volume);
  EXPECT_EQ(m.volume["configMap"]["name"].as<std::string>(),
            ConfigMap()["metadata"]["name"].as<std::string>());
  const std::string key = path.substr(m.mount["mountPath"].as<std::string>().size() + 1);
  EXPECT_TRUE(ConfigMap()["data"][key]) << "the ConfigMap has no key " << key;
}

uint64_t Mebibytes(const std::string& quantity) {
  const uint64_t n = std::stoull(quantity);
  if (quantity.ends_with("Gi")) return n << 10;
  EXPECT_TRUE(quantity.ends_with("Mi")) << quantity;
  return n;
}

TEST(K8sExampleTest, SharedMemoryHoldsARegionPerAppliance) {
  const int appliances = std::stoi(Capture(ShardScript(), R"(--jobs (\d+))"));
  const Mount m = MountOf(ShardsJob(), "/dev/shm");
  ASSERT_TRUE(m.volume);
  EXPECT_EQ(m.mount["mountPath"].as<std::string>(), "/dev/shm");
  const YAML::Node dir = m.volume["emptyDir"];
  ASSERT_TRUE(dir) << YAML::Dump(m.volume);
  EXPECT_EQ(dir["medium"].as<std::string>(), "Memory");
  EXPECT_GE(Mebibytes(dir["sizeLimit"].as<std::string>()), appliances * kShmRegionMib);
}

TEST(K8sExampleTest, ConfigMapsManifestPassesValidate) {
  ScratchDir scratch;
  const std::string manifest = scratch / "backup.yaml";
  ASSERT_TRUE(WriteWholeFile(manifest, ConfigMap()["data"]["backup.yaml"].as<std::string>()));
  // Sources must exist to validate: empty stand-ins, where the disks var points.
  std::filesystem::create_directory(scratch / "disks");
  for (const YAML::Node& job : Manifest()["jobs"]) {
    const std::string source = job["source"].as<std::string>();
    ASSERT_TRUE(WriteWholeFile(scratch / ("disks" + source.substr(source.find('/'))), ""));
  }
  const Ran ran =
      Shell(kDiskferry + " validate " + manifest + " --var disks=" + scratch.File("disks") +
            " --var out=" + scratch.File("out"));
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
}

// The shard script in a scratch directory: its /reports/ there, a stand-in diskferry first
// on PATH that records its arguments and exits with DF_EXIT.
class K8sShardScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(scratch_ / "bin");
    std::filesystem::create_directories(scratch_ / "reports");
    const std::string script =
        std::regex_replace(ShardScript(), std::regex("/reports/"), scratch_.File("reports/"));
    ASSERT_TRUE(WriteWholeFile(scratch_ / "shard.sh", script));
    ASSERT_TRUE(WriteWholeFile(scratch_ / "bin/diskferry",
                               "#!/bin/sh\necho \"$*\" > \"$DF_ARGS\"\nexit \"$DF_EXIT\"\n"));
    std::filesystem::permissions(scratch_ / "bin/diskferry", std::filesystem::perms::owner_all);
    pattern_ = Capture(script, R"(--report '?([^'\s]+)'?)");
  }

  // Runs the script as index 1 with diskferry exiting `exit_code`.
  Ran RunShard(int exit_code) {
    return Shell("env PATH=" + scratch_.File("bin") +
                 ":/usr/bin:/bin JOB_COMPLETION_INDEX=1 DF_ARGS=" + scratch_.File("args") +
                 " DF_EXIT=" + std::to_string(exit_code) + " sh " + scratch_.File("shard.sh"));
  }
  std::string Args() {
    return std::filesystem::exists(scratch_ / "args") ? ReadWholeFile(scratch_ / "args") : "";
  }
  // Index 1's report, ending with a run record as diskferry writes it.
  void WriteReport(const std::string& status) {
    auto report = RunReport::Open(ShardedReport(pattern_, "1"));
    ASSERT_TRUE(report.ok());
    RunSummary summary;
    summary.status = status;
    ASSERT_TRUE(report->AddRunSummary(summary).ok());
    ASSERT_TRUE(report->Close().ok());
  }

  ScratchDir scratch_;
  std::string pattern_;
};

TEST_F(K8sShardScriptTest, RunsItsShardAndLeavesTheVerdictToTheMerge) {
  for (int finished : {0, 1, 2, 3}) {
    const Ran ran = RunShard(finished);
    EXPECT_EQ(ran.exit_code, 0) << finished << ": " << ran.output;
  }
  EXPECT_NE(Args().find("run "), std::string::npos) << Args();
  EXPECT_NE(Args().find("--report " + pattern_), std::string::npos) << Args();
  EXPECT_EQ(Args().find("--resume"), std::string::npos) << Args();
}

TEST_F(K8sShardScriptTest, FailsThePodWhenTheShardDidNotFinish) {
  for (int code : {64, 65, 69, 130, 143}) EXPECT_EQ(RunShard(code).exit_code, code);
}

TEST_F(K8sShardScriptTest, ResumesWhenTheJournalIsThere) {
  WriteReport("interrupted");
  std::filesystem::create_directory(ShardedReport(pattern_, "1") + ".journal");
  EXPECT_EQ(RunShard(0).exit_code, 0);
  // The same text as --report: diskferry takes --resume with --report only when they agree.
  EXPECT_NE(Args().find("--report " + pattern_ + " --resume " + pattern_), std::string::npos)
      << Args();
}

TEST_F(K8sShardScriptTest, SkipsAShardWhoseReportIsComplete) {
  WriteReport("complete");
  const Ran ran = RunShard(2);
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_EQ(Args(), "") << "diskferry ran for a finished shard";
}

// ARG defaults substituted into the Dockerfile's text, continuation lines joined.
std::string Dockerfile() {
  std::string text =
      std::regex_replace(ReadWholeFile(kDir + "/Dockerfile"), std::regex("\\\\\n"), " ");
  std::smatch arg;
  std::string search = text;
  while (std::regex_search(search, arg, std::regex(R"(\nARG (\w+)=(\S+))"))) {
    text = std::regex_replace(text, std::regex("\\$\\{" + arg[1].str() + "\\}"), arg[2].str());
    search = arg.suffix();
  }
  return text;
}

// What `apt-get install` is given, options left out.
std::vector<std::string> AptInstalls(const std::string& dockerfile) {
  std::vector<std::string> names;
  const std::string line = Capture(dockerfile, R"(apt-get install ([^&\n]+))");
  std::istringstream words(line);
  for (std::string w; words >> w;) {
    if (!w.starts_with("-")) names.push_back(w);
  }
  return names;
}

TEST(K8sExampleTest, DockerfileInstallsThePackageThisBuildMakes) {
  const std::string dockerfile = Dockerfile();
  EXPECT_TRUE(std::regex_search(dockerfile, std::regex(R"(\nFROM debian:12(-slim)?\n)")))
      << dockerfile.substr(0, dockerfile.find('\n', dockerfile.find("FROM")));
  // scripts/package.sh: CPack's DEB-DEFAULT name, diskferry_VERSION_ARCH.deb.
  const Ran version = Shell(kDiskferry + " --version");
  const Ran arch = Shell("dpkg --print-architecture");
  ASSERT_EQ(version.exit_code, 0);
  ASSERT_EQ(arch.exit_code, 0);
  const std::string deb = "diskferry_" + Capture(version.output, R"(^diskferry (\S+))") + "_" +
                          Capture(arch.output, R"((\S+))") + ".deb";
  EXPECT_TRUE(std::regex_search(dockerfile, std::regex("\nCOPY " + deb + " /tmp/\n"))) << deb;
  const std::vector<std::string> installs = AptInstalls(dockerfile);
  EXPECT_TRUE(std::find(installs.begin(), installs.end(), "/tmp/" + deb) != installs.end())
      << deb << " is not what apt-get installs";
}

TEST(K8sExampleTest, DockerfileNamesOnlyDebianPackagesAndWhatTheJobsRun) {
  // apt-cache answers for this host's release, which must be the image's.
  ASSERT_TRUE(ReadWholeFile("/etc/debian_version").starts_with("12."));
  std::set<std::string> installed;
  for (const std::string& name : AptInstalls(Dockerfile())) {
    if (!name.starts_with("/")) installed.insert(name);  // not the package file
  }
  std::string names;
  for (const std::string& name : installed) names += " " + name;
  // One call: it prints every package it has and fails for any it has not.
  const Ran shown = Shell("apt-cache show --no-all-versions" + names);
  EXPECT_EQ(shown.exit_code, 0);
  for (const std::string& name : installed) {
    EXPECT_NE(shown.output.find("Package: " + name + "\n"), std::string::npos) << name;
  }
  // The Jobs' first words come from those packages or from diskferry's.
  for (const YAML::Node& job : {ShardsJob(), MergeJob()}) {
    const std::string program = CommandOf(job).at(0);
    EXPECT_TRUE(program == "diskferry" || installed.count(program) == 1) << program;
  }
}

}  // namespace
}  // namespace diskferry
