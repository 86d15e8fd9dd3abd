#include "jobs/validator.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "tests/jobs/case_files.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

// *.img and *.qcow2 are image files, /dev/* block devices, *dir directories; the rest is
// missing.
HostFileKind FakeProbe(const std::string& path) {
  if (path.starts_with("/dev/")) return HostFileKind::kBlockDevice;
  if (path.ends_with(".img") || path.ends_with(".qcow2") || path.ends_with(".key")) {
    return HostFileKind::kFile;
  }
  if (path.ends_with("dir")) return HostFileKind::kDirectory;
  return HostFileKind::kMissing;
}

struct Loaded {
  Result<ManifestSpec> spec = Status(Code::kInternal, "not loaded");
  Diagnostics diagnostics;
};

// Key files named locked*.key cannot be opened; the others can.
int FakeOpenCheck(const std::string& path) {
  return path.find("/locked") != std::string::npos ? EACCES : 0;
}

Loaded Load(std::string_view yaml, ValidateOptions options = {}) {
  options.probe = FakeProbe;
  options.open_check = FakeOpenCheck;
  options.clock = CaseClock;
  Loaded l;
  l.spec = LoadManifest("dir/m.yaml", yaml, options, &l.diagnostics);
  return l;
}

// A manifest with one job of `kind` whose body is `body` (indented 4).
std::string OneJob(std::string_view kind, std::string_view body) {
  return "version: 1\njobs:\n  - name: j\n    kind: " + std::string(kind) + "\n" +
         std::string(body);
}

const ExtractSpec& Extract(const Loaded& l) { return std::get<ExtractSpec>(l.spec->jobs[0].task); }
const InjectSpec& Inject(const Loaded& l) { return std::get<InjectSpec>(l.spec->jobs[0].task); }

