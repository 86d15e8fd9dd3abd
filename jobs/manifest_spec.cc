#include "jobs/manifest_spec.h"

#include <type_traits>

#include "jobs/manifest_keys.h"

namespace diskferry {

namespace keys = manifest_keys;

std::string_view JobKindName(JobKind kind) { return keys::kKinds[static_cast<int>(kind)]; }
std::string_view ImageFormatName(ImageFormat format) {
  return keys::kFormats[static_cast<int>(format)];
}
std::string_view OnExistsPolicyName(OnExistsPolicy on_exists) {
  return keys::kOnExists[static_cast<int>(on_exists)];
}
std::string_view OutputKindName(OutputKind kind) {
  return keys::kOutputKinds[static_cast<int>(kind)];
}
std::string_view ArchiveCompressionName(ArchiveCompression compression) {
  return keys::kCompress[static_cast<int>(compression)];
}
std::string_view HashName(HashAlgorithm hash) { return keys::kHashes[static_cast<int>(hash)]; }

std::string FilesystemSpec::ToString() const {
  switch (kind) {
    case FilesystemKind::kAuto:
      return "auto";
    case FilesystemKind::kDevice:
      return value;
    case FilesystemKind::kLabel:
      return "LABEL=" + value;
    case FilesystemKind::kUuid:
      return "UUID=" + value;
    case FilesystemKind::kOs:
      return "os";
  }
  return "auto";
}

std::string FilesystemSpec::AsFsArgument() const {
  return kind == FilesystemKind::kAuto ? "" : ToString();
}

void RequireEvidence(ManifestSpec* spec) {
  for (JobSpec& job : spec->jobs) {
    std::visit(
        [](auto& t) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(t)>, InjectSpec>) {
            t.source.evidence = true;
          }
        },
        job.task);
  }
}

const JobSpec* StdoutJob(const ManifestSpec& spec) {
  for (const JobSpec& job : spec.jobs) {
    const auto* e = std::get_if<ExtractSpec>(&job.task);
    if (e != nullptr && e->output.to_stdout) return &job;
  }
  return nullptr;
}

}  // namespace diskferry
