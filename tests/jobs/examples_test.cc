// Every manifest in examples/ must validate. Their images and key files do not exist here,
// so each variable named `image`, `*_image`, `key` or `*_key` is pointed (with --var) at a
// scratch file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "jobs/manifest_parser.h"
#include "jobs/plan.h"
#include "jobs/validator.h"
#include "tests/jobs/case_files.h"
#include "tests/protocol/scratch_dir.h"

namespace diskferry {
namespace {

const std::string kExamplesDir = DF_EXAMPLES_DIR;

bool IsImageVar(const std::string& name) { return name == "image" || name.ends_with("_image"); }
bool IsKeyVar(const std::string& name) { return name == "key" || name.ends_with("_key"); }

std::vector<VarOverride> ImagesIn(const ManifestConfig& config, const ScratchDir& scratch) {
  std::vector<VarOverride> overrides;
  for (const VarConfig& var : config.vars) {
    const bool key = IsKeyVar(var.name.text);
    if (!IsImageVar(var.name.text) && !key) continue;
    const std::string file = scratch.File(var.name.text + (key ? ".key" : ".qcow2"));
    EXPECT_TRUE(WriteWholeFile(file, std::string(1, '\0')));
    overrides.push_back({var.name.text, file});
  }
  return overrides;
}

TEST(ExamplesTest, TheThreeExamplesExist) {
  for (const char* name : {"nightly-backup.yaml", "bulk-restore.yaml", "ci-provision.yaml"}) {
    EXPECT_TRUE(std::filesystem::exists(kExamplesDir + "/" + name)) << name;
  }
}

TEST(ExamplesTest, EveryExampleValidatesAndPlansOnceItsImagesExist) {
  const std::vector<std::string> names = FilesEndingIn(kExamplesDir, ".yaml");
  ASSERT_GE(names.size(), 3u);
  for (const std::string& name : names) {
    const std::string relative = "examples/" + name;
    SCOPED_TRACE(relative);
    Diagnostics diagnostics;
    Result<ManifestConfig> config =
        ParseManifest(relative, ReadTextFile(kExamplesDir + "/" + name), &diagnostics);
    ASSERT_TRUE(config.ok()) << diagnostics.ToString();
    ScratchDir scratch;
    ASSERT_FALSE(scratch.path().empty());
    ValidateOptions options;
    options.overrides = ImagesIn(*config, scratch);
    EXPECT_FALSE(options.overrides.empty()) << relative << " should read its image from a var";
    options.clock = CaseClock;
    options.base_dir = kExamplesDir;
    Result<ManifestSpec> spec = ValidateManifest(*config, options, &diagnostics);
    EXPECT_EQ(diagnostics.ToString(), "");
    ASSERT_TRUE(spec.ok()) << spec.status().message();
    const RunPlan plan = PlanManifest(*spec);
    EXPECT_FALSE(plan.jobs.empty());
    if (std::getenv("DF_SHOW_PLANS") != nullptr) std::cout << FormatPlan(plan);
  }
}

}  // namespace
}  // namespace diskferry
