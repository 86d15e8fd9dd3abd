// Fuzz target: a manifest as a user (or whoever wrote the file) gives it: ParseManifest,
// ValidateManifest and, when it validates, PlanManifest and FormatPlan (jobs/). Host files
// are not touched: the probe says every disk image is a regular file and every key file
// opens, so that validation and planning go as far as they can; the clock is fixed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jobs/plan.h"
#include "jobs/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace diskferry;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ValidateOptions options;
  options.clock = [] { return LocalTime{2026, 11, 23, 2, 30, 0}; };
  options.base_dir = "/fuzz";
  options.override_dir = "/fuzz";
  options.probe = [](const std::string&) { return HostFileKind::kFile; };
  options.open_check = [](const std::string&) { return 0; };
  Diagnostics diagnostics;
  Result<ManifestSpec> spec = LoadManifest("fuzz.yaml", text, options, &diagnostics);
  (void)diagnostics.ToString();
  if (!spec.ok()) return 0;
  const RunPlan plan = PlanManifest(*spec, options.probe);
  (void)FormatPlan(plan);
  return 0;
}
