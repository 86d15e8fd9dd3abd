#include <gtest/gtest.h>

#include "jobs/manifest_parser.h"

namespace diskferry {
namespace {

struct Parsed {
  Result<ManifestConfig> config = Status(Code::kInternal, "not parsed");
  Diagnostics diagnostics;
};

Parsed Parse(std::string_view text) {
  Parsed p;
  p.config = ParseManifest("m.yaml", text, &p.diagnostics);
  return p;
}

TEST(ManifestParserTest, MarksAreOneBasedAndNameTheFile) {
  Parsed p = Parse("version: 1\njobs:\n  - name: etc\n    kind:   list\n");
  ASSERT_TRUE(p.config.ok());
  EXPECT_TRUE(p.diagnostics.empty()) << p.diagnostics.ToString();
  EXPECT_EQ(p.config->version.mark.ToString(), "m.yaml:1:10");
  ASSERT_EQ(p.config->jobs.size(), 1u);
  const JobConfig& job = p.config->jobs[0];
  EXPECT_EQ(job.mark.ToString(), "m.yaml:3:5");
  EXPECT_EQ(job.name.text, "etc");
  EXPECT_EQ(job.name.mark.ToString(), "m.yaml:3:11");
  EXPECT_EQ(job.kind.mark.ToString(), "m.yaml:4:13");
  EXPECT_EQ(p.config->jobs_mark.ToString(), "m.yaml:2:1");
  EXPECT_FALSE(job.source.present);
}

TEST(ManifestParserTest, ScalarsKeepTheirTextUntouched) {
  Parsed p = Parse(
      "jobs:\n  - kind: inject\n    steps:\n      - mkdir: {path: \"/a/${x}\", mode: 0644}\n");
  ASSERT_TRUE(p.config.ok());
  const StepConfig& step = p.config->jobs[0].steps[0];
  EXPECT_EQ(step.op.text, "mkdir");
  EXPECT_EQ(step.path.text, "/a/${x}");
  EXPECT_EQ(step.mode.text, "0644");
}

TEST(ManifestParserTest, KeyWithoutValueReadsAsEmptyAtTheKey) {
  Parsed p = Parse("version:\njobs: []\n");
  ASSERT_TRUE(p.config.ok());
  EXPECT_TRUE(p.config->version.present);
  EXPECT_EQ(p.config->version.text, "");
  EXPECT_EQ(p.config->version.mark.ToString(), "m.yaml:1:1");
}

TEST(ManifestParserTest, ValueOfTheWrongShapeIsReportedAndMarkedInvalid) {
  Parsed p = Parse("jobs:\n  - name: [a, b]\n    kind: list\n");
  ASSERT_TRUE(p.config.ok());
  EXPECT_EQ(p.diagnostics.ToString(), "m.yaml:2:11: name: expected a value, found a list\n");
  EXPECT_TRUE(p.config->jobs[0].name.present);
  EXPECT_TRUE(p.config->jobs[0].name.invalid);
}

TEST(ManifestParserTest, EmptyJobsListIsReported) {
  Parsed p = Parse("version: 1\njobs: []\n");
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:2:1: jobs: the list is empty (a manifest needs at least one job)\n");
}

TEST(ManifestParserTest, JobKeysDependOnTheKind) {
  Parsed p = Parse("jobs:\n  - kind: list\n    target: x\n    steps: []\n");
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:3:5: key 'target' does not apply to list jobs (only to inject jobs)\n"
            "m.yaml:4:5: key 'steps' does not apply to list jobs (only to inject jobs)\n");
}

TEST(ManifestParserTest, WithoutAKnownKindEveryJobKeyIsAccepted) {
  Parsed p = Parse("jobs:\n  - name: x\n    target: t\n    source: s\n    sourse: s\n");
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:5:5: unknown key 'sourse' in a job (did you mean 'source'?)\n");
  EXPECT_EQ(p.config->jobs[0].target.items.at(0).text, "t");
}

TEST(ManifestParserTest, OutputIsAMappingForExtractAndAValueForInject) {
  Parsed p = Parse(
      "jobs:\n"
      "  - {kind: extract, output: {dir: d, preserve: [mode]}}\n"
      "  - {kind: inject, output: new.qcow2}\n"
      "  - {kind: inject, output: {dir: d}}\n");
  ASSERT_TRUE(p.config.ok());
  EXPECT_EQ(p.config->jobs[0].output.dir.text, "d");
  EXPECT_EQ(p.config->jobs[0].output.preserve.items.size(), 1u);
  EXPECT_EQ(p.config->jobs[1].output_image.text, "new.qcow2");
  EXPECT_EQ(p.diagnostics.ToString(), "m.yaml:4:28: output: expected a value, found a mapping\n");
}

TEST(ManifestParserTest, DefaultsReadOutputByItsShape) {
  Parsed p = Parse("defaults:\n  output: {on_exists: skip}\njobs: [{kind: list}]\n");
  EXPECT_EQ(p.config->defaults.output.on_exists.text, "skip");
  p = Parse("defaults:\n  output: o.qcow2\njobs: [{kind: list}]\n");
  EXPECT_EQ(p.config->defaults.output_image.text, "o.qcow2");
  EXPECT_TRUE(p.config->defaults_present);
}

TEST(ManifestParserTest, UnreadableStepsKeepTheirPlaceSoNumbersStay) {
  Parsed p = Parse(
      "jobs:\n  - kind: inject\n    steps:\n"
      "      - frob: {}\n      - mkdir: /x\n      - mkdir: {path: /y}\n");
  ASSERT_TRUE(p.config.ok());
  const std::vector<StepConfig>& steps = p.config->jobs[0].steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_FALSE(steps[0].op.present);
  EXPECT_FALSE(steps[1].op.present);
  EXPECT_TRUE(steps[2].op.present);
  EXPECT_EQ(steps[2].path.text, "/y");
  EXPECT_EQ(p.diagnostics.size(), 2u);
}

TEST(ManifestParserTest, VarsLongAndShortForms) {
  Parsed p = Parse(
      "vars:\n  a: {type: int, default: 3}\n  b: text\n  c:\n  d: {type: path}\n"
      "jobs: [{kind: list}]\n");
  ASSERT_TRUE(p.config.ok());
  const std::vector<VarConfig>& vars = p.config->vars;
  ASSERT_EQ(vars.size(), 4u);
  EXPECT_EQ(vars[0].type.text, "int");
  EXPECT_EQ(vars[0].default_value.text, "3");
  EXPECT_FALSE(vars[1].type.present);
  EXPECT_EQ(vars[1].default_value.text, "text");
  EXPECT_FALSE(vars[2].default_value.present);
  EXPECT_FALSE(vars[3].default_value.present);
  EXPECT_EQ(vars[0].name.mark.ToString(), "m.yaml:2:3");
}

TEST(ManifestParserTest, VarsRejectUnknownKeysAndDuplicates) {
  Parsed p = Parse("vars:\n  a: {type: int, defualt: 3}\n  a: 1\njobs: [{kind: list}]\n");
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:2:18: unknown key 'defualt' in variable 'a' (did you mean 'default'?)\n"
            "m.yaml:3:3: vars: variable 'a' is declared twice\n");
}