TEST(ValidatorTest, ExtractSpecHasEverythingResolved) {
  Loaded l = Load(OneJob("extract",
                         "    source: a.img\n    format: vmdk\n    filesystem: UUID=1234\n"
                         "    select: {include: [/etc/**], exclude: [/etc/shadow]}\n"
                         "    output: {tar: out/x.tar.gz, preserve: [xattrs], on_exists: skip}\n"
                         "    incremental: {since: last.json}\n    hashes: [md5, sha1]\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  const ExtractSpec& e = Extract(l);
  EXPECT_EQ(l.spec->jobs[0].kind(), JobKind::kExtract);
  EXPECT_EQ(e.source.first().image.text, "a.img");
  EXPECT_EQ(e.source.first().image.path, "dir/a.img");
  EXPECT_EQ(e.source.first().format, ImageFormat::kVmdk);
  EXPECT_EQ(e.source.filesystem.kind, FilesystemKind::kUuid);
  EXPECT_EQ(e.source.filesystem.value, "1234");
  EXPECT_EQ(e.source.filesystem.AsFsArgument(), "UUID=1234");
  EXPECT_TRUE(e.select.Selects("/etc/passwd"));
  EXPECT_FALSE(e.select.Selects("/etc/shadow"));
  EXPECT_EQ(e.output.kind, OutputKind::kTar);
  EXPECT_EQ(e.output.path.text, "out/x.tar.gz");
  EXPECT_FALSE(e.output.preserve.mode);
  EXPECT_TRUE(e.output.preserve.xattrs);
  EXPECT_EQ(e.output.on_exists, OnExistsPolicy::kSkip);
  ASSERT_TRUE(e.since.has_value());
  EXPECT_EQ(e.since->path, "dir/last.json");
  EXPECT_EQ(e.hashes, (std::vector<HashAlgorithm>{HashAlgorithm::kMd5, HashAlgorithm::kSha1}));
}

TEST(ValidatorTest, ExtractDefaults) {
  Loaded l = Load(OneJob("extract", "    source: a.img\n    format: raw\n    output: {dir: o}\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  const ExtractSpec& e = Extract(l);
  EXPECT_EQ(e.source.filesystem.ToString(), "auto");
  EXPECT_EQ(e.source.filesystem.AsFsArgument(), "");
  EXPECT_TRUE(e.select.Selects("/anything/at/all"));
  EXPECT_EQ(e.output.kind, OutputKind::kDir);
  EXPECT_TRUE(e.output.preserve.mode && e.output.preserve.owner && e.output.preserve.times);
  EXPECT_FALSE(e.output.preserve.xattrs);
  EXPECT_EQ(e.output.on_exists, OnExistsPolicy::kFail);
  EXPECT_TRUE(e.hashes.empty());
  EXPECT_EQ(l.spec->run.max_parallel, std::nullopt);
  EXPECT_FALSE(l.spec->run.fail_fast);
  EXPECT_EQ(l.spec->run.retries, 2);
  EXPECT_TRUE(l.spec->run.split);
}

TEST(ValidatorTest, AbsoluteHostPathsAndExplicitBaseDir) {
  ValidateOptions options;
  options.base_dir = "/base";
  Loaded l = Load(OneJob("extract",
                         "    source: /abs/a.img\n    format: raw\n"
                         "    output: {dir: ../o}\n"),
                  options);
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_EQ(Extract(l).source.first().image.path, "/abs/a.img");
  EXPECT_EQ(Extract(l).output.path.path, "/o");
  EXPECT_EQ(Extract(l).output.path.text, "../o");
  EXPECT_EQ(l.spec->base_dir, "/base");
}

TEST(ValidatorTest, BlockDeviceWithoutFormatIsRaw) {
  Loaded l = Load(OneJob("list", "    source: /dev/sdb\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  const ListSpec& list = std::get<ListSpec>(l.spec->jobs[0].task);
  EXPECT_TRUE(list.source.first().block_device);
  EXPECT_EQ(list.source.first().format, ImageFormat::kRaw);
}

TEST(ValidatorTest, ProbeFormatLeavesTheFormatToTheRunner) {
  Loaded l = Load(OneJob("list", "    source: a.img\n    probe_format: true\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_EQ(std::get<ListSpec>(l.spec->jobs[0].task).source.first().format, std::nullopt);
}

TEST(ValidatorTest, DefaultsMergeOneLevelAndJobKeysWin) {
  Loaded l = Load(
      "version: 1\n"
      "defaults:\n"
      "  source: a.img\n  format: qcow2\n"
      "  select: {include: [/etc/**], exclude: [/etc/shadow]}\n"
      "  output: {dir: d, preserve: [mode]}\n"
      "jobs:\n"
      "  - {name: a, kind: extract, select: {include: [/var/**]}, output: {tar: t.tar}}\n"
      "  - {name: b, kind: extract, probe_format: true}\n");
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  const ExtractSpec& a = std::get<ExtractSpec>(l.spec->jobs[0].task);
  EXPECT_TRUE(a.select.Selects("/var/x"));
  EXPECT_FALSE(a.select.Selects("/etc/passwd"));
  ASSERT_EQ(a.select.exclude().size(), 1u);    // inherited beside the job's include
  EXPECT_EQ(a.output.kind, OutputKind::kTar);  // dir and tar are inherited only together
  EXPECT_TRUE(a.output.preserve.mode);
  EXPECT_FALSE(a.output.preserve.times);
  const ExtractSpec& b = std::get<ExtractSpec>(l.spec->jobs[1].task);
  EXPECT_EQ(b.source.first().format, std::nullopt);  // probe_format kept format from coming in
  EXPECT_EQ(b.output.path.text, "d");
}

TEST(ValidatorTest, DefaultsApplyOnlyToKindsThatHaveTheKey) {
  Loaded l = Load(
      "version: 1\ndefaults: {hashes: [sha1], in_place: true, format: raw}\n"
      "jobs:\n"
      "  - {name: a, kind: inject, target: a.img, steps: [{mkdir: {path: /x}}]}\n"
      "  - {name: b, kind: list, source: a.img}\n");
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_TRUE(Inject(l).in_place);
  EXPECT_EQ(std::get<ListSpec>(l.spec->jobs[1].task).hashes.size(), 1u);
}

TEST(ValidatorTest, ProblemInADefaultIsReportedOnceAtTheDefault) {
  Loaded l = Load(
      "version: 1\ndefaults: {format: qcow}\n"
      "jobs:\n  - {name: a, kind: list, source: a.img}\n  - {name: b, kind: list, source: "
      "a.img}\n");
  EXPECT_FALSE(l.spec.ok());
  EXPECT_EQ(l.diagnostics.ToString(),
            "dir/m.yaml:2:20: format: unknown image format 'qcow' (expected raw, qcow2, vmdk, "
            "vdi, vhdx or ewf; did you mean 'qcow2'?)\n");
}

TEST(ValidatorTest, InjectStepsAreTyped) {
  Loaded l = Load(OneJob("inject",
                         "    target: a.img\n    format: raw\n    output: n.qcow2\n    steps:\n"
                         "      - upload: {from: sitedir, to: //srv//www/, mode: 644, owner: "
                         "\"1:2\"}\n"
                         "      - write: {path: /f, content: \"\"}\n"
                         "      - mkdir: {path: /d, mode: 0o700, parents: true}\n"
                         "      - chmod: {path: /f, mode: \"4755\"}\n"
                         "      - delete: {path: \"/tmp/*.log\"}\n"
                         "      - delete: {path: \"/a\\\\*b\", recursive: true}\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  const std::vector<StepSpec>& steps = Inject(l).steps;
  ASSERT_EQ(steps.size(), 6u);
  const auto& upload = std::get<UploadStep>(steps[0].action);
  EXPECT_EQ(upload.to, "/srv/www");
  EXPECT_EQ(upload.mode, 0644u);
  EXPECT_EQ(upload.owner->uid, 1u);
  EXPECT_EQ(upload.owner->gid, 2u);
  EXPECT_EQ(std::get<WriteStep>(steps[1].action).mode, 0644u);
  EXPECT_EQ(std::get<MkdirStep>(steps[2].action).mode, 0700u);
  EXPECT_TRUE(std::get<MkdirStep>(steps[2].action).parents);
  EXPECT_EQ(std::get<ChmodStep>(steps[3].action).mode, 04755u);
  const auto& glob = std::get<DeleteStep>(steps[4].action);
  ASSERT_TRUE(glob.glob.has_value());
  EXPECT_TRUE(glob.glob->Matches("/tmp/x.log"));
  const auto& escaped = std::get<DeleteStep>(steps[5].action);
  EXPECT_TRUE(escaped.recursive);
  ASSERT_TRUE(escaped.glob.has_value());
  EXPECT_FALSE(escaped.glob->HasWildcards());
  EXPECT_EQ(steps[4].number, 5);
  EXPECT_EQ(steps[4].mark.line, 13);
}

TEST(ValidatorTest, ModesAndOwnersOutOfRangeAreRejected) {
  Loaded l = Load(OneJob("inject",
                         "    target: a.img\n    format: raw\n    in_place: true\n    steps:\n"
                         "      - chmod: {path: /f, mode: 17777}\n"
                         "      - chmod: {path: /f, mode: \"0x1ff\"}\n"
                         "      - chown: {path: /f, owner: \"4294967295:0\"}\n"
                         "      - chown: {path: /f, owner: \"0\"}\n"));
  EXPECT_EQ(l.diagnostics.Sorted().size(), 4u) << l.diagnostics.ToString();
}

TEST(ValidatorTest, SeveralSourcesAreAttachedInOrderEachWithItsFormatAndBacking) {
  Loaded l = Load(OneJob("list",
                         "    source: [root.qcow2, data.img, /dev/sdc]\n"
                         "    format: [qcow2, raw, raw]\n"
                         "    backing: [[base.qcow2, older.qcow2], [], []]\n"
                         "    filesystem: /dev/sdb1\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  const MachineSpec& m = std::get<ListSpec>(l.spec->jobs[0].task).source;
  ASSERT_EQ(m.disks.size(), 3u);
  EXPECT_EQ(m.disks[0].image.path, "dir/root.qcow2");
  EXPECT_EQ(m.disks[0].format, ImageFormat::kQcow2);
  ASSERT_EQ(m.disks[0].backing.size(), 2u);
  EXPECT_EQ(m.disks[0].backing[1].path, "dir/older.qcow2");
  EXPECT_EQ(m.disks[1].format, ImageFormat::kRaw);
  EXPECT_TRUE(m.disks[1].backing.empty());
  EXPECT_TRUE(m.disks[2].block_device);
  EXPECT_EQ(m.filesystem.ToString(), "/dev/sdb1");
  EXPECT_TRUE(m.replay);
  EXPECT_TRUE(m.keys.empty());
}

TEST(ValidatorTest, OneFormatAppliesToEveryDiskAndAListMustHaveOnePerDisk) {
  Loaded one = Load(OneJob("list", "    source: [a.img, b.img]\n    format: vdi\n"));
  ASSERT_TRUE(one.spec.ok()) << one.diagnostics.ToString();
  const MachineSpec& m = std::get<ListSpec>(one.spec->jobs[0].task).source;
  EXPECT_EQ(m.disks[0].format, ImageFormat::kVdi);
  EXPECT_EQ(m.disks[1].format, ImageFormat::kVdi);

  Loaded wrong = Load(OneJob("list", "    source: [a.img, b.img]\n    format: [raw]\n"));
  EXPECT_EQ(wrong.diagnostics.ToString(),
            "dir/m.yaml:6:13: format: 1 format for 2 disks: give one format per disk of "
            "source, in its order, or one format for all\n");
}

TEST(ValidatorTest, KeyFilesAreCheckedWithTheirDevices) {
  Loaded l = Load(OneJob("extract",
                         "    source: a.img\n    format: raw\n    output: {dir: out}\n"
                         "    keys:\n"
                         "      - {device: /dev/sda2, file: root.key}\n"
                         "      - {file: any.key}\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  const std::vector<KeySpec>& keys = Extract(l).source.keys;
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].device, "/dev/sda2");
  EXPECT_EQ(keys[0].file.path, "dir/root.key");
  EXPECT_EQ(keys[1].device, "");
  EXPECT_EQ(keys[1].file.text, "any.key");
}

TEST(ValidatorTest, AnUnreadableOrMissingKeyFileIsOneLineNamingIt) {
  Loaded l = Load(OneJob("list",
                         "    source: a.img\n    format: raw\n"
                         "    keys: [{file: locked.key}, {file: gone.bin}]\n"));
  EXPECT_EQ(l.diagnostics.ToString(),
            "dir/m.yaml:7:19: keys: key file locked.key cannot be read: Permission denied\n"
            "dir/m.yaml:7:39: keys: key file gone.bin does not exist\n");
}

TEST(ValidatorTest, ReplayDefaultsToTrueAndFalseIsKept) {
  Loaded l = Load(OneJob("verify",
                         "    source: a.img\n    format: raw\n    against: r.img\n"
                         "    replay: false\n"));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_FALSE(std::get<VerifySpec>(l.spec->jobs[0].task).source.replay);
}

TEST(ValidatorTest, FilesystemOsIsAWholeOsTreeForReadingAndInjectJobs) {
  Loaded l = Load("version: 1\njobs:\n"
                  "  - {name: a, kind: list, source: a.img, format: raw, filesystem: os}\n"
                  "  - name: b\n    kind: inject\n    target: a.img\n    format: raw\n"
                  "    filesystem: os\n    in_place: true\n"
                  "    steps: [{mkdir: {path: /x}}]\n");
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_EQ(std::get<ListSpec>(l.spec->jobs[0].task).source.filesystem.kind, FilesystemKind::kOs);
  const InjectSpec& inject = std::get<InjectSpec>(l.spec->jobs[1].task);
  EXPECT_EQ(inject.target.filesystem.kind, FilesystemKind::kOs);
  EXPECT_EQ(inject.target.filesystem.ToString(), "os");
}

TEST(ValidatorTest, ReplayOnAnInjectJobIsRejectedWithTheReason) {
  Loaded l = Load(OneJob("inject",
                         "    target: a.img\n    format: raw\n    in_place: true\n"
                         "    replay: false\n    steps: [{mkdir: {path: /x}}]\n"));
  EXPECT_NE(l.diagnostics.ToString().find("key 'replay' does not apply to inject jobs: they "
                                          "mount read-write"),
            std::string::npos)
      << l.diagnostics.ToString();
}

TEST(ValidatorTest, MissingSourceIsAnErrorAtItsMark) {
  Loaded l = Load(OneJob("list", "    source: gone.raw\n    format: raw\n"));
  EXPECT_EQ(l.diagnostics.ToString(), "dir/m.yaml:5:13: source: gone.raw does not exist\n");
}

TEST(ValidatorTest, MaxParallelMustBeBetweenOneAnd256) {
  Loaded l = Load("version: 1\nrun: {max_parallel: 1000}\n" +
                  OneJob("list", "    source: a.img\n    format: raw\n").substr(11));
  EXPECT_EQ(l.diagnostics.ToString(), "dir/m.yaml:2:21: max_parallel: at most 256, found 1000\n");
}

TEST(ValidatorTest, RunKeysAreReadWhenGiven) {
  Loaded l =
      Load("version: 1\nrun: {max_parallel: 3, fail_fast: true, retries: 0, split: false}\n" +
           OneJob("list", "    source: a.img\n    format: raw\n").substr(11));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_EQ(l.spec->run.max_parallel, 3);
  EXPECT_TRUE(l.spec->run.fail_fast);
  EXPECT_EQ(l.spec->run.retries, 0);
  EXPECT_FALSE(l.spec->run.split);
}

TEST(ValidatorTest, RunKeysTakeVariables) {
  Loaded l = Load(
      "version: 1\nvars: {n: {type: int, default: 10}, s: {type: bool, default: false}}\n"
      "run: {max_parallel: \"${n}\", retries: \"${n}\", split: \"${s}\"}\n" +
      OneJob("list", "    source: a.img\n    format: raw\n").substr(11));
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_EQ(l.spec->run.max_parallel, 10);
  EXPECT_EQ(l.spec->run.retries, 10);
  EXPECT_FALSE(l.spec->run.split);
}

TEST(ValidatorTest, RetriesMustBeBetweenZeroAndTen) {
  Loaded l = Load("version: 1\nrun: {retries: 11}\n" +
                  OneJob("list", "    source: a.img\n    format: raw\n").substr(11));
  EXPECT_EQ(l.diagnostics.ToString(), "dir/m.yaml:2:16: retries: at most 10, found 11\n");
  l = Load("version: 1\nrun: {retries: -1, max_parallel: 0}\n" +
           OneJob("list", "    source: a.img\n    format: raw\n").substr(11));
  EXPECT_EQ(l.diagnostics.ToString(),
            "dir/m.yaml:2:16: retries: must be at least 0, found -1\n"
            "dir/m.yaml:2:34: max_parallel: must be at least 1, found 0\n");
}

TEST(ValidatorTest, ParserProblemsAloneStopValidation) {
  ValidateOptions options;
  options.probe = FakeProbe;
  Diagnostics diagnostics;
  diagnostics.Add(SourceMark{"m.yaml", 1, 1}, "from the parser");
  ManifestConfig config;
  config.file = "m.yaml";
  Result<ManifestSpec> spec = ValidateManifest(config, options, &diagnostics);
  EXPECT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), Code::kInvalidArgument);
}

TEST(ValidatorTest, ResultSummarizesTheProblemCount) {
  Loaded l = Load("version: 3\n");
  ASSERT_FALSE(l.spec.ok());
  EXPECT_EQ(l.spec.status().message(), "dir/m.yaml: 2 problems");
}

TEST(ValidatorTest, VarsAndTimeAreKeptInTheSpec) {
  ValidateOptions options;
  options.overrides = {{"who", "me"}};
  Loaded l = Load("version: 1\nvars: {who: you}\n" +
                      OneJob("list", "    source: a.img\n    format: raw\n").substr(11),
                  options);
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_EQ(l.spec->vars.at("who"), "me");
  EXPECT_EQ(l.spec->vars.at("date"), "2026-11-23");
  EXPECT_EQ(l.spec->now.hour, 2);
}

TEST(ValidatorTest, LoadManifestFileReadsTheFileOrSaysWhyNot) {
  Diagnostics diagnostics;
  Result<ManifestSpec> missing =
      LoadManifestFile("/nonexistent/diskferry/m.yaml", ValidateOptions{}, &diagnostics);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_TRUE(diagnostics.empty());

  // Relative paths resolve against the manifest's directory by default.
  const ScratchDir scratch("df-validator");
  const std::string& dir = scratch.path();
  ASSERT_FALSE(dir.empty());
  ASSERT_TRUE(WriteTextFile(dir + "/disk.img", ""));
  ASSERT_TRUE(
      WriteTextFile(dir + "/m.yaml", OneJob("list", "    source: disk.img\n    format: raw\n")));
  Result<ManifestSpec> spec = LoadManifestFile(dir + "/m.yaml", ValidateOptions{}, &diagnostics);
  EXPECT_TRUE(spec.ok()) << diagnostics.ToString();
  if (spec.ok()) {
    EXPECT_EQ(spec->base_dir, dir);
    // Joined paths are in the host's own form ('\\' separators on Windows).
    EXPECT_EQ(FsPath(std::get<ListSpec>(spec->jobs[0].task).source.first().image.path),
              FsPath(dir + "/disk.img"));
  }
}

TEST(ValidatorTest, EvidenceIsOffByDefaultAndComesFromDefaultsForReadingJobsOnly) {
  Loaded l = Load(
      "version: 1\ndefaults:\n  evidence: true\njobs:\n"
      "  - {name: a, kind: list, source: a.img, format: raw}\n"
      "  - {name: b, kind: verify, source: a.img, format: raw, against: x.json, evidence: false}\n"
      "  - {name: c, kind: inject, target: a.img, format: raw, in_place: true,\n"
      "     steps: [{mkdir: {path: /a}}]}\n");
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_TRUE(std::get<ListSpec>(l.spec->jobs[0].task).source.evidence);
  EXPECT_FALSE(std::get<VerifySpec>(l.spec->jobs[1].task).source.evidence);
  EXPECT_FALSE(std::get<InjectSpec>(l.spec->jobs[2].task).target.evidence);
  Loaded plain = Load(OneJob("list", "    source: a.img\n    format: raw\n"));
  ASSERT_TRUE(plain.spec.ok()) << plain.diagnostics.ToString();
  EXPECT_FALSE(std::get<ListSpec>(plain.spec->jobs[0].task).source.evidence);
}

TEST(ValidatorTest, RequireEvidenceSetsItOnEveryReadingJob) {
  Loaded l = Load(
      "version: 1\njobs:\n  - {name: a, kind: extract, source: a.img, format: raw, "
      "output: {dir: out}}\n"
      "  - {name: c, kind: inject, target: a.img, format: raw, in_place: true,\n"
      "     steps: [{mkdir: {path: /a}}]}\n");
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  RequireEvidence(&*l.spec);
  EXPECT_TRUE(Extract(l).source.evidence);
  EXPECT_FALSE(std::get<InjectSpec>(l.spec->jobs[1].task).target.evidence);
}

TEST(ValidatorTest, EvidenceOnAnInjectJobIsOneLine) {
  Loaded l = Load(OneJob("inject",
                         "    target: a.img\n    format: raw\n    in_place: true\n"
                         "    evidence: true\n    steps: [{mkdir: {path: /a}}]\n"));
  ASSERT_FALSE(l.spec.ok());
  EXPECT_EQ(l.diagnostics.ToString(),
            "dir/m.yaml:8:5: key 'evidence' does not apply to inject jobs: they write their "
            "target; hash it with a list job (evidence: true) before and after\n");
}

TEST(ValidatorTest, CaseFieldsAreTextWithVariablesAndAllOptional) {
  Loaded l = Load(
      "version: 1\nvars:\n  who: A. Smith\ncase:\n  id: C-1\n  examiner: \"${who}\"\n"
      "  notes: 42\njobs:\n  - {name: a, kind: list, source: a.img, format: raw}\n");
  ASSERT_TRUE(l.spec.ok()) << l.diagnostics.ToString();
  EXPECT_EQ(l.spec->case_spec.id, "C-1");
  EXPECT_EQ(l.spec->case_spec.examiner, "A. Smith");
  EXPECT_EQ(l.spec->case_spec.evidence_id, "");
  EXPECT_EQ(l.spec->case_spec.notes, "42");
}

TEST(ValidatorTest, AnUnknownCaseKeyGetsADidYouMean) {
  Loaded l = Load(
      "version: 1\ncase:\n  evidenceid: E-1\njobs:\n"
      "  - {name: a, kind: list, source: a.img, format: raw}\n");
  ASSERT_FALSE(l.spec.ok());
  EXPECT_EQ(l.diagnostics.ToString(),
            "dir/m.yaml:3:3: unknown key 'evidenceid' in case (did you mean 'evidence_id'?)\n");
}

}  // namespace
}  // namespace diskferry
