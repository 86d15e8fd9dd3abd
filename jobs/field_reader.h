// FieldReader: typed reading of one job's Scalars for the validator: expands variables,
// converts, and reports each problem at the value's mark as "KEY: problem". Every reader
// leaves its output unchanged when the value is absent or wrong, so callers preset
// defaults and the caller of the validator learns of errors from Diagnostics alone.
// Private to jobs/validator*.cc and jobs/step_validator.cc.
#ifndef DISKFERRY_JOBS_FIELD_READER_H_
#define DISKFERRY_JOBS_FIELD_READER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "jobs/manifest_config.h"
#include "jobs/manifest_spec.h"
#include "jobs/validator.h"
#include "jobs/vars.h"

namespace diskferry {

class FieldReader {
 public:
  using Names = std::span<const std::string_view>;

  // `job` is the job's name for ${job} ("" outside jobs); `base_dir` resolves host paths.
  FieldReader(const VarTable& vars, std::string job, std::string base_dir,
              const ValidateOptions& options, Diagnostics* diagnostics)
      : vars_(vars),
        job_(std::move(job)),
        base_dir_(std::move(base_dir)),
        options_(options),
        diagnostics_(diagnostics) {}

  void Error(const SourceMark& where, std::string message) {
    diagnostics_->Add(where, std::move(message));
  }
  const ValidateOptions& options() const { return options_; }
  // Problems recorded so far (by anyone): compare before and after to see if a part failed.
  size_t problems() const { return diagnostics_->size(); }

  // Reports "missing 'KEY' (WHAT)" at `owner` when `s` is absent; returns whether present.
  bool Require(const Scalar& s, std::string_view key, std::string_view what,
               const SourceMark& owner);

  // The expanded text; nullopt if absent or if expansion failed (reported).
  std::optional<std::string> Text(const Scalar& s);
  // Expanded and non-empty.
  std::optional<std::string> NonEmpty(const Scalar& s, std::string_view key);

  void Int(const Scalar& s, std::string_view key, int64_t min, int64_t* out);
  void Bool(const Scalar& s, std::string_view key, bool* out);
  // The index of the value among `names` ("KEY: unknown WHAT 'x' (expected ...)").
  std::optional<size_t> Choice(const Scalar& s, std::string_view key, std::string_view what,
                               Names names);
  std::optional<HostPath> Host(const Scalar& s, std::string_view key);
  // An absolute guest path, normalized; '.' and '..' components are refused.
  std::optional<std::string> GuestPath(const Scalar& s, std::string_view key);
  // Octal digits (0644, 644, "0o644"), at most 07777; a YAML int reads the same.
  std::optional<uint32_t> Mode(const Scalar& s, std::string_view key);
  // Numeric "UID:GID".
  std::optional<Owner> OwnerOf(const Scalar& s, std::string_view key);

 private:
  const VarTable& vars_;
  std::string job_;
  std::string base_dir_;
  const ValidateOptions& options_;
  Diagnostics* diagnostics_;
};

// The job's config with `defaults` merged in (see validator.h); `kind` is the job's kind.
JobConfig MergeDefaults(const JobConfig& defaults, const JobConfig& job, JobKind kind);

// Validates one job of a known kind whose name is `name`. nullopt when a problem was found.
std::optional<JobSpec> ValidateJob(const JobConfig& job, JobKind kind, const std::string& name,
                                   FieldReader& fields);

// Validates the steps of an inject job into *steps.
void ValidateSteps(const JobConfig& job, FieldReader& fields, std::vector<StepSpec>* steps);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_FIELD_READER_H_