TEST(ManifestParserTest, SyntaxErrorFailsWithTheParsersMark) {
  Parsed p = Parse("version: 1\njobs: [a, b\n");
  EXPECT_FALSE(p.config.ok());
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:3:1: YAML syntax error: end of sequence flow not found\n");
}

TEST(ManifestParserTest, EmptyTextAndSeveralDocumentsFail) {
  Parsed empty = Parse("");
  EXPECT_FALSE(empty.config.ok());
  EXPECT_EQ(empty.diagnostics.ToString(),
            "m.yaml:1:1: the manifest is empty (it needs at least version and jobs)\n");
  Parsed two = Parse("version: 1\n---\nversion: 1\n");
  EXPECT_FALSE(two.config.ok());
  EXPECT_EQ(two.diagnostics.ToString(),
            "m.yaml:1:1: a manifest is one YAML document, found several\n");
}

// yaml-cpp 0.7's LoadAll never returns on this input (it allocates until the process
// dies); the parser must report it instead. A hang here shows as a test timeout.
TEST(ManifestParserTest, StrayLeadingCommaIsASyntaxErrorNotAHang) {
  for (std::string_view text : {",", ",version: 1\njobs: []\n", "]", "}"}) {
    Parsed p = Parse(text);
    EXPECT_FALSE(p.config.ok()) << text;
    EXPECT_EQ(p.diagnostics.size(), 1u) << text;
  }
  EXPECT_EQ(Parse(",").diagnostics.ToString(), "m.yaml:1:1: YAML syntax error: unexpected ','\n");
}

