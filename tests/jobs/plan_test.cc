#include "jobs/plan.h"

#include <gtest/gtest.h>

#include "jobs/validator.h"
#include "tests/jobs/case_files.h"

namespace diskferry {
namespace {

HostFileKind FakeProbe(const std::string& path) {
  if (path.starts_with("/dev/")) return HostFileKind::kBlockDevice;
  if (path.ends_with(".img") || path.ends_with(".json")) return HostFileKind::kFile;
  if (path.ends_with("dir")) return HostFileKind::kDirectory;
  if (path.ends_with("odd")) return HostFileKind::kOther;
  return HostFileKind::kMissing;
}

RunPlan PlanOf(std::string_view yaml) {
  ValidateOptions options;
  options.probe = FakeProbe;
  options.clock = CaseClock;
  Diagnostics diagnostics;
  Result<ManifestSpec> spec = LoadManifest("m.yaml", yaml, options, &diagnostics);
  EXPECT_TRUE(spec.ok()) << diagnostics.ToString();
  return spec.ok() ? PlanManifest(*spec, FakeProbe) : RunPlan{};
}

std::vector<std::string> Lines(const RunPlan& plan, size_t job) {
  std::vector<std::string> lines;
  for (const PlanLine& line : plan.jobs.at(job).lines) {
    lines.push_back(line.text + (line.not_previewable.empty() ? "" : " | " + line.not_previewable));
  }
  return lines;
}

TEST(PlanTest, UploadSaysWhatTheSourceIsOrThatItCannotBePreviewed) {
  const RunPlan plan = PlanOf(
      "version: 1\njobs:\n  - name: j\n    kind: inject\n    target: a.img\n    format: raw\n"
      "    in_place: true\n    steps:\n"
      "      - upload: {from: sitedir, to: /srv}\n"
      "      - upload: {from: one.img, to: /one.img}\n"
      "      - upload: {from: later, to: /later}\n"
      "      - upload: {from: fifo-odd, to: /odd}\n");
  EXPECT_EQ(Lines(plan, 0), (std::vector<std::string>{
                                "open a.img (raw, auto) and write it in place",
                                "step 1: upload directory sitedir -> /srv",
                                "step 2: upload file one.img -> /one.img",
                                "step 3: upload later -> /later | later does not exist yet",
                                "step 4: upload fifo-odd -> /odd",
                            }));
}

TEST(PlanTest, DeleteWithWildcardsCannotBePreviewed) {
  const RunPlan plan = PlanOf(
      "version: 1\njobs:\n  - name: j\n    kind: inject\n    target: a.img\n    format: raw\n"
      "    output: n.qcow2\n    steps:\n"
      "      - delete: {path: \"/var/cache/**\", recursive: true}\n"
      "      - delete: {path: \"/literal\\\\*star\"}\n"
      "      - delete: {path: /etc/nologin}\n");
  EXPECT_EQ(Lines(plan, 0),
            (std::vector<std::string>{
                "open a.img (raw, auto) and write a new qcow2 overlay n.qcow2",
                "step 1: delete -r /var/cache/** | which paths match is known only inside the "
                "image",
                "step 2: delete /literal\\*star",
                "step 3: delete /etc/nologin",
            }));
}

TEST(PlanTest, DisksShowFormatOrProbeAndBlockDevices) {
  const RunPlan plan = PlanOf(
      "version: 1\njobs:\n"
      "  - {name: a, kind: list, source: /dev/sdb, filesystem: /dev/sdb1}\n"
      "  - {name: b, kind: list, source: a.img, probe_format: true, report: r.json}\n"
      "  - {name: c, kind: verify, source: a.img, format: vdi, against: old.json}\n"
      "  - {name: d, kind: verify, source: a.img, format: vhdx, against: new}\n");
  EXPECT_EQ(Lines(plan, 0),
            (std::vector<std::string>{
                "list /** in /dev/sdb (block device, raw, /dev/sdb1) with metadata"}));
  EXPECT_EQ(Lines(plan, 1),
            (std::vector<std::string>{"list /** in a.img (format probed and reported, auto) with "
                                      "metadata; report to r.json"}));
  EXPECT_EQ(Lines(plan, 2),
            (std::vector<std::string>{"verify /** in a.img (vdi, auto) against old.json: report "
                                      "changed, missing and new files"}));
  EXPECT_EQ(Lines(plan, 3),
            (std::vector<std::string>{"verify /** in a.img (vhdx, auto) against new: report "
                                      "changed, missing and new files | new does not exist yet"}));
}

TEST(PlanTest, WritePreviewIsEscapedAndShortened) {
  const RunPlan plan = PlanOf(
      "version: 1\njobs:\n  - name: j\n    kind: inject\n    target: a.img\n    format: raw\n"
      "    in_place: true\n    steps:\n"
      "      - write: {path: /a, content: \"tab\\there \\\"q\\\" back\\\\slash\\n\", mode: 0600}\n"
      "      - write: {path: /b, content: \"0123456789012345678901234567890123456789\"}\n");
  EXPECT_EQ(
      plan.jobs[0].lines[1].text,
      "step 1: write \"tab\\x09here \\\"q\\\" back\\\\slash\\n\" (24 bytes) to /a (mode 0600)");
  EXPECT_EQ(plan.jobs[0].lines[2].text,
            "step 2: write \"01234567890123456789012345678901\"... (40 bytes) to /b (mode 0644)");
}

TEST(PlanTest, DescribeStepNamesTheStepForFailureMessages) {
  StepSpec step{3, SourceMark{"m.yaml", 9, 9},
                UploadStep{HostPath{"site", "/x/site"}, "/srv", 0644, Owner{33, 33}}};
  EXPECT_EQ(DescribeStep(step), "step 3 (upload site -> /srv (mode 0644, owner 33:33))");
  step.action = MoveStep{"/a", "/b"};
  EXPECT_EQ(DescribeStep(step), "step 3 (move /a -> /b)");
  step.action = ChownStep{"/a", Owner{0, 0}};
  EXPECT_EQ(DescribeStep(step), "step 3 (chown 0:0 /a)");
  step.action = SymlinkStep{"../target", "/link"};
  EXPECT_EQ(DescribeStep(step), "step 3 (symlink /link -> ../target)");
}

TEST(PlanTest, FormatPlanHeaderJobsAndUnpreviewableLines) {
  RunPlan plan;
  plan.file = "m.yaml";
  plan.run = RunSpec{3, true};
  JobPlan job;
  job.job.name = "seed";
  job.job.task = InjectSpec{};
  job.lines = {{"open x", ""}, {"step 1: delete /tmp/*", "why"}};
  plan.jobs.push_back(job);
  EXPECT_EQ(FormatPlan(plan),
            "plan for m.yaml: 1 job, appliances: 3, retries: 2, stop at the first failure\n"
            "job seed (inject)\n"
            "  open x\n"
            "  step 1: delete /tmp/* (cannot be previewed: why)\n");
  plan.jobs.push_back(job);
  plan.run.fail_fast = false;
  EXPECT_EQ(FormatPlan(plan).substr(0, FormatPlan(plan).find('\n')),
            "plan for m.yaml: 2 jobs, appliances: 3, retries: 2, keep going after a failure");
}

TEST(PlanTest, HeaderSaysAppliancesAreChosenAtRunTimeWhenMaxParallelIsUnset) {
  RunPlan plan;
  plan.file = "m.yaml";
  plan.run.retries = 0;
  EXPECT_EQ(FormatPlan(plan),
            "plan for m.yaml: 0 jobs, appliances: auto (from cores and memory), retries: 0, "
            "keep going after a failure\n");
}

TEST(PlanTest, HeaderNamesSplitOnlyWhenItIsOff) {
  RunPlan plan;
  plan.file = "m.yaml";
  plan.run = RunSpec{1, false, 10, false};
  EXPECT_EQ(FormatPlan(plan),
            "plan for m.yaml: 0 jobs, appliances: 1, retries: 10, each extract on one "
            "appliance, keep going after a failure\n");
  plan.run.split = true;
  EXPECT_EQ(FormatPlan(plan).find("each extract"), std::string::npos);
}

TEST(PlanTest, PlanKeepsEachJobsSpecInOrder) {
  const RunPlan plan = PlanOf(
      "version: 1\nrun: {max_parallel: 4}\njobs:\n"
      "  - {name: b, kind: list, source: a.img, format: raw}\n"
      "  - {name: a, kind: list, source: a.img, format: raw}\n");
  ASSERT_EQ(plan.jobs.size(), 2u);
  EXPECT_EQ(plan.jobs[0].job.name, "b");
  EXPECT_EQ(plan.jobs[1].job.name, "a");
  EXPECT_EQ(plan.jobs[1].job.kind(), JobKind::kList);
  EXPECT_EQ(plan.run.max_parallel, 4);
  EXPECT_EQ(plan.file, "m.yaml");
}

}  // namespace
}  // namespace diskferry
