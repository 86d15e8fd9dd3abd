// Manifest cases as files (docs/style.md): cases/valid/NAME.yaml must validate and plan to
// NAME.plan; cases/invalid/NAME.yaml must fail with exactly the lines of NAME.errors.
// NAME.vars, if present, holds --var overrides. Every case runs with the fixed clock
// 2026-11-23 02:30:00 and resolves host paths against cases/, where images/ and site/
// are fixtures. DF_UPDATE_CASES=1 rewrites the expected files (review the diff!).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "jobs/plan.h"
#include "jobs/validator.h"
#include "tests/jobs/case_files.h"

namespace diskferry {
namespace {

const std::string kCasesDir = DF_JOBS_CASES_DIR;

struct CaseRun {
  Result<ManifestSpec> spec = Status(Code::kInternal, "not run");
  std::string diagnostics;
};

// `relative` is "valid/NAME.yaml": the name every diagnostic and plan shows.
CaseRun RunCase(const std::string& relative) {
  const std::string stem = relative.substr(0, relative.size() - std::string(".yaml").size());
  ValidateOptions options;
  options.overrides = ReadOverrides(kCasesDir + "/" + stem + ".vars");
  options.clock = CaseClock;
  options.base_dir = kCasesDir;
  // "." keeps relative overrides relative, so they resolve against base_dir like the
  // manifest's own paths and the expected plans hold no machine-specific path.
  options.override_dir = ".";
  Diagnostics diagnostics;
  CaseRun run;
  run.spec =
      LoadManifest(relative, ReadTextFile(kCasesDir + "/" + relative), options, &diagnostics);
  run.diagnostics = diagnostics.ToString();
  return run;
}

void ExpectMatchesFile(const std::string& actual, const std::string& relative_expected) {
  const std::string path = kCasesDir + "/" + relative_expected;
  if (UpdatingCases()) {
    ASSERT_TRUE(WriteTextFile(path, actual)) << path;
    return;
  }
  EXPECT_EQ(actual, ReadTextFile(path)) << "expected output: " << relative_expected;
}

std::string Stem(const std::string& name) { return name.substr(0, name.rfind('.')); }

TEST(ManifestCasesTest, EveryValidCaseValidatesAndPlansAsExpected) {
  const std::vector<std::string> names = FilesEndingIn(kCasesDir + "/valid", ".yaml");
  ASSERT_GE(names.size(), 5u);
  for (const std::string& name : names) {
    const std::string relative = "valid/" + name;
    SCOPED_TRACE(relative);
    CaseRun run = RunCase(relative);
    EXPECT_EQ(run.diagnostics, "") << relative << " should have no problems";
    ASSERT_TRUE(run.spec.ok()) << relative << ": " << run.spec.status().message();
    ExpectMatchesFile(FormatPlan(PlanManifest(*run.spec)), "valid/" + Stem(name) + ".plan");
  }
}

TEST(ManifestCasesTest, EveryInvalidCaseFailsWithExactlyTheExpectedDiagnostics) {
  const std::vector<std::string> names = FilesEndingIn(kCasesDir + "/invalid", ".yaml");
  ASSERT_GE(names.size(), 11u);
  for (const std::string& name : names) {
    const std::string relative = "invalid/" + name;
    SCOPED_TRACE(relative);
    CaseRun run = RunCase(relative);
    EXPECT_FALSE(run.spec.ok()) << relative << " should not validate";
    EXPECT_NE(run.diagnostics, "") << relative;
    ExpectMatchesFile(run.diagnostics, "invalid/" + Stem(name) + ".errors");
  }
}

// Loads `text`; records a failure if that throws, or if a spec comes back together with
// diagnostics (or neither does).
void ExpectReportedNotThrown(const std::string& what, const std::string& text,
                             const ValidateOptions& options) {
  try {
    Diagnostics diagnostics;
    Result<ManifestSpec> spec = LoadManifest("m.yaml", text, options, &diagnostics);
    if (spec.ok()) (void)FormatPlan(PlanManifest(*spec));
    EXPECT_EQ(spec.ok(), diagnostics.empty()) << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << " threw " << e.what();
  }
}

// Manifests are user input: every prefix of every case must come back as diagnostics, never
// as an exception or a crash (yaml-cpp throws from more places than the parser guards).
TEST(ManifestCasesTest, EveryTruncatedCaseIsReportedNeverThrown) {
  ValidateOptions options;
  options.clock = CaseClock;
  options.base_dir = kCasesDir;
  for (const char* dir : {"valid", "invalid"}) {
    for (const std::string& name : FilesEndingIn(kCasesDir + "/" + dir, ".yaml")) {
      const std::string text = ReadTextFile(kCasesDir + "/" + dir + "/" + name);
      for (size_t size = 0; size < text.size(); ++size) {
        ExpectReportedNotThrown(name + " cut at " + std::to_string(size), text.substr(0, size),
                                options);
      }
    }
  }
}

TEST(ManifestCasesTest, EveryExpectedFileHasItsManifest) {
  for (const auto& [dir, suffix] : {std::pair{"valid", ".plan"}, std::pair{"invalid", ".errors"}}) {
    for (const std::string& name : FilesEndingIn(kCasesDir + "/" + dir, suffix)) {
      EXPECT_TRUE(std::filesystem::exists(kCasesDir + "/" + dir + "/" + Stem(name) + ".yaml"))
          << dir << "/" << name << " has no " << Stem(name) << ".yaml";
    }
  }
}

}  // namespace
}  // namespace diskferry