TEST(ManifestParserTest, NonScalarKeysAreReported) {
  Parsed p = Parse("? [a]\n: 1\njobs: [{kind: list}]\n");
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:1:3: keys in the manifest must be plain names, found a list\n");
}

std::string Repeated(std::string_view item, int times, std::string_view separator = ", ") {
  std::string out;
  for (int i = 0; i < times; ++i) out += std::string(i > 0 ? separator : "") + std::string(item);
  return out;
}

TEST(ManifestParserTest, MoreThanTheCapOfAliasUsesIsAnErrorAtTheFirstOneTooMany) {
  // "jobs: [" is 7 columns, then "*a, " per use: use 1001 starts at column 4008.
  Parsed p = Parse("version: 1\nx: &a v\njobs: [" + Repeated("*a", 1001) + "]\n");
  EXPECT_FALSE(p.config.ok());
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:3:4008: more than 1000 uses of aliases (*name); a manifest may hold at "
            "most 1000\n");
  EXPECT_TRUE(Parse("version: 1\nx: &a v\njobs: [" + Repeated("*a", 1000) + "]\n")
                  .diagnostics.ToString()
                  .find("aliases") == std::string::npos);
}

TEST(ManifestParserTest, AliasesThatMultiplyNodesPastTheCapAreAnError) {
  // Each level is ten uses of the one below: level 5 stands for a million values.
  std::string text = "version: 1\nl0: &l0 [" + Repeated("x", 10) + "]\n";
  for (int level = 1; level <= 5; ++level) {
    const std::string below = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [" +
            Repeated(below, 10) + "]\n";
  }
  Parsed p = Parse(text + "jobs: []\n");
  EXPECT_FALSE(p.config.ok());
  // Levels 0..3 stand for 11, 111, 1111 and 11111 nodes: 12352 nodes lie before the
  // first use of level 3 in level 4, and its 8th use (column 10 + 5 * 7) passes 100000.
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:6:45: the manifest holds more than 100000 values, lists and mappings, each "
            "use of an alias (*name) counting as a copy of what it names\n");
}

TEST(ManifestParserTest, AliasesThatMultiplyTextPastTheCapAreAnError) {
  // A 64 KiB value used 300 times: 19 MiB of text from a 65 KiB manifest. Validating
  // such a manifest copies every use: nested in jobs and steps, gigabytes.
  const std::string text = "version: 1\nbig: &big " + std::string(65536, 'x') + "\njobs: [" +
                           Repeated("*big", 300) + "]\n";
  Parsed p = Parse(text);
  EXPECT_FALSE(p.config.ok());
  // The value and 255 uses make 16 MiB, and the keys a few bytes more: use 255 (column
  // 8 + 6 * 254) passes the limit.
  EXPECT_EQ(p.diagnostics.ToString(),
            "m.yaml:3:1532: the manifest's values hold more than 16777216 bytes, each use of an "
            "alias (*name) counting as a copy of what it names\n");
}

}  // namespace
}  // namespace diskferry
